"""Freshness as a budget decision (pure): which parts GitHub gave no change signal for are
read again tonight, beyond what changed, is new or is due on the rotation.

Access (collaborators, teams, protection, keys, environments, Actions variables) changes
without bumping the repository's `updated_at`, so a mark cannot tell that it changed.
Each night spends a share (BACKUP_FRESHNESS_BUDGET_SHARE, percent) of the REST budget that
is left after what changed (less the planner's reserve, budget.reserve_for) reading such
parts again, the oldest-read first; the rotation (BACKUP_FULL_REFRESH_DAYS) still bounds the
oldest. A part read less than BACKUP_FRESH_HOURS ago counts as fresh: a re-run within the
night reads nothing again. When GitHub does not say what is left, everything stale is read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from orgbackup.backup.planning.budget import reserve_for
from orgbackup.times import parse_time

# Requests of one refresh, on the high side of what was measured on the emulator's worlds: a
# repository's settings 6.0 on average in the default world, about 4.1 at 300 repositories of
# the scale shape (listings GitHub counted empty are not asked for; collaborators and rulesets'
# ids from GraphQL: parts/repository_settings.py, settings_listings.py), 10 with everything;
# the organization's 19 in the default world (about 10 plus 3 per team).
REFRESH_COST = {"settings": 7, "organization": 20}
DEFAULT_COST = 2


@dataclass(frozen=True)
class Stale:
    """One part of one repository that no mark says changed, read at `read` (a run's start)."""

    part: str
    name: str
    slot: int  # the repository id (ties: the oldest repository first)
    read: str


def cost_of(part: str) -> int:
    return REFRESH_COST.get(part, DEFAULT_COST)


def is_stale(read: str | None, *, fresh_hours: int, now: datetime) -> bool:
    """Read at least `fresh_hours` ago (0: read before now); never read counts as stale."""
    if not read:
        return True
    try:
        when = parse_time(read[:19] + "Z")
    except ValueError:
        return True
    return now - when >= timedelta(hours=fresh_hours) if fresh_hours > 0 else when < now


def allowance(*, remaining: int | None, limit: int | None, planned: int, share: int) -> int | None:
    """Requests tonight's freshness may spend: `share` percent of what is left after the
    planned refreshes and the reserve; None: GitHub did not say (no bound)."""
    if remaining is None:
        return None
    left = remaining - reserve_for(limit) - planned
    return max(0, math.floor(left * share / 100))


def oldest_first(stale: list[Stale], spend: int | None) -> tuple[list[Stale], list[Stale]]:
    """(read again tonight, kept as they are): the oldest-read first while `spend` lasts
    (None: all). In order, without passing over: what is not read tonight is younger than
    all that is."""
    ordered = sorted(stale, key=lambda s: (s.read, s.slot, s.part))
    if spend is None:
        return ordered, []
    taken, used = [], 0
    for index, item in enumerate(ordered):
        if used + cost_of(item.part) > spend:
            return taken, ordered[index:]
        taken.append(item)
        used += cost_of(item.part)
    return taken, []
