"""The API budget planner: which repositories get their metadata this run.

Git data (clones, LFS objects, wikis) costs no REST budget; metadata does:
github-backup's issues, pulls, labels, milestones and releases, and the wrapper's
metadata parts (settings, commit comments, reviews, discussions) and pull request
conversation comments.  Before spending, the run reads its core budget
(`/rate_limit`: remaining, limit, reset) and estimates what each repository that
changed needs (`estimate`).  `plan_budget` is pure: it grants repositories in a
fair order while the budget, less a reserve for the organization's own parts,
verify-and-repair and the snapshot, lasts; the rest are *deferred*: their git data
is still captured (verify-and-repair clones and fetches them), their metadata
waits for a later night.  Nothing is remembered apart: a deferred repository keeps
no `last_run` (never captured) or an old one, so the fair order puts it first
next time, and the nights converge.

Fair order: never captured first (by repository id: the oldest repository first),
then the oldest last capture.  First fit: a repository that does not fit is passed
over for smaller ones behind it, except one that needs more than a whole hour's
budget: when it heads the order it is granted alone (it cannot fit any other way;
the tools wait for the reset in the middle of it).

Estimates, measured on the emulator's worlds (github-backup 0.40.0 with every part
plus the wrapper's parts).  Without GitHub's counts a first capture is guessed at 25
requests plus 3 per open issue or pull request (`open_issues_count` counts open ones
only, hence the margin); with them (the change decision's GraphQL query, every issue and
pull request counted, closed ones too) it follows what the capture will ask
(`counted_first_capture`).  An unchanged repository costs next to nothing (the change
decision's one request is spent before the budget is read; `UNCHANGED` counts its share
of the rotation's refreshes).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

FIRST_BASE = 25  # requests of a first capture of an empty repository (measured: 21)
PER_OPEN_ISSUE = 3  # issue or pull request: itself, comments, events (measured: ~2.5)
CHANGED_BASE = 25  # a captured repository that changed: the same trains, incremental
PER_OPEN_ISSUE_CHANGED = 1
UNCHANGED = 2  # an unchanged repository: its share of the rotation's settings and commit-comment refreshes
# With GitHub's counts of the repository's listings (changes.py, this run): listings counted
# empty are not asked for, so a first capture costs a fixed part, a page per 100 entries of
# each listing that holds something, a request per entry of the listings whose entries have
# their own (a release's assets, an environment's variables, a ruleset, a protected branch),
# the issues with their comments and events as pages of the repository's listings
# (orgbackup/tools/github_backup/listings.py), and per pull request its details, commits and reviews.
# Measured at 1,000 repositories of the benchmark's scale world: 7,374 requests, 7.4 each.
#
# The fixed part: the repository, hooks, teams (from the organization's team listings where
# that is cheaper: orgbackup/backup/parts/team_access.py), autolinks, Actions variables and
# secrets; collaborators come from GraphQL (parts/settings_listings.py).
COUNTED_FIXED = 6
# Listings read from GraphQL for many repositories at once (their entries may still cost a
# request each: a ruleset's rules): no REST page of theirs
LISTED_OVER_GRAPHQL = frozenset({"labels", "rulesets"})
PAGE = 100
PER_ENTRY = {"releases": 3, "environments": 1, "rulesets": 1, "branch_protection_rules": 2}  # assets: 2 a guess
COMMENTS_PER_ITEM = 3  # a guess on the high side: the listings of comments and events are paged
PER_PULL = 3
RESERVE_SHARE = 0.10  # of the hourly limit: verify-and-repair, the organization's parts, retries
RESERVE_MIN = 50


@dataclass(frozen=True)
class Candidate:
    """A repository whose metadata this run should capture."""

    name: str
    repo_id: int
    estimate: int  # requests
    last_capture: str | None  # the last good github-backup run (None: never captured)


@dataclass
class BudgetPlan:
    remaining: int | None
    limit: int | None
    reset: int | None  # epoch seconds
    reserve: int
    granted: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    needed: int = 0  # what every candidate would cost
    planned: int = 0  # what the granted ones are expected to cost

    @property
    def reset_text(self) -> str:
        return time.strftime("%H:%M", time.gmtime(self.reset or 0))

    def message(self) -> str:
        names = ", ".join(self.deferred)
        return (f"deferred {len(self.deferred)} repositories' metadata: API budget {self.remaining} left of "
                f"{self.limit}, resets {self.reset_text} UTC (this run needs about {self.needed}; "
                f"git data of every repository captured; the deferred come first next run): {names}")

    def as_dict(self) -> dict:
        return {"remaining": self.remaining, "limit": self.limit, "reset": self.reset, "reserve": self.reserve,
                "needed": self.needed, "planned": self.planned, "granted": list(self.granted),
                "deferred": list(self.deferred)}


def estimate(repo: dict, last_capture: str | None, counts: dict[str, int] | None = None) -> int:
    """Requests one repository's metadata capture needs: from GitHub's counts of its listings
    when this run has them (a first capture), else a conservative guess from the listing."""
    open_items = int(repo.get("open_issues_count") or 0)
    if last_capture is None and counts and "issues" in counts and "pulls" in counts:
        return counted_first_capture(counts) + (1 if repo.get("has_pages") else 0)
    if last_capture is None:
        return FIRST_BASE + PER_OPEN_ISSUE * open_items
    return CHANGED_BASE + PER_OPEN_ISSUE_CHANGED * open_items


def pages(entries: int) -> int:
    return math.ceil(entries / PAGE) if entries > 0 else 0


def counted_first_capture(counts: dict[str, int]) -> int:
    """A first capture's requests from GitHub's counts of the repository's listings."""
    issues, pulls = counts["issues"], counts["pulls"]
    items = issues + pulls
    total = COUNTED_FIXED
    for kind, n in counts.items():
        if kind not in ("issues", "pulls"):
            total += (0 if kind in LISTED_OVER_GRAPHQL else pages(n)) + PER_ENTRY.get(kind, 0) * n
    if items:  # the issue listing (pull requests in it), the repository's comments and events
        total += pages(items) + 2 * pages(COMMENTS_PER_ITEM * items)
    if pulls:  # the pull listing, the repository's review comments, and each one's own three
        total += pages(pulls) + pages(COMMENTS_PER_ITEM * pulls) + PER_PULL * pulls
    return total


