"""The `backup` command: preflight, then each organization's night (orgbackup/backup/pipeline.py),
then restic prune when due (never with BACKUP_RETENTION=separate), the summary, and the verify after the backup when configured.

One organization failing does not stop the others; problems are collected and only turned
into an exit status at the end, by the one status rule (orgbackup/results.py: 0 complete,
3 incomplete, 1 failed).
"""

from __future__ import annotations

import logging
import sys
import time
from contextlib import ExitStack, contextmanager

from orgbackup.backup.context import RunContext
from orgbackup.backup.pipeline import back_up_organization
from orgbackup.backup.stages import snapshot
from orgbackup.backup.stages.preflight import run_preflight
from orgbackup.backup.stages.summary import OrgOutcome, render_table, summary_line
from orgbackup.actions.session import session
from orgbackup.config.settings import RETENTION_HERE, Config
from orgbackup.errors import EXIT_FAILURE, EXIT_OK, BackupError
from orgbackup.github.api import GitHubAPI
from orgbackup.github.credentials import credentials_for
from orgbackup.results import OrgResult, RunResult, exit_status
from orgbackup.times import utc_now
from orgbackup.tools import process
from orgbackup.tools.versions import tool_versions

log = logging.getLogger(__name__)


def exit_status_of(outcomes: list[OrgOutcome]) -> int:
    return exit_status(o.state for o in outcomes)


def report(outcomes: list[OrgOutcome], status: int, seconds: float) -> str:
    """Print the tables and the summary line; return what was printed (monitoring sends it)."""
    lines = []
    for outcome in outcomes:
        lines.append(render_table(outcome))
        if outcome.leaked_files:
            lines.append(f"  SECRET FOUND: these files hold the token and were NOT backed up: "
                         f"{', '.join(outcome.leaked_files)}")
    lines.append(summary_line(outcomes, status, seconds))
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    sys.stdout.flush()
    return text


def org_result(outcome: OrgOutcome) -> OrgResult:
    d = outcome.as_dict()
    return OrgResult(
        org=outcome.org,
        state=outcome.state,
        repositories=d["repositories"],
        problems=list(d["problem_list"]),
        bytes_added=int(outcome.data_added or 0),
        snapshot_id=outcome.snapshot_id,
        lfs=dict(outcome.lfs),
        copy=dict(outcome.copy),
    )


def completes_the_night(ctx: RunContext, outcomes: list[OrgOutcome]) -> bool:
    """Whether this run is the night's last: always unsharded; a shard when it finds every
    shard's snapshot of the night present.  `restic prune` holds restic's exclusive lock for
    long and the verify after the backup reads the whole set: both are the last shard's
    (the others' backups are over; one still running would have to wait for the lock)."""
    if ctx.config.shard is None:
        return True
    done = [o.org for o in outcomes if o.snapshot_id]
    if all(snapshot.completes_the_night(ctx, org, ctx.started) for org in done):
        return True
    log.info("restic prune and the verify after the backup are left to the last shard of the night "
             "(shard %s is not)", ctx.config.shard)
    return False


@contextmanager
def reported_if_it_fails(config: Config, clock: float):
    """A run that ends before any organization's backup (the lock taken, the token rejected,
    GitHub or the restic repository not usable) still prints every organization's table,
    failed with the reason, and the JSON line, as a run whose organization does not exist
    does; then the error rises to main (its one line and exit status)."""
    try:
        yield
    except BackupError as exc:
        why = process.mask(str(exc))
        report([OrgOutcome(org, error=why) for org in config.orgs], exc.exit_status, time.monotonic() - clock)
        raise


def run_backup(config: Config) -> RunResult:
    clock = time.monotonic()
    with ExitStack() as held:
        with reported_if_it_fails(config, clock):
            # One run per cache (the lock), every program trusting GITHUB_CA_BUNDLE.
            run = held.enter_context(session(config, lock=config.cache_dir, trust=True))
            credentials = credentials_for(config, run.files.token_file, run.verify)
            held.callback(credentials.close)
            ctx = RunContext(
                config=config,
                files=run.files,
                api=GitHubAPI(config.api_url, credentials.current_token, verify=run.verify,
                              max_wait=float(config.rate_limit_max_wait)),
                started=utc_now(),
                tool_versions=tool_versions(),
                credentials=credentials,
            )
            preflight = run_preflight(ctx)
        outcomes = [OrgOutcome(org, error=why) for org, why in preflight.unavailable.items()]
        outcomes += [back_up_organization(ctx, plan) for plan in preflight.plans.values()]
        last_of_night = True
        try:
            last_of_night = completes_the_night(ctx, outcomes)
            if last_of_night and config.retention_mode == RETENTION_HERE:  # else the prune job's
                snapshot.prune_if_due(ctx, sum(o.forgotten for o in outcomes))
        except BackupError as exc:  # the snapshots are safe; the space comes back next time
            log.warning("restic prune failed: %s", exc)
        ctx.state_store().close()
    status = exit_status_of(outcomes)
    seconds = time.monotonic() - clock
    log.info("API requests made by the wrapper itself: %d", ctx.api.requests_made)
    summary = report(outcomes, status, seconds)
    if config.verify_after_backup and status != EXIT_FAILURE and last_of_night:
        from orgbackup.actions.verify import run_verify

        verified = run_verify(config, snapshot="latest", org=None,
                              read_data_subset=config.verify_read_data_subset, as_json=False)
        status = status if verified.status == EXIT_OK else EXIT_FAILURE
        summary += verified.summary
    return RunResult(
        command="backup",
        status=status,
        seconds=time.monotonic() - clock,
        orgs=[org_result(o) for o in outcomes],
        summary=summary,
        api_requests=ctx.api.requests_made,
    )
