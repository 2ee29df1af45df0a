"""The API budget stage: which changed repositories' metadata this run captures.

    run_budget(ctx, night) -> StageResult(BudgetPlan, [the deferred problem, if any])

The pure planner is orgbackup/backup/planning/budget.py. A run that does not fit waits for the
reset when it comes within BACKUP_RATE_LIMIT_MAX_WAIT seconds (900 by default; a progress line
every 30 s; SIGTERM still stops it) and plans again on the fresh hour; with
BACKUP_WAIT_FOR_RATE_LIMIT=true it waits however long, and the tools then wait out any later
reset themselves. Otherwise what does not fit is *deferred*: its git data is still captured, its
metadata comes first next run (a problem of class deferred).
"""

from __future__ import annotations

import logging

from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.backup.planning import budget
from orgbackup.backup.planning.changes import decisions_of
from orgbackup.errors import BackupError
from orgbackup.github.api import GitHubError
from orgbackup.github.budget_wait import reset_text, seconds_until, wait_for_reset
from orgbackup.results import DEFERRED, Problem, StageResult

log = logging.getLogger(__name__)


def read_core_budget(ctx: RunContext) -> tuple[int | None, int | None, int | None]:
    """(remaining, limit, reset) of the REST core budget now; Nones when GitHub does not say."""
    try:
        core = ctx.api.rate_limit().get("resources", {}).get("core", {})
    except GitHubError as exc:
        log.warning("could not read the rate limit: %s", exc)
        return None, None, None
    if core.get("remaining") is None:
        return None, None, None
    return int(core["remaining"]), int(core.get("limit") or 0) or None, int(core.get("reset") or 0)


def plan_the_budget(ctx: RunContext, night: OrgNight) -> budget.BudgetPlan:
    org, repos = night.org, night.plan.repos
    decisions = decisions_of(ctx, org, repos)
    store = ctx.state_store()
    candidates = []
    for repo in repos:
        decision = decisions[repo["name"]]
        if decision.reason is None:
            continue  # unchanged: github-backup skips it, its parts cost next to nothing
        state = store.row_for(org, repo)
        candidates.append(budget.Candidate(repo["name"], int(repo["id"]),
                                           budget.estimate(repo, state.last_run, decision.counts or None),
                                           state.last_run))
    remaining, limit, reset = read_core_budget(ctx)
    fixed = budget.UNCHANGED * (len(repos) - len(candidates))
    found = budget.plan_budget(candidates, remaining=remaining, limit=limit, reset=reset, fixed=fixed)
    log.info("%s: API budget %s of %s left (resets %s UTC); %d repositories to capture need about %d requests",
             org, remaining, limit, found.reset_text, len(candidates), found.needed)
    if found.deferred:
        found = wait_or_defer(ctx, org, candidates, found, reset, fixed)
    return found


def wait_or_defer(ctx: RunContext, org: str, candidates: list[budget.Candidate], found: budget.BudgetPlan,
                  reset: int | None, fixed: int) -> budget.BudgetPlan:
    """A budget too small for the run: wait for its reset when it comes within
    BACKUP_RATE_LIMIT_MAX_WAIT (or always, BACKUP_WAIT_FOR_RATE_LIMIT=true), then plan again on the
    fresh hour; else defer what does not fit (`found` as planned). `fixed`: the unchanged
    repositories' cost, as planned."""
    wait = seconds_until(reset)
    bound = ctx.config.rate_limit_max_wait
    if not reset or not (ctx.config.wait_for_rate_limit or wait <= bound):
        log.warning("%s: %s", org, found.message()
                    + (f" (its reset is {wait:.0f} s away, over BACKUP_RATE_LIMIT_MAX_WAIT={bound})" if reset else ""))
        return found
    why = ("BACKUP_WAIT_FOR_RATE_LIMIT=true" if wait > bound
           else f"its reset comes within BACKUP_RATE_LIMIT_MAX_WAIT={bound} s")
    log.warning("%s: the API budget holds %d of the %d repositories' metadata; %s: waiting %.0f s for the reset "
                "at %s UTC rather than deferring", org, len(found.granted), len(candidates), why, wait,
                reset_text(reset))
    if not wait_for_reset(wait, reset, who=org):
        raise BackupError("stopped while waiting for the API budget's reset")
    remaining, limit, reset = read_core_budget(ctx)
    if ctx.config.wait_for_rate_limit:
        # every repository now; the tools wait out any later reset themselves
        ctx.api.max_wait = max(ctx.api.max_wait, 3700.0)
        found = budget.plan_budget(candidates, remaining=None, limit=limit, reset=reset)
        found.remaining = remaining
    else:
        found = budget.plan_budget(candidates, remaining=remaining, limit=limit, reset=reset,
                                   fixed=fixed)
    log.info("%s: API budget %s of %s after the reset; capturing %d of %d repositories' metadata", org,
             remaining, limit, len(found.granted), len(candidates))
    if found.deferred:
        log.warning("%s: %s", org, found.message())
    return found
    return found


def run_budget(ctx: RunContext, night: OrgNight) -> StageResult:
    found = plan_the_budget(ctx, night)
    # Deferred is neither a failure nor silent: the snapshot is incomplete, with the reason.
    problems = [Problem(night.org, None, "budget", found.message(), DEFERRED)] if found.deferred else []
    return StageResult(found, problems)
