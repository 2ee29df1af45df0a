"""The restic snapshot of one organization, then retention.

One snapshot per organization and run, of `CACHE/<ORG>` taken with restic's
working directory at CACHE, so every snapshot's tree starts at `/<ORG>/`.
A fixed `--host` keeps retention working although container host names change.
The `complete`/`incomplete` tag follows the run's final outcome, restic's own
exit status included; retention runs after every run, complete or not (unless
BACKUP_RETENTION=separate: then the prune job does it, orgbackup/actions/prune.py).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from orgbackup.tools import restic, restic_output
from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.config.settings import RETENTION_SEPARATE
from orgbackup.snapshots import retention
from orgbackup.results import UPSTREAM, Problem
from orgbackup.snapshots.shards import Shard
from orgbackup.times import parse_rfc3339
from orgbackup.results import StageResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SnapshotResult:
    snapshot_id: str
    data_added: int
    files: int
    bytes_processed: int
    complete: bool  # the snapshot's tag: `complete` or `incomplete`


def snapshot_tags(org: str, complete: bool, tool_versions: dict[str, str],
                  shard: Shard | None = None) -> tuple[str, ...]:
    tags = [f"org:{org}", "complete" if complete else "incomplete"]
    if shard is not None:
        tags.append(shard.tag)
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


def run_snapshot(ctx: RunContext, night: OrgNight) -> StageResult:
    """The stage: the organization's snapshot, complete when no problem counts, without the files
    that held the token; the upstream problems it records are known from then on."""
    found = take_snapshot(ctx, night.org, complete=not night.problems, exclude=night.leaked)
    if found.captured.snapshot_id:
        upstream = [p.key for p in night.problems + night.known_problems if p.kind == UPSTREAM]
        ctx.state_store().record_problems(night.org, upstream, ctx.started)
    return found


def run_retention(ctx: RunContext, night: OrgNight) -> StageResult:
    """After every night, complete or not: the repository stays bounded whatever GitHub does.
    Captures how many snapshots went. BACKUP_RETENTION=separate: none, ever (the storage may
    be append-only; the prune job, `entrypoint.py prune`, applies the policy elsewhere)."""
    if ctx.config.retention_mode == RETENTION_SEPARATE:
        log.info("%s: retention is done elsewhere (BACKUP_RETENTION=separate): nothing forgotten here", night.org)
        return StageResult(0, [])
    return StageResult(apply_retention(ctx, night.org), [])


def take_snapshot(
    ctx: RunContext, org: str, *, complete: bool, exclude: list[Path]
) -> StageResult:
    argv = restic.backup(
        [org],
        host=ctx.config.host_name,
        tags=snapshot_tags(org, complete, ctx.tool_versions, ctx.config.shard),
        exclude_files=[exclude_pattern(p) for p in exclude],
        parent=shard_parent(ctx, org),
    )
    log.info("%s: restic backup (%s)", org, "complete" if complete else "incomplete")
    result = restic.run_restic(ctx.files, argv, cwd=ctx.cache_dir, ok_codes=(0, 3))
    summary = restic_output.parse_backup_summary(result.stdout)
    snapshot_id = summary.get("snapshot_id", "")
    problems = []
    if result.returncode == 3:
        problems.append(Problem(org, None, "snapshot", restic_output.EXIT_MEANINGS[3]))
        if complete:  # the snapshot lacks files: it must not say `complete`
            snapshot_id = retag_incomplete(ctx, org, snapshot_id)
            complete = False
    snap = SnapshotResult(
        snapshot_id=restic_output.short_id(snapshot_id),
        data_added=int(summary.get("data_added", 0)),
        files=int(summary.get("total_files_processed", 0)),
        bytes_processed=int(summary.get("total_bytes_processed", 0)),
        complete=complete,
    )
    log.info("%s: snapshot %s (%s), %d bytes added", org, snap.snapshot_id,
             "complete" if complete else "incomplete", snap.data_added)
    return StageResult(snap, problems)


def shard_parent(ctx: RunContext, org: str) -> str | None:
    """A sharded run's parent snapshot: this shard's newest (by its tag), never another
    shard's of the same host and path (every pod's cache is /cache); None unsharded."""
    shard = ctx.config.shard
    if shard is None:
        return None
    snaps = [s for s in restic.list_snapshots(ctx.files, host=ctx.config.host_name, tags=[f"org:{org},{shard.tag}"])
             if s.shard == shard]
    if not snaps:
        return None
    return max(snaps, key=lambda s: parse_rfc3339(s.time)).id


def retag_incomplete(ctx: RunContext, org: str, snapshot_id: str) -> str:
    """Tag the new snapshot `incomplete` instead of `complete`; its new id (restic
    rewrites a snapshot whose tags change)."""
    log.warning("%s: restic could not read every file; the snapshot is tagged incomplete", org)
    restic.run_restic(ctx.files, restic.retag_incomplete(snapshot_id), timeout=600)
    snaps = restic.list_snapshots(ctx.files, host=ctx.config.host_name, tags=[f"org:{org}"])
    new = restic_output.retagged(snaps, snapshot_id)
    if new is None:
        raise restic_output.ResticError(f"restic tag: the retagged snapshot of {snapshot_id} is not listed")
    return new.id


def apply_retention(ctx: RunContext, org: str, now: datetime | None = None) -> int:
    """After every run: the keep policy over this organization's complete snapshots,
    then its incomplete snapshots that a newer complete one has superseded for
    BACKUP_KEEP_INCOMPLETE_DAYS. How many snapshots went.

    A sharded run applies the policy to every shard of its N, each shard's snapshots
    on their own (`forget` takes restic's exclusive lock, which another shard's
    running backup blocks: the last shard of the night to finish gets it, so a
    shard that waited in vain only warns)."""
    shard = ctx.config.shard
    if shard is None:
        return apply_retention_of(ctx, org, None, now)
    removed = 0
    for index in range(shard.count):
        try:
            removed += apply_retention_of(ctx, org, Shard(index, shard.count), now)
        except restic_output.ResticError as exc:
            if not restic.is_lock_failure(exc):
                raise
            log.warning("%s: retention of shard %d/%d not applied this time (%s); a shard that finishes "
                        "later applies it", org, index, shard.count, exc)
    return removed


def apply_retention_of(ctx: RunContext, org: str, shard: Shard | None, now: datetime | None) -> int:
    forgotten, _ = retention.apply_policy(ctx.files, ctx.config, org, shard, now or datetime.now(timezone.utc))
    return forgotten


def completes_the_night(ctx: RunContext, org: str, since: str) -> bool:
    """A sharded run: every shard of its N has a snapshot since `since` minus the
    window (this shard finishes the night: nobody else's backup should be running)."""
    shard = ctx.config.shard
    if shard is None:
        return True
    start = parse_rfc3339(since) - timedelta(hours=ctx.config.shard_window_hours)
    snaps = restic.list_snapshots(ctx.files, host=ctx.config.host_name, tags=[f"org:{org}"])
    present = {s.shard.index for s in snaps
               if s.shard is not None and s.shard.count == shard.count and parse_rfc3339(s.time) >= start}
    return present >= set(range(shard.count))


def prune_due(last_prune: str | None, now: datetime, every_days: int) -> bool:
    """`last_prune` is the last prune's time, or the first run's (counting starts there)."""
    if every_days == 0 or not last_prune:
        return every_days == 0
    try:
        last = datetime.fromisoformat(last_prune)
    except ValueError:
        return True
    return now - last >= timedelta(days=every_days)


def prune_if_due(ctx: RunContext, forgotten: int) -> bool:
    """`restic prune` (the expensive part of retention: it rewrites packs) only when
    snapshots were forgotten and the last prune is BACKUP_PRUNE_DAYS old; forgotten
    snapshots' data waits for it, nothing else does."""
    path = ctx.cache.prune_record
    try:
        last = json.loads(path.read_text(encoding="utf-8")).get("last")
    except (OSError, ValueError):
        last = None
    now = datetime.now(timezone.utc)
    if last is None:  # the first run with this cache: the interval starts now
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"last": now.isoformat()}), encoding="utf-8")
    if not forgotten or not prune_due(last, now, ctx.config.prune_days):
        return False
    restic.run_restic(ctx.files, restic.prune(), timeout=None)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"last": now.isoformat()}), encoding="utf-8")
    log.info("restic prune done")
    return True
