"""The backup run: preflight, then per organization the API budget's plan, capture, verify and repair,
dependencies, scrub, manifest, snapshot and retention; then the summary.

One organization failing does not stop the others; problems are collected and
only turned into an exit status at the end (0 complete, 3 incomplete, 1 failed).
"""

from __future__ import annotations

import importlib.metadata
import logging
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import datetime, timezone

from . import __version__, budget, commands, restic
from .ca_bundle import trusted_for_run
from .changes import change_decisions, counts_of
from .config import Config
from .context import RunContext
from .credential_refusals import refusal_problems, take_refusals
from .credentials import credentials_for
from .errors import EXIT_FAILURE, EXIT_INCOMPLETE, EXIT_OK, BackupError
from .github_api import GitHubAPI, GitHubError
from .lock import cache_lock
from .manifest import build_manifest, write_manifest
from .plan import OrgPlan, apply_plan
from .problems import DEFERRED, INTEGRITY, UPSTREAM, Problem, split_known
from .run_result import COMPLETE, FAILED, INCOMPLETE, OrgResult, RunResult
from .secret_files import register_secrets, remove_secret_files, write_secret_files
from .stages import dependencies, github_backup, gitim, metadata, scrub, snapshot, verify_repair
from .stages.preflight import run_preflight
from .stages.summary import OrgOutcome, render_table, summary_line

log = logging.getLogger(__name__)


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def version_word(argv: tuple[str, ...], index: int) -> str:
    """One word of the first line a program prints about its version ('missing' if it is not there)."""
    try:
        result = commands.run(argv, check=False, timeout=30)
    except BackupError:
        return "missing"
    words = (result.stdout or result.stderr).split("\n", 1)[0].split()
    return words[index] if len(words) > index else "unknown"


def package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def tool_versions() -> dict[str, str]:
    return {
        "orgbackup": __version__,
        "github-backup": package_version("github-backup"),
        "gitim": package_version("gitim"),
        "git": version_word(("git", "--version"), 2),  # git version 2.39.5
        "git-lfs": version_word(("git", "lfs", "version"), 0).removeprefix("git-lfs/"),  # git-lfs/3.3.0 (...)
        "restic": version_word(restic.version(), 1),  # restic 0.14.0 compiled with ...
        "python": sys.version.split()[0],
    }


def capture(ctx: RunContext, plan: OrgPlan, metadata_repos: list[dict]) -> list[Problem]:
    """github-backup into the cache, for `metadata_repos` (what the API budget grants). gitim
    runs later for every repository, at the start of verify-and-repair (`gitim.clone_with_gitim`):
    its working clones take their objects from github-backup's checked clones, so each
    repository crosses the network once."""
    return list(github_backup.run_github_backup(ctx, plan.login, metadata_repos, hooks=plan.hooks).problems)


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


def plan_the_budget(ctx: RunContext, plan: OrgPlan) -> budget.BudgetPlan:
    """Which repositories' metadata this run captures (orgbackup/budget.py).  With
    BACKUP_WAIT_FOR_RATE_LIMIT=true a run that does not fit waits for the reset instead
    (SIGTERM still stops it), and the tools then wait out any later reset themselves."""
    org = plan.login
    decisions = change_decisions(ctx, org, plan.repos)  # shared with the stages: decided once per run
    store = ctx.state_store()
    candidates = []
    for repo in plan.repos:
        if decisions.get(repo["name"]) is None:
            continue  # unchanged: github-backup skips it, its parts cost next to nothing
        state = store.row_for(org, repo)
        counts = counts_of(state) if state.decision_run == ctx.started else None
        candidates.append(budget.Candidate(repo["name"], int(repo["id"]),
                                           budget.estimate(repo, state.last_run, counts), state.last_run))
    remaining, limit, reset = read_core_budget(ctx)
    fixed = budget.UNCHANGED * (len(plan.repos) - len(candidates))
    found = budget.plan_budget(candidates, remaining=remaining, limit=limit, reset=reset, fixed=fixed)
    log.info("%s: API budget %s of %s left (resets %s UTC); %d repositories to capture need about %d requests",
             org, remaining, limit, found.reset_text, len(candidates), found.needed)
    if found.deferred and ctx.config.wait_for_rate_limit:
        wait = max(1.0, (reset or 0) - time.time() + 1)
        log.warning("%s: the API budget holds %d of the %d repositories' metadata; BACKUP_WAIT_FOR_RATE_LIMIT=true: "
                    "waiting %.0f s for the reset at %s UTC", org, len(found.granted), len(candidates), wait,
                    found.reset_text)
        if not commands.wait_unless_stopped(wait):
            raise BackupError("stopped while waiting for the API budget's reset")
        ctx.api.max_wait = max(ctx.api.max_wait, 3700.0)
        remaining, limit, reset = read_core_budget(ctx)
        found = budget.plan_budget(candidates, remaining=None, limit=limit, reset=reset)
        found.remaining = remaining
        log.info("%s: API budget %s of %s after the reset; capturing every repository", org, remaining, limit)
    elif found.deferred:
        log.warning("%s: %s", org, found.message())
    return found


