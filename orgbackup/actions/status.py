"""`status`: is every organization backed up, and recently? From the restic repository alone.

Per organization: the newest complete snapshot and its age, and the state of the
newest snapshot of any kind (a run that went wrong after the last good one shows
here).  Exit 0 when every organization has a complete snapshot younger than
`--max-age` hours (default 36), 1 otherwise, so that a second CronJob or a cron
line can alarm on it without reading anything else.  The organizations are
GITHUB_ORGS when set (one with no snapshot at all is stale), otherwise every
organization the repository holds snapshots of.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone

from orgbackup.tools import restic, restic_output
from orgbackup.config.secret_files import MAIN
from orgbackup.config.settings import Config
from orgbackup.errors import EXIT_FAILURE, EXIT_OK
from orgbackup.actions.session import session
from orgbackup.results import RunResult
from orgbackup.snapshots.shards import DEFAULT_WINDOW_HOURS, BackupUnit, backup_units
from orgbackup.snapshots.select import snapshot_status
from orgbackup.times import format_time, parse_rfc3339


def unit_id(unit: BackupUnit) -> str:
    """A snapshot's short id; a set of shards' as `id0+id1+...` (by shard)."""
    return "+".join(s.short_id for s in unit.snapshots)


def unit_status(unit: BackupUnit) -> str:
    if not unit.sharded:
        return snapshot_status(unit.snapshots[0])
    return "complete" if unit.complete else "incomplete"


def org_statuses(snaps: list[restic_output.Snapshot], orgs: tuple[str, ...], *, now: datetime,
                 max_age_hours: float, window_hours: float = DEFAULT_WINDOW_HOURS) -> list[dict]:
    """One row per organization (pure: the snapshots and the clock in, the rows out).

    A sharded organization's backup is a set of shards of one night (orgbackup/snapshots/shards.py):
    its age is its oldest shard's, and a newest night missing a shard is not ok (the row
    names the shard)."""
    by_org: dict[str, list[restic_output.Snapshot]] = {}
    for snap in snaps:
        if snap.org:
            by_org.setdefault(snap.org.lower(), []).append(snap)
    # Without GITHUB_ORGS: every organization with snapshots, spelt as its newest snapshot spells it.
    spelling = {s.org.lower(): s.org for s in sorted(snaps, key=lambda s: parse_rfc3339(s.time)) if s.org}
    names = list(orgs) or sorted(spelling.values(), key=str.lower)
    rows = []
    for org in names:
        units = backup_units(by_org.get(org.lower(), []), lambda s: parse_rfc3339(s.time), window_hours)
        complete = [u for u in units if u.complete]
        newest, good = (units[-1] if units else None), (complete[-1] if complete else None)
        age = (now - good.oldest_time).total_seconds() / 3600 if good else None
        fresh = age is not None and age <= max_age_hours
        missing = newest.describe_missing() if newest is not None and newest.sharded else ""
        if not fresh:
            reason = ("no complete snapshot" if good is None
                      else f"the newest complete snapshot is {age:.1f} hours old (more than {max_age_hours:g})")
            if missing:
                reason += f"; {missing}"
        else:
            reason = missing or None
        row = {
            "org": org,
            "ok": fresh and not missing,
            "newest_complete": unit_id(good) if good else None,
            "newest_complete_time": format_time(good.oldest_time) if good else None,
            "age_hours": round(age, 1) if age is not None else None,
            "newest": unit_id(newest) if newest else None,
            "newest_status": unit_status(newest) if newest else None,
            "reason": reason,
        }
        if any(u.sharded for u in units):
            row["shards"] = newest.count if newest.sharded else None
            row["missing_shards"] = newest.missing_names() if newest.sharded else []
        rows.append(row)
    return rows


def format_status(rows: list[dict]) -> str:
    if not rows:
        return "no snapshots, and GITHUB_ORGS names no organization\n"
    lines = []
    for row in rows:
        if row["newest_complete"]:
            what = (f"complete {row['newest_complete']} at {row['newest_complete_time']} "
                    f"({row['age_hours']:.1f} h ago)")
        else:
            what = "no complete snapshot"
        if row["newest"] and row["newest"] != row["newest_complete"]:
            what += f"; newest {row['newest']} is {row['newest_status']}"
        if row.get("shards") and row["newest"] == row["newest_complete"]:
            what += f" (set of {row['shards']} shards)"
        reason = row["reason"] if row["newest_complete"] else (row["reason"] or "").removeprefix(
            "no complete snapshot; ")  # what already says so
        named = row["reason"] and (row["newest_complete"] or row.get("missing_shards"))
        lines.append(f"{'OK   ' if row['ok'] else 'STALE'} {row['org']}: {what}"
                     + (f" -- {reason}" if named else ""))
    return "\n".join(lines) + "\n"


def run_status(config: Config, *, max_age_hours: float, as_json: bool, now: datetime | None = None,
               repository: str = MAIN) -> RunResult:
    """`repository`: `main` (RESTIC_REPOSITORY) or `copy` (the second copy, RESTIC_COPY_REPOSITORY):
    a copied snapshot keeps its time and tags, so the copy's status is that of what reached it."""
    with session(config) as held:
        result = restic.run_restic(held.files.of_repository(repository), restic.snapshots(host=config.host_name),
                                   timeout=600)
    rows = org_statuses(restic_output.parse_snapshots(result.stdout), tuple(config.orgs),
                        now=now or datetime.now(timezone.utc), max_age_hours=max_age_hours,
                        window_hours=config.shard_window_hours)
    ok = bool(rows) and all(row["ok"] for row in rows)
    if as_json:
        sys.stdout.write(json.dumps({"ok": ok, "max_age_hours": max_age_hours, "orgs": rows}, sort_keys=True) + "\n")
    else:
        sys.stdout.write(format_status(rows))
    sys.stdout.flush()
    return RunResult("status", EXIT_OK if ok else EXIT_FAILURE)
