"""The Git LFS bandwidth planner: which missing LFS objects this night downloads.

GitHub bills Git LFS bandwidth to the repository's owner by calendar month (10 GiB a month on
free plans, 250 GiB on Team and Enterprise Cloud); an account without a payment method that
goes over has Git LFS disabled for everyone until the next month. BACKUP_LFS_MONTHLY_BYTES is
the backup's share of it: the state store counts the bytes downloaded per organization and UTC
month (orgbackup/cache/state_store.py, `lfs_usage`), and a night downloads only what the
month's remainder holds. The sizes are known before any download: each missing object's LFS
pointer names its size (`git lfs ls-files --all --json`), and only objects the cache lacks
cost bandwidth.

Fair order: the repository with the fewest missing bytes first, its objects smallest first;
objects that do not fit are passed over for smaller ones behind them (first fit). Why: the
most repositories become whole soonest (a deferred repository is a named gap), a repository
left half-fetched has fewer bytes missing the next night, so it moves ahead and the nights
converge; a repository larger than a whole month's budget still gets objects each month.
What does not fit is *deferred* to a later night (a problem of class deferred, named with
its bytes and the month's reset); a new month gives a fresh budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone


def month_key(moment: datetime) -> str:
    """The UTC calendar month GitHub's LFS quota counts in: '2026-12'."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m")


def month_reset(month: str) -> str:
    """The day the month's budget resets (the next month's first day, UTC): '2027-01-01'."""
    year, number = (int(part) for part in month.split("-"))
    year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return f"{year:04d}-{number:02d}-01"


@dataclass
class LfsPlan:
    """What the night downloads (`granted`, per repository the oids) and what waits (`deferred`,
    per repository the oids and their bytes)."""

    limit: int | None
    used_before: int
    granted: dict[str, dict[str, int]] = field(default_factory=dict)
    deferred: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def granted_bytes(self) -> int:
        return sum(sum(oids.values()) for oids in self.granted.values())

    @property
    def deferred_bytes(self) -> int:
        return sum(sum(oids.values()) for oids in self.deferred.values())


def plan_lfs(missing: dict[str, dict[str, int]], *, limit: int | None, used: int) -> LfsPlan:
    """`missing`: per repository {oid: size} of the LFS objects the cache lacks. Pure."""
    plan = LfsPlan(limit, used)
    if limit is None:
        plan.granted = {name: dict(oids) for name, oids in missing.items() if oids}
        return plan
    left = max(0, limit - used)
    for name in sorted(missing, key=lambda n: (sum(missing[n].values()), n)):
        for oid, size in sorted(missing[name].items(), key=lambda item: (item[1], item[0])):
            if size <= left:
                plan.granted.setdefault(name, {})[oid] = size
                left -= size
            else:
                plan.deferred.setdefault(name, {})[oid] = size
    return plan


def deferred_message(oids: dict[str, int], month: str, limit: int) -> str:
    """One deferred repository's line: its objects, bytes left and when the budget resets."""
    return (f"{len(oids)} LFS object(s), {sum(oids.values())} bytes, deferred by the LFS budget "
            f"(BACKUP_LFS_MONTHLY_BYTES={limit} for {month}); fetched on later nights, "
            f"the budget resets {month_reset(month)} 00:00 UTC")