def attach_problems(records: dict[str, dict], problems: list[Problem]) -> None:
    """Each repository's record lists every problem of that repository, whichever stage found it."""
    for problem in problems:
        record = records.get(problem.repo) if problem.repo else None
        if record is not None:
            text = f"[{problem.part}] {problem.message}"
            listed = record.setdefault("problems", [])
            if problem.message not in listed and text not in listed:
                listed.append(text)


def backup_organization(ctx: RunContext, plan: OrgPlan) -> OrgOutcome:
    org = plan.login
    started_clock = time.monotonic()
    outcome = OrgOutcome(org, hooks={"backed_up": plan.hooks, "reason": plan.hooks_reason},
                         problems=list(plan.problems))
    paths = ctx.org_paths(org)
    try:
        if ctx.credentials is not None:
            ctx.credentials.use(org)  # a GitHub App: this organization's installation token
        paths.root.mkdir(parents=True, exist_ok=True)
        ctx.state_dir(org).mkdir(parents=True, exist_ok=True)
        store = ctx.state_store()
        apply_plan(store, plan, paths.github_backup / "repositories", paths.gitim / org, now=ctx.started,
                   keep_deleted_days=ctx.config.keep_deleted_days, legacy_state_dir=ctx.state_dir(org),
                   more_parents=paths.per_repository_parents)
        outcome.deleted = [d.as_dict() for d in plan.deleted]
        outcome.renamed = {p.name: p.previous_name for p in plan.events("renamed")}
        for gone in plan.deleted:
            log.warning("%s/%s: deleted on GitHub (last seen %s); its backup is kept", org, gone.folder,
                        gone.last_seen or "before this cache kept track")
        spending = plan_the_budget(ctx, plan)
        deferred = frozenset(spending.deferred)
        granted = [r for r in plan.repos if r["name"] not in deferred]
        log.info("%s: capturing %d repositories%s", org, len(plan.repos),
                 f" (the metadata of {len(granted)})" if deferred else "")
        outcome.problems += capture(ctx, plan, granted)

        log.info("%s: verifying against GitHub and repairing", org)
        records, found = verify_repair.run_verify_repair(ctx, org, plan.repos, deferred=deferred)
        outcome.problems += found
        if ctx.config.gitim:
            # Refs verify_repair checked against GitHub moments ago need no second ls-remote.
            checked = {name: r["refs"] for name, r in records.items() if "refs" in r and not r.get("problems")}
            clones, found = gitim.verify_repair_clones(ctx, org, plan.repos, remote_refs=checked)
            outcome.problems += found
            for name, clone in clones.items():
                records.setdefault(name, {})["gitim"] = clone
        outcome.repositories = records

        log.info("%s: discussions, reviews, commit comments, settings, the organization, projects, attachments", org)
        found_metadata, found = metadata.run_metadata(ctx, replace(plan, repos=granted) if deferred else plan)
        outcome.problems += found
        outcome.metadata = found_metadata.as_dict()
        for name, parts in found_metadata.per_repository.items():
            if name in records:
                records[name]["metadata"] = parts

        log.info("%s: dependencies outside the organization", org)
        outcome.dependencies, found = dependencies.run_dependencies(ctx, org, plan.repos,
                                                                           set(plan.other_shards.values()))
        outcome.problems += found
        if deferred:  # neither a failure nor silent: the snapshot is incomplete, with the reason
            outcome.problems.append(Problem(org, None, "budget", spending.message(), DEFERRED))
            for name in deferred:
                records.setdefault(name, {})["deferred"] = "metadata deferred: API budget"

        # What git or git-lfs asked the token for and did not get (a hostile or broken repository)
        outcome.problems += refusal_problems(org, take_refusals(ctx.files.credential_log), paths, ctx.state_dir(org))

        log.info("%s: checking the tree for credentials", org)
        leaked, found = scrub.run_scrub(ctx, org)
        outcome.problems += found
        outcome.leaked_files = [str(p) for p in leaked]

        attach_problems(records, outcome.problems)
        upstream_keys = [p.key for p in outcome.problems if p.kind == UPSTREAM]
        outcome.problems, outcome.known_problems = split_known(outcome.problems, set(store.known_problems(org)))
        for problem in outcome.problems:
            if problem.kind == UPSTREAM:
                log.warning("%s: new upstream problem (GitHub does not have it; reported once): %s", org, problem)
        complete = not outcome.problems
        write_manifest(
            paths.manifest,
            build_manifest(
                org=org,
                started=ctx.started,
                finished=utc_now(),
                tool_versions=ctx.tool_versions,
                hooks=outcome.hooks,
                repositories=records,
                dependencies=outcome.dependencies,
                metadata=outcome.metadata,
                problems=outcome.problems,
                known_problems=outcome.known_problems,
                deleted=outcome.deleted,
                renamed=outcome.renamed,
                shard=ctx.config.shard,
                budget=spending.as_dict(),
            ),
        )
        snap, found = snapshot.run_snapshot(ctx, org, complete=complete, exclude=leaked)
        outcome.snapshot_id, outcome.data_added = snap.snapshot_id, snap.data_added
        outcome.problems += found
        if snap.snapshot_id:  # what the snapshot records as reported, later runs treat as known
            store.record_problems(org, upstream_keys, ctx.started)
        # After every run, complete or not: the repository stays bounded whatever GitHub does.
        outcome.forgotten = snapshot.apply_retention(ctx, org)
    except BackupError as exc:
        outcome.error = commands.mask(str(exc))
        log.error("%s: %s", org, outcome.error)
    outcome.seconds = time.monotonic() - started_clock
    return outcome


