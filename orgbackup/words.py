"""Counts in words for the reports people read: `counted(1, "comments")` is "1 comment",
`counted(10, "repositories")` is "10 repositories" (the counts' keys are plural nouns,
with "_" for a space: "protected_branches")."""

from __future__ import annotations


def singular(plural: str) -> str:
    """The singular of an English plural noun (its last word): repositories -> repository,
    branches -> branch, comments -> comment; a word without a plural -s stays."""
    head, _, last = plural.rpartition(" ")
    if last.endswith("ies"):
        last = last[:-3] + "y"
    elif last.endswith(("ches", "shes", "sses", "xes")):
        last = last[:-2]
    elif last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    return f"{head} {last}" if head else last


def counted(n: int, plural: str) -> str:
    words = plural.replace("_", " ")
    return f"{n} {singular(words) if n == 1 else words}"


def rate(per_minute: float) -> str:
    """A pace people read: 80 a minute, 8.3 a minute (not 8.33333)."""
    text = f"{per_minute:.1f}".removesuffix(".0")
    return f"{text} a minute"
