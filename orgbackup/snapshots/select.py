"""Which snapshots a command takes: `select_backups` (a snapshot by id or `latest`, an
organization, a sharded organization's night of shards as one backup), the status a
snapshot's tags give, and the organization it holds. Restore, verify, status and
restore-to-github read snapshots through it."""

from __future__ import annotations

import logging
from pathlib import Path

from orgbackup.config.secret_files import SecretFiles
from orgbackup.config.settings import Config
from orgbackup.errors import BackupError
from orgbackup.snapshots.shards import BackupUnit, backup_units
from orgbackup.times import parse_rfc3339
from orgbackup.tools import restic, restic_output

log = logging.getLogger(__name__)



def snapshot_status(snap: restic_output.Snapshot) -> str:
    if "complete" in snap.tags:
        return "complete"
    if "incomplete" in snap.tags:
        return "incomplete"
    return "unknown"


class SnapshotNotFound(BackupError):
    """No snapshot matches what was asked for."""


def snapshot_org(snap: restic_output.Snapshot) -> str:
    """The organization: its `org:` tag, else the last component of its path."""
    if snap.org:
        return snap.org
    if snap.paths:
        return Path(snap.paths[0]).name
    raise SnapshotNotFound(f"snapshot {snap.short_id} names no organization (no org: tag, no path)")


def snapshots_of(config: Config, files: SecretFiles, org: str | None) -> list[restic_output.Snapshot]:
    """This host's snapshots, of one organization (its name in any case) or of all."""
    wanted = org.lower() if org else None
    snaps = [
        s for s in restic.list_snapshots(files, host=config.host_name)
        if not wanted or snapshot_org(s).lower() == wanted
    ]
    if not snaps:
        where = f" of organization {org}" if org else ""
        raise SnapshotNotFound(f"no snapshot{where} from host {config.host_name} in the restic repository")
    return snaps


def select_snapshots(
    config: Config, files: SecretFiles, *, snapshot: str, org: str | None, complete_only: bool
) -> list[restic_output.Snapshot]:
    """The snapshots to restore or verify, one per organization.

    `snapshot` is an id (or a prefix of one) or `latest`: the newest snapshot of
    each organization of this host (`complete_only`: the newest complete one).
    Organization names compare case-insensitively, as GitHub compares them.
    """
    wanted = org.lower() if org else None
    if snapshot != "latest":
        matches = [s for s in restic.list_snapshots(files) if s.id.startswith(snapshot.lower())]
        if not matches:
            raise SnapshotNotFound(f"snapshot {snapshot} is not in the restic repository")
        if len(matches) > 1:
            raise SnapshotNotFound(f"snapshot id {snapshot} is ambiguous: give more of it")
        snap = matches[0]
        if wanted and snapshot_org(snap).lower() != wanted:
            raise SnapshotNotFound(
                f"snapshot {snap.short_id} is of organization {snapshot_org(snap)}, not {org}"
            )
        return [snap]
    snaps = snapshots_of(config, files, org)
    newest: dict[str, restic_output.Snapshot] = {}
    skipped = set()
    for snap in sorted(snaps, key=lambda s: parse_rfc3339(s.time)):
        name = snapshot_org(snap)
        if complete_only and not snap.complete:
            skipped.add(name)
            continue
        newest[name] = snap
    for name in sorted(skipped - set(newest)):
        log.warning("%s: no complete snapshot, only incomplete ones (name one with --snapshot ID)", name)
    if not newest:
        where = f" of organization {org}" if org else ""
        raise SnapshotNotFound(
            f"no complete snapshot{where}; only incomplete ones (name one with --snapshot ID)"
        )
    return [newest[name] for name in sorted(newest)]


def select_backups(
    config: Config, files: SecretFiles, *, snapshot: str, org: str | None, complete_only: bool
) -> list[BackupUnit]:
    """As select_snapshots, but a sharded organization's newest set of shards
    (orgbackup/snapshots/shards.py) is one backup: restore and verify take all of its snapshots.

    `latest` with `complete_only`: each organization's newest complete backup (a
    single snapshot or a whole set); without: its newest backup, whatever it holds
    (a set missing a shard too: verify names the shard)."""
    if snapshot != "latest":
        return [BackupUnit(snapshots=[snap], time=parse_rfc3339(snap.time), member_times=[parse_rfc3339(snap.time)])
                for snap in select_snapshots(config, files, snapshot=snapshot, org=org, complete_only=False)]
    snaps = snapshots_of(config, files, org)
    by_org: dict[str, list[restic_output.Snapshot]] = {}
    spelling: dict[str, str] = {}
    for snap in sorted(snaps, key=lambda s: parse_rfc3339(s.time)):
        by_org.setdefault(snapshot_org(snap).lower(), []).append(snap)
        spelling[snapshot_org(snap).lower()] = snapshot_org(snap)
    chosen: dict[str, BackupUnit] = {}
    for key, mine in by_org.items():
        units = backup_units(mine, lambda s: parse_rfc3339(s.time), config.shard_window_hours)
        if units[-1].sharded and units[-1].missing:  # the newest night lacks a shard
            log.warning("%s: %s", spelling[key], units[-1].describe_missing())
        if complete_only:
            units = [u for u in units if u.complete]
            if not units:
                log.warning("%s: no complete snapshot, only incomplete ones (name one with --snapshot ID)",
                            spelling[key])
                continue
        chosen[spelling[key]] = units[-1]
    if not chosen:
        where = f" of organization {org}" if org else ""
        raise SnapshotNotFound(
            f"no complete snapshot{where}; only incomplete ones (name one with --snapshot ID)"
        )
    return [chosen[name] for name in sorted(chosen)]


# The table


