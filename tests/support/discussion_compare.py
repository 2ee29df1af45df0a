"""Compare the discussions of two restored backups (a source organization and its re-creation by
restore-to-github), item by item: discussions/<REPO>/<N>.json of each.

A discussion of the source is found in the target by its title and original body (numbers may
differ: the restore cannot choose them, discussions share the issues' sequence); then compared:
the category's name, the labels' names (in any order: GitHub lists them by the label's creation),
the comments in order with their bodies and their replies in order, which comment is the answer,
closed and locked. The target's bodies lose the restore's provenance
header first (backup_compare.strip_provenance); the source is taken as it is.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.backup_compare import strip_provenance


def discussions_of(org_dir: Path, name: str) -> dict[int, dict]:
    folder = Path(org_dir) / "discussions" / name
    if not folder.is_dir():
        return {}
    return {int(p.stem): json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json") if p.stem.isdigit()}


def shape(record: dict, *, strip: bool) -> dict:
    """What the comparison looks at of one discussion (the target's bodies without the header)."""
    text = strip_provenance if strip else (lambda body: body or "")
    comments = record.get("comments") or []
    answer = (record.get("answer") or {}).get("id")
    return {
        "title": record.get("title"), "body": text(record.get("body")),
        "category": (record.get("category") or {}).get("name"),
        "labels": sorted(record.get("labels") or []),
        "comments": [(text(c.get("body")), [text(r.get("body")) for r in c.get("replies") or []]) for c in comments],
        "answer": next((i for i, c in enumerate(comments) if c.get("id") == answer), None),
        "closed": bool(record.get("closed")), "locked": bool(record.get("locked")),
    }


def discussion_differences(source_org: Path, target_org: Path, names: list[str]) -> list[str]:
    diffs = []
    for name in names:
        source = {n: shape(d, strip=False) for n, d in discussions_of(source_org, name).items()}
        target = {n: shape(d, strip=True) for n, d in discussions_of(target_org, name).items()}
        unmatched = dict(target)
        for number, want in sorted(source.items()):
            found = next((n for n, got in unmatched.items()
                          if (got["title"], got["body"]) == (want["title"], want["body"])), None)
            if found is None:
                diffs.append(f"{name}: discussion #{number} {want['title']!r} missing in the target")
                continue
            got = unmatched.pop(found)
            for key in want:
                if want[key] != got[key]:
                    diffs.append(f"{name}: discussion #{number} (#{found} in the target) {key}: "
                                 f"{want[key]!r} != {got[key]!r}")
        diffs += [f"{name}: target discussion #{n} {got['title']!r} has no source discussion"
                  for n, got in sorted(unmatched.items())]
    return diffs


def discussion_counts(org_dir: Path) -> dict[str, int]:
    """discussions, comments, replies, answers, labels, closed, locked of every repository of a tree."""
    counts = dict.fromkeys(("discussions", "comments", "replies", "answers", "labels", "closed", "locked"), 0)
    folder = Path(org_dir) / "discussions"
    for name in sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []:
        for record in discussions_of(org_dir, name).values():
            counts["discussions"] += 1
            counts["comments"] += len(record.get("comments") or [])
            counts["replies"] += sum(len(c.get("replies") or []) for c in record.get("comments") or [])
            counts["answers"] += int(bool(record.get("answer")))
            counts["labels"] += len(record.get("labels") or [])
            counts["closed"] += int(bool(record.get("closed")))
            counts["locked"] += int(bool(record.get("locked")))
    return counts