def reserve_for(limit: int | None) -> int:
    return max(RESERVE_MIN, math.ceil(RESERVE_SHARE * (limit or 0)))


def fair_order(candidates: list[Candidate]) -> list[Candidate]:
    """Never captured first (oldest repository id first), then the oldest last capture."""
    return sorted(candidates, key=lambda c: (c.last_capture is not None, c.last_capture or "", c.repo_id))


def plan_budget(candidates: list[Candidate], *, remaining: int | None, limit: int | None,
                reset: int | None, fixed: int = 0) -> BudgetPlan:
    """Grant in fair order what fits in `remaining` less the reserve and the `fixed` cost
    (what the unchanged repositories spend anyway); defer the rest.  An unknown budget
    (GitHub did not say) grants everything."""
    reserve = reserve_for(limit) + fixed
    plan = BudgetPlan(remaining, limit, reset, reserve, needed=sum(c.estimate for c in candidates))
    ordered = fair_order(candidates)
    if remaining is None:
        plan.granted = [c.name for c in ordered]
        plan.planned = plan.needed
        return plan
    available = remaining - reserve
    whole_hour = (limit or remaining) - reserve
    for index, candidate in enumerate(ordered):
        oversized = candidate.estimate > whole_hour
        if candidate.estimate <= available - plan.planned or (oversized and index == 0):
            plan.granted.append(candidate.name)
            plan.planned += candidate.estimate
            if oversized:
                plan.deferred += [c.name for c in ordered[1:]]
                break
        else:
            plan.deferred.append(candidate.name)
    return plan
