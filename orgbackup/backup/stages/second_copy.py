"""The second copy (RESTIC_COPY_REPOSITORY, RESTIC_COPY_PASSWORD): after the organization's
snapshot, that snapshot goes to the copy repository with `restic copy`, and is checked there.

    run_copy(ctx, night) -> StageResult(CopyResult | None, problems)

A copy repository that does not exist yet is made with `restic init --copy-chunker-params`
from the first repository, so that what is copied deduplicates there as it does in the first
(only shard 0 of a sharded run makes it, as with the first repository).  The check: the copy
repository lists a snapshot with the first snapshot's tree, paths, host, time and tags (restic
copies a snapshot's tree unchanged, so the same tree id means the same content; the restore
drill of the copy is `verify --repository copy`).

A copy that fails is the organization's problem (part `copy`, transient): the night is
incomplete (exit 3).  The next night copies its own snapshot and every snapshot of the
organization (of the same shard) newer than the copy repository's newest that a failed night left
in the first repository only (`snapshots_to_copy`); snapshots older than the copy's newest are
not copied again (the copy's own retention may have forgotten them). A copy that holds no
snapshot of the organization yet gets all of them.  The first repository is
only read: its snapshots, tags included, stay as they were.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Iterable

from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.errors import BackupError
from orgbackup.results import Problem, StageResult
from orgbackup.times import parse_rfc3339
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
    caught_up: tuple[str, ...] = ()  # earlier snapshots (short ids) a failed night had left uncopied

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


def snapshots_to_copy(tonight: Snapshot, first: Iterable[Snapshot], copied: Iterable[Snapshot]) -> list[Snapshot]:
    """What goes to the copy repository tonight (pure), oldest first: tonight's snapshot, and the
    organization's snapshots of the same shard that are newer than the copy's newest of that shard
    and not in the copy (a failed night's; an older one the copy's own retention forgot stays
    forgotten). With no snapshot of the shard in the copy yet (its first night, or every night
    since failed), all of them: the history the first repository keeps."""
    def ours(snap: Snapshot) -> bool:  # the same organization, the same shard (None: not sharded)
        return snap.org == tonight.org and snap.shard == tonight.shard

    first, copied = [s for s in first if ours(s)], [s for s in copied if ours(s)]
    tonights = copy_of(tonight, copied)
    newest = max((parse_rfc3339(s.time) for s in copied if s is not tonights), default=None)
    tonight_time = parse_rfc3339(tonight.time)
    missed = [s for s in first if s.id != tonight.id and copy_of(s, copied) is None
              and (newest is None or newest < parse_rfc3339(s.time)) and parse_rfc3339(s.time) < tonight_time]
    return sorted(missed, key=lambda s: parse_rfc3339(s.time)) + ([] if tonights else [tonight])


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
    tags = [f"org:{org}"]
    first = restic.list_snapshots(ctx.files, host=ctx.config.host_name, tags=tags)
    source = next((s for s in first if s.id.startswith(snapshot_id)), None)
    if source is None:
        raise ResticError(f"snapshot {snapshot_id} is not listed in the first repository")
    todo = snapshots_to_copy(source, first, restic.list_snapshots(target, host=ctx.config.host_name, tags=tags))
    earlier = tuple(s.short_id for s in todo if s.id != source.id)
    if earlier:
        log.info("%s: the copy repository lacks %d earlier snapshots of nights whose copy failed: %s",
                 org, len(earlier), ", ".join(earlier))
    log.info("%s: restic copy of snapshot %s into the copy repository", org, ", ".join([*earlier, snapshot_id]))
    restic.run_restic(target, restic.copy(ctx.files, [s.id for s in todo]), timeout=None)
    copied = restic.list_snapshots(target, host=ctx.config.host_name, tags=tags)
    for snap in todo:
        if copy_of(snap, copied) is None:
            raise ResticError(f"restic copy: the copy repository lists no snapshot with the tree of {snap.short_id}")
    found = copy_of(source, copied)
    log.info("%s: snapshot %s copied: %s in the copy repository, same tree", org, snapshot_id, found.short_id)
    return CopyResult(COPIED, snapshot_id, found.short_id, created, caught_up=earlier)
