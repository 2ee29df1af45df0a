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

from . import restic
from .config import Config
from .errors import EXIT_FAILURE, EXIT_OK
from .secret_files import register_secrets, remove_secret_files, write_secret_files
from .snapshots import iso_utc, snapshot_status, utc_time


def org_statuses(snaps: list[restic.Snapshot], orgs: tuple[str, ...], *, now: datetime,
                 max_age_hours: float) -> list[dict]:
    """One row per organization (pure: the snapshots and the clock in, the rows out)."""
    by_org: dict[str, list[restic.Snapshot]] = {}
    for snap in snaps:
        if snap.org:
            by_org.setdefault(snap.org.lower(), []).append(snap)
    # Without GITHUB_ORGS: every organization with snapshots, spelt as its newest snapshot spells it.
    spelling = {s.org.lower(): s.org for s in sorted(snaps, key=lambda s: utc_time(s.time)) if s.org}
    names = list(orgs) or sorted(spelling.values(), key=str.lower)
    rows = []
    for org in names:
        mine = sorted(by_org.get(org.lower(), []), key=lambda s: utc_time(s.time))
        complete = [s for s in mine if s.complete]
        newest, good = (mine[-1] if mine else None), (complete[-1] if complete else None)
        age = (now - utc_time(good.time)).total_seconds() / 3600 if good else None
        fresh = age is not None and age <= max_age_hours
        rows.append({
            "org": org,
            "ok": fresh,
            "newest_complete": good.short_id if good else None,
            "newest_complete_time": iso_utc(good.time) if good else None,
            "age_hours": round(age, 1) if age is not None else None,
            "newest": newest.short_id if newest else None,
            "newest_status": snapshot_status(newest) if newest else None,
            "reason": None if fresh else ("no complete snapshot" if good is None
                                          else f"the newest complete snapshot is {age:.1f} hours old "
                                               f"(more than {max_age_hours:g})"),
        })
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
        lines.append(f"{'OK   ' if row['ok'] else 'STALE'} {row['org']}: {what}"
                     + (f" -- {row['reason']}" if row["reason"] and row["newest_complete"] else ""))
    return "\n".join(lines) + "\n"


def run_status(config: Config, *, max_age_hours: float, as_json: bool, now: datetime | None = None) -> int:
    register_secrets(config)
    files = write_secret_files(config)
    try:
        result = restic.run_restic(files, restic.snapshots(host=config.host_name), timeout=600)
    finally:
        remove_secret_files(files)
    rows = org_statuses(restic.parse_snapshots(result.stdout), tuple(config.orgs),
                        now=now or datetime.now(timezone.utc), max_age_hours=max_age_hours)
    ok = bool(rows) and all(row["ok"] for row in rows)
    if as_json:
        sys.stdout.write(json.dumps({"ok": ok, "max_age_hours": max_age_hours, "orgs": rows}, sort_keys=True) + "\n")
    else:
        sys.stdout.write(format_status(rows))
    sys.stdout.flush()
    return EXIT_OK if ok else EXIT_FAILURE