def exit_status_of(outcomes: list[OrgOutcome]) -> int:
    if any(o.error or o.leaked_files or not o.snapshot_id for o in outcomes):
        return EXIT_FAILURE
    if any(p.kind == INTEGRITY for o in outcomes for p in o.problems):
        return EXIT_FAILURE
    if any(o.problems for o in outcomes):
        return EXIT_INCOMPLETE
    return EXIT_OK


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


STATE_OF_STATUS = {EXIT_OK: COMPLETE, EXIT_INCOMPLETE: INCOMPLETE, EXIT_FAILURE: FAILED}


def org_result(outcome: OrgOutcome) -> OrgResult:
    """The organization's state is the exit status it alone would give (an integrity problem fails it)."""
    d = outcome.as_dict()
    return OrgResult(
        org=outcome.org,
        state=STATE_OF_STATUS[exit_status_of([outcome])],
        repositories=d["repositories"],
        problems=list(d["problem_list"]),
        bytes_added=int(outcome.data_added or 0),
        snapshot_id=outcome.snapshot_id,
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
        why = commands.mask(str(exc))
        report([OrgOutcome(org, error=why) for org in config.orgs], exc.exit_status, time.monotonic() - clock)
        raise


def run_backup(config: Config) -> RunResult:
    clock = time.monotonic()
    register_secrets(config)
    files = write_secret_files(config)
    credentials = credentials_for(config, files.token_file)
    try:
        with ExitStack() as held:
            with reported_if_it_fails(config, clock):
                held.enter_context(cache_lock(config.cache_dir))
                held.enter_context(trusted_for_run(config, files.directory))
                ctx = RunContext(
                    config=config,
                    files=files,
                    api=GitHubAPI(config.api_url, credentials.current_token),
                    started=utc_now(),
                    tool_versions=tool_versions(),
                    credentials=credentials,
                )
                preflight = run_preflight(ctx)
            outcomes = [OrgOutcome(org, error=why) for org, why in preflight.unavailable.items()]
            outcomes += [backup_organization(ctx, plan) for plan in preflight.plans.values()]
            last_of_night = True
            try:
                last_of_night = completes_the_night(ctx, outcomes)
                if last_of_night:
                    snapshot.prune_if_due(ctx, sum(o.forgotten for o in outcomes))
            except BackupError as exc:  # the snapshots are safe; the space comes back next time
                log.warning("restic prune failed: %s", exc)
            ctx.state_store().close()
    finally:
        credentials.close()
        remove_secret_files(files)
    status = exit_status_of(outcomes)
    seconds = time.monotonic() - clock
    log.info("API requests made by the wrapper itself: %d", ctx.api.requests_made)
    summary = report(outcomes, status, seconds)
    if config.verify_after_backup and status != EXIT_FAILURE and last_of_night:
        from .verify import run_verify

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
