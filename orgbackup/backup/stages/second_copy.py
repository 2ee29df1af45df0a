"""The second copy (RESTIC_COPY_REPOSITORY, RESTIC_COPY_PASSWORD): after the organization's
snapshot, that snapshot goes to the copy repository with `restic copy`, and is checked there.

    run_copy(ctx, night) -> StageResult(CopyResult | None, problems)

A copy repository that does not exist yet is made with `restic init --copy-chunker-params`
from the first repository, so that what is copied deduplicates there as it does in the first
(only shard 0 of a sharded run makes it, as with the first repository).  The check: the copy
repository lists a snapshot with the first snapshot's tree, paths, host, time and tags (restic
copies a snapshot's tree unchanged, so the same tree id means the same content; the restore
drill of the copy is `verify --repository copy`).

A copy that fails is the organization's problem (part `copy`, transient: the next night copies
its own snapshot): the night is incomplete (exit 3).  The first repository is only read: its
snapshot, tag included, stays as it was.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Iterable

from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.errors import BackupError
from orgbackup.results import Problem, StageResult
from orgbackup.tools import process, restic
from orgbackup.tools.restic_output import ResticError, Snapshot

log = logging.getLogger(__name__)

PART = "copy"
COPIED, FAILED = "copied", "failed"


@dataclass(frozen=True)
class CopyResult:
    state: str  # copied | failed
    source_id: str  # the first repository's snapshot (short id)
    snapshot_id: str | None = None  # its copy in the copy repository (short id)
    created: bool = False  # the copy repository was made tonight
    reason: str = ""  # why it failed

    def as_dict(self) -> dict:
        return asdict(self)


def copy_of(source: Snapshot, candidates: Iterable[Snapshot]) -> Snapshot | None:
    """The copy repository's snapshot of `source` (pure): the same tree, paths, host, time and
    tags (restic copy keeps them; the copy's own id differs, its `original` names the source)."""
    for snap in candidates:
        if (snap.tree and snap.tree == source.tree and snap.paths == source.paths and snap.host == source.host
                and snap.time == source.time and sorted(snap.tags) == sorted(source.tags)):
            return snap
    return None


def failure_problem(org: str, snapshot_id: str, why: str) -> Problem:
    return Problem(org, None, PART, f"the second copy (RESTIC_COPY_REPOSITORY) failed: {why}; snapshot "
                                    f"{snapshot_id} is in the first repository only, unchanged")


def run_copy(ctx: RunContext, night: OrgNight) -> StageResult:
    """The stage: nothing without a copy repository; else the night's snapshot copied and checked."""
    snap = night.snapshot
    if not ctx.files.has_copy or snap is None or not snap.snapshot_id:
        return StageResult(None, [])
    try:
        return StageResult(copy_snapshot(ctx, night.org, snap.snapshot_id), [])
    except BackupError as exc:  # restic's error, a copy that is not there: the first snapshot is safe
        why = process.mask(str(exc))
        log.error("%s: the second copy of snapshot %s failed: %s", night.org, snap.snapshot_id, why)
        return StageResult(CopyResult(FAILED, snap.snapshot_id, reason=why),
                           [failure_problem(night.org, snap.snapshot_id, why)])


def copy_snapshot(ctx: RunContext, org: str, snapshot_id: str) -> CopyResult:
    target = ctx.files.copy_side()
    shard = ctx.config.shard
    created = restic.ensure_repository(target, may_create=shard is None or shard.index == 0,
                                       create=restic.init_copy(ctx.files), password_name="RESTIC_COPY_PASSWORD")
    if created:
        log.info("%s: copy repository initialised with the first repository's chunker parameters", org)
    log.info("%s: restic copy of snapshot %s into the copy repository", org, snapshot_id)
    restic.run_restic(target, restic.copy(ctx.files, [snapshot_id]), timeout=None)
    tags = [f"org:{org}"]
    source = next((s for s in restic.list_snapshots(ctx.files, host=ctx.config.host_name, tags=tags)
                   if s.id.startswith(snapshot_id)), None)
    if source is None:
        raise ResticError(f"snapshot {snapshot_id} is not listed in the first repository")
    found = copy_of(source, restic.list_snapshots(target, host=ctx.config.host_name, tags=tags))
    if found is None:
        raise ResticError(f"restic copy: the copy repository lists no snapshot with the tree of {snapshot_id}")
    log.info("%s: snapshot %s copied: %s in the copy repository, same tree", org, snapshot_id, found.short_id)
    return CopyResult(COPIED, snapshot_id, found.short_id, created)
