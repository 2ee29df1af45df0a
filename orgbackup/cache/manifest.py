"""manifest.json: what one snapshot of one organization holds, and every problem.

Its format is documented in docs/architecture.md; restore and verify read it,
so a change of shape needs a new `format` number.
"""

from __future__ import annotations

import json
from pathlib import Path

from orgbackup.cache.json_files import write_json_atomically
from orgbackup.results import Problem

FORMAT = 1


def build_manifest(
    *,
    org: str,
    started: str,
    finished: str,
    tool_versions: dict,
    hooks: dict,
    repositories: dict[str, dict],
    dependencies: dict,
    problems: list[Problem],
    metadata: dict | None = None,
    known_problems: list[Problem] = (),
    deleted: list[dict] = (),
    renamed: dict[str, str] | None = None,
    shard=None,
    budget: dict | None = None,
    copy: bool = False,
) -> dict:
    """`problems` make the snapshot incomplete; `known_problems` are upstream problems
    reported by an earlier run, listed so that every manifest names every gap."""
    manifest = {
        "format": FORMAT,
        "org": org,
        "started": started,
        "finished": finished,
        "complete": not problems,
        "tool_versions": tool_versions,
        "hooks": hooks,
        "repositories": {name: repositories[name] for name in sorted(repositories)},
        "dependencies": dependencies,
        "metadata": metadata or {},
        "problems": [p.as_dict() for p in problems],
        "known_upstream_problems": [p.as_dict() for p in known_problems],
        "deleted_on_github": {d["folder"]: d for d in deleted},
        "renamed_on_github": dict(renamed or {}),
    }
    if budget is not None:  # orgbackup/backup/planning/budget.py: the API budget and what it granted or deferred
        manifest["budget"] = budget
        manifest["deferred"] = list(budget.get("deferred") or [])
    if copy:  # RESTIC_COPY_REPOSITORY: written before the snapshot, so only the plan (the outcome: the summary)
        manifest["copy"] = {"planned": True, "repository": "RESTIC_COPY_REPOSITORY"}
    if shard is not None:  # BACKUP_SHARD: which shard this snapshot is, and what it holds
        manifest["shard"] = {**shard.as_dict(), "repositories": sorted(repositories),
                             "organization": shard.owns_organization}
    return manifest


def write_manifest(path: Path, manifest: dict) -> None:
    write_json_atomically(path, manifest, indent=2)


def read_manifest(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
