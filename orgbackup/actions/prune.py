"""`prune`: the keep policy over every organization's snapshots, then `restic prune`, run apart
from the backup with credentials that may delete (docs/security.md, "A stolen backup host").

With BACKUP_RETENTION=separate the backup never forgets or prunes, so its credentials may be
append-only (restic's REST server with --append-only, `rclone serve restic --append-only`);
this command, in a job of its own with its own RESTIC_REPOSITORY(_FILE) and
RESTIC_PASSWORD(_FILE), applies BACKUP_KEEP_* to every organization the repository holds
snapshots of (of BACKUP_HOST_NAME; each shard of a sharded organization on its own), as the
backup would (orgbackup/snapshots/retention.py), then prunes.

restic's keep policy trusts the snapshots' times, which whoever adds a snapshot chooses: a
stolen backup host can add snapshots dated so that they take the real ones' places in the
policy. So the prune job
- keeps every snapshot within BACKUP_PRUNE_KEEP_WITHIN (default 30d) of the newest
  (`restic forget --keep-within`; an incomplete snapshot younger than that stays too), and
- refuses to act when any snapshot of the repository is dated more than FUTURE_TOLERANCE
  ahead of its own clock (such a snapshot would also carry the --keep-within window past the
  real ones): exit 1, one line naming the snapshots, nothing forgotten.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime, timedelta, timezone

from orgbackup.actions.session import session
from orgbackup.config.settings import Config
from orgbackup.errors import EXIT_OK, BackupError
from orgbackup.results import RunResult
from orgbackup.snapshots import retention
from orgbackup.snapshots.shards import Shard
from orgbackup.times import format_time, parse_rfc3339
from orgbackup.tools import restic, restic_output
from orgbackup.words import counted

log = logging.getLogger(__name__)

# The clocks of the backup host and the prune job may differ by this much; a snapshot dated
# further ahead of the prune job's clock stops it.
FUTURE_TOLERANCE = timedelta(hours=1)


class PruneRefused(BackupError):
    """A snapshot dated in the future: nothing was forgotten (exit 1)."""


def future_snapshots(snaps: list[restic_output.Snapshot], now: datetime,
                     tolerance: timedelta = FUTURE_TOLERANCE) -> list[restic_output.Snapshot]:
    """The snapshots dated more than `tolerance` after `now`, furthest first."""
    ahead = [s for s in snaps if parse_rfc3339(s.time) > now + tolerance]
    return sorted(ahead, key=lambda s: parse_rfc3339(s.time), reverse=True)


def refusal(future: list[restic_output.Snapshot], now: datetime) -> str:
    """The one line of a refused prune."""
    named = ", ".join(
        f"{s.short_id} ({s.org or 'no organization'}, {format_time(parse_rfc3339(s.time))}, "
        f"{(parse_rfc3339(s.time) - now).total_seconds() / 3600:.1f} h ahead)" for s in future[:3])
    more = f" and {len(future) - 3} more" if len(future) > 3 else ""
    return (f"prune refused, nothing forgotten: {counted(len(future), 'snapshots')} dated in the future "
            f"(more than {FUTURE_TOLERANCE.total_seconds() / 3600:g} h ahead of this clock, "
            f"{format_time(now)}): {named}{more}. A snapshot's time is whatever its writer said, and one "
            f"from the future would push real snapshots out of the keep policy; check the backup "
            f"host's clock and where the snapshot came from (restic snapshots), then forget it by hand")


def policy_groups(snaps: list[restic_output.Snapshot], host: str) -> list[tuple[str, Shard | None]]:
    """(organization, shard) of every group the keep policy applies to: each organization
    with snapshots of `host`, each of its shards on its own (None: unsharded)."""
    groups = {(s.org, s.shard) for s in snaps if s.org and s.host == host}
    return sorted(groups, key=lambda g: (g[0].lower(), g[0], g[1] is not None, g[1] and (g[1].count, g[1].index)))


def kept_counts(snaps: list[restic_output.Snapshot], host: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in snaps:
        if s.org and s.host == host:
            counts[s.org] = counts.get(s.org, 0) + 1
    return counts


def policy_text(config: Config) -> str:
    r = config.retention
    return (f"keep daily {r.daily}, weekly {r.weekly}, monthly {r.monthly}, yearly {r.yearly}, "
            f"within {config.prune_keep_within} of the newest; incomplete after {r.incomplete_days} days")


def report(rows: list[dict], config: Config, seconds: float) -> str:
    lines = [f"prune: {policy_text(config)}"]
    for row in rows:
        lines.append(f"  {row['org']}: {counted(row['forgotten'], 'snapshots')} forgotten "
                     f"({row['incomplete_forgotten']} incomplete), {row['kept']} kept")
    if not rows:
        lines.append(f"  no snapshots of host {config.host_name}")
    lines.append("restic prune: done")
    lines.append(json.dumps({
        "event": "prune_summary", "exit_status": EXIT_OK, "seconds": round(seconds, 1),
        "host": config.host_name, "keep_within": config.prune_keep_within,
        "keep": {"daily": config.retention.daily, "weekly": config.retention.weekly,
                 "monthly": config.retention.monthly, "yearly": config.retention.yearly,
                 "incomplete_days": config.retention.incomplete_days},
        "orgs": rows, "pruned": True,
    }, sort_keys=True))
    return "\n".join(lines) + "\n"


def run_prune(config: Config, *, now: datetime | None = None) -> RunResult:
    clock = time.monotonic()
    now = now or datetime.now(timezone.utc)
    rows = []
    with session(config) as held:
        snaps = restic.list_snapshots(held.files)
        future = future_snapshots(snaps, now)
        if future:
            raise PruneRefused(refusal(future, now))
        forgotten: dict[str, list[int]] = {}
        for org, shard in policy_groups(snaps, config.host_name):
            gone, incomplete = retention.apply_policy(held.files, config, org, shard, now,
                                                      keep_within=config.prune_keep_within)
            total = forgotten.setdefault(org, [0, 0])
            total[0] += gone
            total[1] += incomplete
        kept = kept_counts(restic.list_snapshots(held.files, host=config.host_name), config.host_name)
        log.info("restic prune")
        restic.run_restic(held.files, restic.prune(), timeout=None)
    for org, (gone, incomplete) in forgotten.items():
        rows.append({"org": org, "forgotten": gone, "incomplete_forgotten": incomplete, "kept": kept.get(org, 0)})
    summary = report(rows, config, time.monotonic() - clock)
    sys.stdout.write(summary)
    sys.stdout.flush()
    return RunResult("prune", EXIT_OK, seconds=time.monotonic() - clock, summary=summary)
