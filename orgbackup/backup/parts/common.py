"""The one shape every metadata part returns, and the rule for what a reader token may not see."""

from __future__ import annotations

from dataclasses import dataclass, field

from orgbackup.github.api import GitHubError, GraphQLError
from orgbackup.results import Problem

# GraphQL error types that mean "this token may not see it" (or it is not there for it).
NOT_PERMITTED_TYPES = {"FORBIDDEN", "INSUFFICIENT_SCOPES", "NOT_FOUND"}


@dataclass
class PartOutcome:
    """What one part did for one repository (or for the organization, repo None).

    `saved`: what the backup now holds, by kind (discussions, comments, replies, ...);
    `expected`: what GitHub reported for the same kinds (totalCount, list lengths),
    compared by the stage; `skipped`: pieces the token may not read, each with its
    reason; `mark`: the change mark to remember when there were no problems (None:
    keep the previous one)."""

    part: str
    org: str
    repo: str | None = None
    saved: dict[str, int] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    mark: str | None = None

    def problem(self, message: str, kind: str | None = None) -> None:
        extra = {"kind": kind} if kind else {}
        self.problems.append(Problem(self.org, self.repo, self.part, message, **extra))

    def refused_or_failed(self, exc: GitHubError, what: str) -> None:
        """A refusal the way a token without the permission gets it: `what` is skipped with
        the reason; anything else (5xx, network, a rate limit) is a problem."""
        reason = skip_reason(exc, f"{self.part}: {what}")
        if reason:
            self.skipped.append(reason)
        else:
            self.problem(f"{what}: {exc}")

    def count(self, kind: str, saved: int, expected: int | None = None) -> None:
        self.saved[kind] = self.saved.get(kind, 0) + saved
        if expected is not None:
            self.expected[kind] = self.expected.get(kind, 0) + expected

    def mismatches(self) -> list[str]:
        """Kinds where the backup holds fewer than GitHub reported."""
        return [f"{kind}: saved {self.saved.get(kind, 0)} of {want}"
                for kind, want in sorted(self.expected.items()) if self.saved.get(kind, 0) < want]


def skip_reason(exc: GitHubError, what: str) -> str | None:
    """The reason to skip `what` when GitHub refused it the way it refuses a token
    without the permission (REST 403/404, GraphQL FORBIDDEN/INSUFFICIENT_SCOPES/NOT_FOUND),
    else None (then it is a problem, not a permission)."""
    if exc.rate_limited or "rate limit" in str(exc).lower():  # slow down, not access denied
        return None
    if isinstance(exc, GraphQLError):
        refused = exc.types & NOT_PERMITTED_TYPES
        if refused:
            return f"{what}: the token may not read it ({', '.join(sorted(refused))})"
        return None
    if exc.status == 403:
        return f"{what}: needs more access than the token has (HTTP 403)"
    if exc.status == 404:
        return f"{what}: not visible to the token (HTTP 404)"
    return None
