"""The API budget stage: which changed repositories' metadata this run captures.

    run_budget(ctx, night) -> StageResult(BudgetPlan, [the deferred problem, if any])

The pure planner is orgbackup/backup/planning/budget.py. With BACKUP_WAIT_FOR_RATE_LIMIT=true
a run that does not fit waits for the reset instead (SIGTERM still stops it), and the tools
then wait out any later reset themselves; otherwise what does not fit is *deferred*: its git
data is still captured, its metadata comes first next run (a problem of class deferred).
"""

from __future__ import annotations

import logging
import time

from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.backup.planning import budget
from orgbackup.backup.planning.changes import decisions_of
from orgbackup.errors import BackupError
from orgbackup.github.api import GitHubError
from orgbackup.results import DEFERRED, Problem, StageResult
from orgbackup.tools import process

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
    if found.deferred and ctx.config.wait_for_rate_limit:
        wait = max(1.0, (reset or 0) - time.time() + 1)
        log.warning("%s: the API budget holds %d of the %d repositories' metadata; BACKUP_WAIT_FOR_RATE_LIMIT=true: "
                    "waiting %.0f s for the reset at %s UTC", org, len(found.granted), len(candidates), wait,
                    found.reset_text)
        if not process.wait_unless_stopped(wait):
            raise BackupError("stopped while waiting for the API budget's reset")
        ctx.api.max_wait = max(ctx.api.max_wait, 3700.0)
        remaining, limit, reset = read_core_budget(ctx)
        found = budget.plan_budget(candidates, remaining=None, limit=limit, reset=reset)
        found.remaining = remaining
        log.info("%s: API budget %s of %s after the reset; capturing every repository", org, remaining, limit)
    elif found.deferred:
        log.warning("%s: %s", org, found.message())
    return found


def run_budget(ctx: RunContext, night: OrgNight) -> StageResult:
    found = plan_the_budget(ctx, night)
    # Deferred is neither a failure nor silent: the snapshot is incomplete, with the reason.
    problems = [Problem(night.org, None, "budget", found.message(), DEFERRED)] if found.deferred else []
    return StageResult(found, problems)
