"""The pull requests of two restored backups compared kind by kind (backup_compare.differences lets a
pull request come back as an issue and compares all of an item's texts as one list): each pull request
of the source must be one in the target, with the same reviews, review comments and conversation
comments, each kind on its own (a review comment turned into a conversation comment is a difference).
The target's bodies lose their provenance header (backup_compare.strip_provenance)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.backup_compare import strip_provenance


def _read(path: Path):
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def pull_texts(org_dir: Path, name: str, number: int, *, strip: bool) -> dict[str, list[str]] | None:
    """{reviews, review comments, conversation}: the sorted non-empty texts of pull request `number`
    of repository `name`, or None when the tree holds no pull request of that number."""
    base = Path(org_dir) / "github-backup" / "repositories" / name / "pulls"
    pull = _read(base / f"{number}.json")
    if pull is None:
        return None
    reviews = (_read(Path(org_dir) / "reviews" / name / f"{number}.json") or {}).get("reviews") or []
    kinds = {"reviews": [r.get("body") for r in reviews],
             "review comments": [c.get("body") for c in pull.get("comment_data") or []],
             "conversation": [c.get("body") for c in _read(base / f"{number}.conversation.json") or []]}
    return {kind: sorted(t for t in ((strip_provenance(b) if strip else (b or "")) for b in bodies) if t)
            for kind, bodies in kinds.items()}


def pull_request_differences(source_org_dir: Path, target_org_dir: Path, *,
                             repos: list[str] | None = None) -> list[str]:
    """Readable differences ([] = every pull request came back as one, with its kinds of comments)."""
    diffs = []
    root = Path(source_org_dir) / "github-backup" / "repositories"
    names = sorted(repos) if repos is not None else sorted(p.name for p in root.iterdir() if p.is_dir())
    for name in names:
        numbers = sorted(int(p.stem) for p in (root / name / "pulls").glob("*.json") if p.stem.isdigit())
        for number in numbers:
            want = pull_texts(source_org_dir, name, number, strip=False)
            got = pull_texts(target_org_dir, name, number, strip=True)
            if got is None:
                diffs.append(f"{name}: pull request #{number} did not come back as a pull request")
                continue
            for kind in want:
                if want[kind] != got[kind]:
                    diffs.append(f"{name}: pull request #{number} {kind} differ ({len(want[kind])} != "
                                 f"{len(got[kind])})")
    return diffs
