"""The restic snapshot of one organization, then retention.

One snapshot per organization and run, of `CACHE/<ORG>` taken with restic's
working directory at CACHE, so every snapshot's tree starts at `/<ORG>/`.
A fixed `--host` keeps retention working although container host names change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from .. import restic
from ..context import RunContext
from ..problems import Problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SnapshotResult:
    snapshot_id: str
    data_added: int
    files: int
    bytes_processed: int


def snapshot_tags(org: str, complete: bool, tool_versions: dict[str, str]) -> tuple[str, ...]:
    tags = [f"org:{org}", "complete" if complete else "incomplete"]
    for tool in ("orgbackup", "github-backup", "gitim"):
        if tool_versions.get(tool):
            tags.append(f"{tool}:{tool_versions[tool]}")
    return tuple(tags)


def exclude_pattern(path: Path) -> str:
    """A restic exclude pattern that matches exactly this absolute path."""
    text = str(path)
    for ch in "\\[]*?":
        text = text.replace(ch, "\\" + ch)
    return text


def run_snapshot(
    ctx: RunContext, org: str, *, complete: bool, exclude: list[Path]
) -> tuple[SnapshotResult, list[Problem]]:
    argv = restic.backup(
        [org],
        host=ctx.config.host_name,
        tags=snapshot_tags(org, complete, ctx.tool_versions),
        exclude_files=[exclude_pattern(p) for p in exclude],
    )
    log.info("%s: restic backup (%s)", org, "complete" if complete else "incomplete")
    result = restic.run_restic(ctx.files, argv, cwd=ctx.cache_dir, ok_codes=(0, 3))
    summary = restic.parse_backup_summary(result.stdout)
    problems = []
    if result.returncode == 3:
        problems.append(Problem(org, None, "snapshot", restic.EXIT_MEANINGS[3]))
    snap = SnapshotResult(
        snapshot_id=summary.get("snapshot_id", ""),
        data_added=int(summary.get("data_added", 0)),
        files=int(summary.get("total_files_processed", 0)),
        bytes_processed=int(summary.get("total_bytes_processed", 0)),
    )
    log.info("%s: snapshot %s, %d bytes added", org, snap.snapshot_id, snap.data_added)
    return snap, problems


def apply_retention(ctx: RunContext, org: str) -> None:
    if ctx.config.retention.keeps_everything:
        log.info("%s: retention keeps everything (all BACKUP_KEEP_* are 0)", org)
        return
    result = restic.run_restic(
        ctx.files,
        restic.forget(ctx.config.retention, host=ctx.config.host_name, tag=f"org:{org}"),
        timeout=None,
    )
    removed = restic.forgotten_snapshots(result.stdout)
    if removed:
        restic.run_restic(ctx.files, restic.prune(), timeout=None)
    log.info("%s: retention applied (%d snapshot(s) forgotten%s)", org, len(removed), ", pruned" if removed else "")
