"""The keep policy over one organization's snapshots: what the backup applies after its
snapshot (orgbackup/backup/stages/snapshot.py, BACKUP_RETENTION=here) and the prune job
for every organization (orgbackup/actions/prune.py), the same code for both.

`restic forget --tag org:<ORG>,complete --keep-*` over the complete snapshots, then the
incomplete snapshots a newer complete one supersedes (`restic_output.incomplete_to_forget`).
The prune job adds a floor (`keep_within`, BACKUP_PRUNE_KEEP_WITHIN): restic's
`--keep-within` keeps every complete snapshot within it of the newest, and no incomplete
snapshot younger than it is forgotten either.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from orgbackup.config.secret_files import SecretFiles
from orgbackup.config.settings import Config
from orgbackup.snapshots.shards import Shard
from orgbackup.tools import restic, restic_output
from orgbackup.times import parse_rfc3339
from orgbackup.words import counted

log = logging.getLogger(__name__)

# restic's duration units, each at its longest (a month is 31 days, a year 366) so that the
# floor on incomplete snapshots keeps at least what restic's calendar arithmetic keeps.
_UNIT_DAYS = {"y": 366, "m": 31, "d": 1}


def duration(text: str) -> timedelta:
    """A restic duration (`30d`, `1y2m`, `48h`) as a timedelta, each unit at its longest."""
    total = timedelta()
    for number, unit in re.findall(r"(\d+)([ymdh])", text):
        total += timedelta(hours=int(number)) if unit == "h" else timedelta(days=int(number) * _UNIT_DAYS[unit])
    return total


def within_floor(snaps: list[restic_output.Snapshot], ids: list[str], now: datetime,
                 keep_within: str | None) -> list[str]:
    """`ids` less the snapshots younger than the floor (all of them without one)."""
    if not keep_within:
        return ids
    cutoff = now - duration(keep_within)
    young = {s.id for s in snaps if parse_rfc3339(s.time) >= cutoff}
    return [i for i in ids if i not in young]


def check_deleted(forgotten: list[str], snaps: list[restic_output.Snapshot]) -> None:
    """ResticError when a snapshot `restic forget` removed is still listed: the storage refused
    to delete it (restic 0.17+ only warns "unable to remove" and exits 0; 0.14 retries the 403
    for about 40 s and fails)."""
    left = sorted({s.short_id for s in snaps if s.id in set(forgotten)})
    if left:
        raise restic_output.ResticError(
            f"restic forget: the repository did not delete {counted(len(left), 'snapshots')} ({', '.join(left)}): "
            "its credentials may add but not delete (an append-only server?); with BACKUP_RETENTION=separate "
            "the backup leaves forget and prune to `entrypoint.py prune`, run with credentials that may delete")


def apply_policy(files: SecretFiles, config: Config, org: str, shard: Shard | None, now: datetime, *,
                 keep_within: str | None = None) -> tuple[int, int]:
    """The keep policy over one organization's (one shard's) snapshots: (snapshots forgotten,
    of them incomplete)."""
    retention = config.retention
    what = f"{org} (shard {shard})" if shard else org
    removed: list[str] = []
    if retention.keeps_everything:
        log.info("%s: every complete snapshot is kept (BACKUP_KEEP_DAILY/WEEKLY/MONTHLY/YEARLY are 0)", what)
    else:
        argv = restic.forget(retention, host=config.host_name, org=org, shard=shard, keep_within=keep_within)
        removed += restic_output.forgotten_snapshots(restic.run_restic(files, argv, timeout=None).stdout)
    tags = [f"org:{org},{shard.tag}" if shard else f"org:{org}"]

    def listed() -> list[restic_output.Snapshot]:
        return [s for s in restic.list_snapshots(files, host=config.host_name, tags=tags) if s.shard == shard]

    snaps = listed()
    check_deleted(removed, snaps)
    stale = within_floor(snaps, restic_output.incomplete_to_forget(snaps, now, retention.incomplete_days),
                         now, keep_within)
    if stale:
        restic.run_restic(files, restic.forget_snapshots(stale), timeout=None)
        check_deleted(stale, listed())
        removed += stale
    log.info("%s: retention applied (%d snapshot(s) forgotten, %d of them incomplete)", what, len(removed), len(stale))
    return len(removed), len(stale)
