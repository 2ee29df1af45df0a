"""Run github-backup 0.40.0 into the cache: one process per repository, only where something changed.

Entry: `run_github_backup(ctx, night) -> StageResult(GitHubBackupRuns, problems)` (`back_up_repositories` for any list) with
  - `problems`: list[Problem] (part "github-backup"): a non-zero exit, an
    "API request returned HTTP ..." line, a git command that "returned N", an
    asset that could not be downloaded; (part "names") a name out of GitHub's
    answer that could not be a file name as it is (stored under a safe name, or
    refused: orgbackup/tools/github_backup/names.py);
  - `ran`: names of the repositories github-backup ran for (each with its reason
    in `reasons`);
  - `skipped`: names of the repositories skipped as unchanged.

Why one process per repository (`-R NAME`), each with its own output folder
`CACHE/.state/<ORG>/github-backup-runs/<NAME>/`:
  - 0.40.0's `--incremental` keeps one global `last_update` taken from the
    repositories' `updated_at`, which misses pushes and issue activity.  Each run
    folder has its own `last_update`, which this stage writes before each run
    with the repository's `activity_mark` (below), or removes so that the first
    run fetches every issue and pull request.  github-backup overwrites it at
    the end; it is rewritten before the next run.
  - Two github-backup processes cannot share one output folder (`last_update`),
    so separate folders allow bounded parallel runs.
  - Each run folder holds `repositories/<NAME>`, a symlink to the real
    `CACHE/<ORG>/github-backup/repositories/<NAME>`: github-backup realpath()s
    only the output folder, `os.path.join`s the rest and `mkdir_p` accepts an
    existing directory, so everything lands in the real folder and nothing moves.
  - Its output goes to `CACHE/.state/<ORG>/logs/github-backup.<NAME>.log`
    (rewritten with the token masked: 0.40.0 prints failing git commands with
    the token in the URL).

Which repositories run is decided by `orgbackup/backup/planning/changes.py` (shared with the
verify-and-repair stage); a run with any problem does not update the state, so
the repository runs again next time.

Empty repositories run like the others: 0.40.0's `git ls-remote` of an empty
repository succeeds and `git lfs clone` makes an empty clone (exit 0).  Its
update of that clone (a later run) ends with `git lfs fetch --all --prune`,
which fails in a clone without commits (git-lfs exits 2): in a clone that
holds no refs that failure is not a problem (there is nothing to fetch; the
verify-and-repair stage compares the refs with GitHub's anyway).

github-backup runs through `orgbackup.tools.github_backup.runner` (its own interpreter,
patched in-process): no token in any process's arguments or `.git/config`, and
every file it writes appears whole or not at all.  After the runs, every release
asset the saved release JSON lists is compared with its `size`; a missing or
wrong one is fetched again (release_assets.py), leftovers are removed.

Exit status 0 of github-backup proves nothing (git failures are logged and
ignored); `verify_repair` checks the data against GitHub.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from orgbackup.backup.planning import lfs_budget
from orgbackup.backup.stages import github_backup_labels, release_assets
from orgbackup.git import clones, argv as git, on_disk
from orgbackup.tools import process
from orgbackup.tools.github_backup import runner
from orgbackup.cache import json_files
from orgbackup.tools.github_backup.listings import LISTED_LABELS_ENV, LISTED_REPOSITORY_ENV
from orgbackup.tools.github_backup.names import UNSAFE_NAME
from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.errors import BackupError
from orgbackup.git.environment import git_environment
from orgbackup.results import Problem
from orgbackup.results import StageResult
from orgbackup.backup.planning.plan import can_admin
from orgbackup.backup.planning.changes import change_decisions, decision_of, known_empty
from orgbackup.times import now_utc, utc_now
from orgbackup.cache.state_store import RepoState

log = logging.getLogger(__name__)

TOOL = "github-backup"
LISTED_FILE = "listed-repository.json"  # the organization listing's entry (github_backup_listings)
# No wall-clock limit (a repository with 30,000 issues takes hours): github-backup is
# ended when it makes no progress for the stall budget, plus the longest silent wait it
# does on purpose: 0.40.0 logs one line, then sleeps until the rate limit resets.
RATE_LIMIT_WAIT_SECONDS = 3600
# Lines of github-backup's output that mean something was not saved.
_PROBLEM_LINES = (
    re.compile(r"API request returned HTTP \d+.*"),
    re.compile(r"^\S+ returned -?[1-9]\d*:.*", re.MULTILINE),  # logging_subprocess: "git returned 128:"
    re.compile(r"Skipping download of asset .*"),
    re.compile(r"API request problem reading response.*"),
)
# github-backup 0.40.0 in its own interpreter, patched so that no token reaches an argv.
RUNNER = (sys.executable, "-m", "orgbackup.tools.github_backup.runner")
# A name out of GitHub's answer that the runner stored under a safe name or refused (github_backup_names).
NAMES_PART = "names"
_UNSAFE_NAME_LINE = re.compile(re.escape(UNSAFE_NAME) + r"(.*)")


@dataclass
class GitHubBackupRuns:
    """What the stage captured: which repositories github-backup ran for, and why."""

    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    lfs_bytes: int = 0  # what its own LFS downloads added (without an LFS budget only)


# Pure builders


def github_backup_argv(
    org: str,
    name: str,
    *,
    output_dir: Path,
    parts: tuple[str, ...],
    hooks: bool,
    github_host: str | None,
    prefer_ssh: bool,
    as_app: bool = True,
    lfs: bool = True,
    organization: bool = True,
) -> tuple[str, ...]:
    """One github-backup run for one repository (never `--all`), through the runner.

    No token and no token file here: the runner reads ORGBACKUP_TOKEN_FILE
    (`git_environment`) and keeps every clone URL free of credentials.
    """
    # A personal account (organization=False): the same run without --organization; with -R,
    # 0.40.0 asks repos/USER/NAME all the same (answered from the listing's file).
    argv: tuple[str, ...] = RUNNER + (org,) + (("--organization",) if organization else ()) + (
        "-o", str(output_dir),
        "--incremental", "--private", "--fork",
    ) + (("--lfs",) if lfs else ()) + (
        "-R", name,
        "--repositories",
    )
    if "wikis" in parts:
        argv += ("--wikis",)
    if "issues" in parts:
        argv += ("--issues", "--issue-comments", "--issue-events")
    if "pulls" in parts:
        argv += ("--pulls", "--pull-comments", "--pull-commits", "--pull-details")
    if "milestones" in parts:
        argv += ("--milestones",)
    if "labels" in parts:
        argv += ("--labels",)
    if "releases" in parts:
        argv += ("--releases",) + (("--assets",) if "assets" in parts else ())
    if hooks:
        argv += ("--hooks",)
    if github_host:
        argv += ("-H", github_host)
    if prefer_ssh:
        argv += ("--prefer-ssh",)
    if as_app:
        # github-backup's "App" mode: `Authorization: token X` (right for every kind of token) and
        # no GET /user, which an App's installation token may not make and an organization's backup
        # never needs (its login only chooses /user/repos over /users/NAME/repos, and
        # --organization overrides both): one request less per repository and night.
        argv += ("--as-app",)
    return argv


# github-backup's parts that a count of GitHub's (changes.py) can show to be empty.
COUNTED_PARTS = ("issues", "pulls", "milestones", "labels", "releases")


def parts_to_ask(ctx: RunContext, org: str, repo: dict | None) -> tuple[str, ...]:
    """The configured parts without those GitHub said this run the repository has none of
    (each saves github-backup a request or two that would answer an empty list)."""
    parts = tuple(ctx.config.parts)
    if repo is None:
        return parts
    empty = {part for part in COUNTED_PARTS if part in parts and known_empty(ctx, org, repo, part)}
    if "releases" in empty:
        empty.add("assets")
    return tuple(part for part in parts if part not in empty)


def argv_for(ctx: RunContext, org: str, name: str, output_dir: Path, *, hooks: bool,
             repo: dict | None = None) -> tuple[str, ...]:
    config = ctx.config
    return github_backup_argv(
        org,
        name,
        output_dir=output_dir,
        parts=parts_to_ask(ctx, org, repo),
        hooks=hooks,
        github_host=config.github_host if config.enterprise else None,
        prefer_ssh=config.git_protocol == "ssh",
        # With an LFS bandwidth budget, the LFS objects come through it (verify-and-repair), never
        # from github-backup's own `git lfs fetch --all`, which knows no budget.
        lfs=config.lfs_monthly_bytes is None,
        organization=not config.is_user(org),
    )


def unsafe_names_in_output(text: str) -> list[str]:
    """What the runner said of each name it could not store as GitHub gave it."""
    return list(dict.fromkeys(match.group(1).strip() for match in _UNSAFE_NAME_LINE.finditer(text)))


def problems_in_output(text: str) -> list[str]:
    """The lines of github-backup's output that mean something was not saved."""
    found: list[str] = []
    for pattern in _PROBLEM_LINES:
        for match in pattern.finditer(text):
            line = match.group(0).strip()
            if line not in found:
                found.append(line)
    return found


# 0.40.0's logging_subprocess: "git returned 2:" and, on the next line, the command.
LFS_FETCH_FAILURE = re.compile(r"^git returned -?[1-9]\d*:[ \t]*\n\s*git lfs fetch\b.*$", re.MULTILINE)


# The run


def run_dir(ctx: RunContext, org: str, name: str) -> Path:
    return ctx.state_paths(org).github_backup_run(name)


def log_path(ctx: RunContext, org: str, name: str) -> Path:
    return ctx.state_paths(org).github_backup_log(name)


def prepare_run_dir(ctx: RunContext, org: str, name: str, since: str | None, repo: dict | None = None) -> Path:
    """The run's own output folder: `repositories/NAME` -> the real folder, `last_update`, and
    the organization listing's entry of the repository (LISTED_FILE: github-backup need not ask)."""
    real = ctx.org_paths(org).repository_dir(name)
    real.mkdir(parents=True, exist_ok=True)
    out = run_dir(ctx, org, name)
    (out / "repositories").mkdir(parents=True, exist_ok=True)
    link = out / "repositories" / name
    if link.is_symlink() or link.exists():
        if not (link.is_symlink() and os.readlink(link) == str(real)):
            if link.is_dir() and not link.is_symlink():
                raise BackupError(f"{link} is a folder, not the expected link to {real}")
            link.unlink()
    if not link.is_symlink():
        link.symlink_to(real, target_is_directory=True)
    last_update = out / "last_update"
    if since:
        last_update.write_text(since, encoding="utf-8")
    elif last_update.exists():
        last_update.unlink()
    listed = out / LISTED_FILE
    if repo is not None:
        json_files.write_json_atomically(listed, repo)
    elif listed.exists():
        listed.unlink()
    return out


def expected_seconds(repo: dict, state: RepoState | None) -> float:
    """How long github-backup will take for a repository: its last run's time, or a guess
    from what GitHub lists (issues cost two requests each, size costs transfer)."""
    if state is not None and state.seconds is not None:
        return float(state.seconds)
    return 1.0 + 0.2 * int(repo.get("open_issues_count") or 0) + int(repo.get("size") or 0) / 5000


def run_one(ctx: RunContext, org: str, repo: dict, *, hooks: bool, since: str | None,
            labels: list[dict] | None = None) -> list[Problem]:
    name = repo["name"]
    out = prepare_run_dir(ctx, org, name, since, repo)
    labels_file = github_backup_labels.write_for_run(out, labels)  # GraphQL's, else github-backup asks
    logfile = log_path(ctx, org, name)
    logfile.parent.mkdir(parents=True, exist_ok=True)
    logfile.write_bytes(b"")  # one run per log: its problems are this run's
    argv = argv_for(ctx, org, name, out, hooks=hooks, repo=repo)
    started = utc_now()
    clock = time.monotonic()
    log.info("%s/%s: github-backup (%s)", org, name, "incremental since " + since if since else "full")
    budgeted = ctx.config.lfs_monthly_bytes is not None
    try:
        result = process.run(
            argv,
            # Git LFS only from this repository's own server on GitHub, whatever its .lfsconfig says
            env={**git_environment(ctx.files, ctx.config.stall_seconds, repo=git.repo_url(ctx.config.git_url, org, name)),
                 LISTED_REPOSITORY_ENV: str(out / LISTED_FILE), LISTED_LABELS_ENV: str(labels_file),
                 runner.API_URL_ENV: ctx.config.api_url,  # where an asset may get the token
                 **({"GIT_LFS_SKIP_SMUDGE": "1"} if budgeted else {})},  # its checkout downloads none
            idle_timeout=ctx.config.stall_seconds + RATE_LIMIT_WAIT_SECONDS,
            check=False,
            stdout_path=logfile,
        )
    except BackupError as exc:
        return [Problem(org, name, TOOL, str(exc))]
    finally:
        _mask_file(logfile)
    text = logfile.read_text(encoding="utf-8", errors="replace")
    if LFS_FETCH_FAILURE.search(text) and not clones.local_refs(ctx, ctx.org_paths(org).repository_dir(name) / "repository"):
        text = LFS_FETCH_FAILURE.sub("", text)
    problems = [Problem(org, name, TOOL, line) for line in problems_in_output(text)]
    problems += [Problem(org, name, NAMES_PART, line) for line in unsafe_names_in_output(text)]
    if not result.ok:
        last = process.last_line(text) or "no output"
        problems.insert(0, Problem(org, name, TOOL, f"github-backup exited with {result.returncode}: {last}"))
    if problems:
        log.warning("%s/%s: github-backup: %d problem(s), see %s", org, name, len(problems), logfile)
    else:
        store = ctx.state_store()
        state = store.row_for(org, repo)
        mark = state.activity_mark
        decision = decision_of(ctx, org, name)
        if decision is not None and decision.latest and decision.latest > (mark or ""):
            mark = decision.latest
        store.update(org, state.repo_id, pushed_at=repo.get("pushed_at"), updated_at=repo.get("updated_at"),
                     last_run=started, seconds=round(time.monotonic() - clock, 1), activity_mark=mark)
    return problems


def _mask_file(path: Path) -> None:
    """github-backup prints failing git commands with the token in their URL: mask it."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    masked = process.mask(text)
    if masked != text:
        path.write_text(masked, encoding="utf-8")


def run_github_backup(ctx: RunContext, night: OrgNight) -> StageResult:
    """github-backup for the repositories whose metadata the API budget holds tonight (gitim
    runs later, for every repository: orgbackup/backup/stages/gitim.py)."""
    return back_up_repositories(ctx, night.org, night.granted, hooks=night.plan.hooks)


def back_up_repositories(ctx: RunContext, org: str, repos: list[dict], *, hooks: bool) -> StageResult:
    """github-backup for each of `repos` that changed (this run's decisions), `hooks` where readable."""
    process.register_secret(ctx.config.token.reveal())
    result = GitHubBackupRuns()
    problems: list[Problem] = []
    decisions = change_decisions(ctx, org, repos)
    states = {repo["name"]: ctx.state_store().row_for(org, repo) for repo in repos}
    todo: list[dict] = []
    for repo in repos:
        name = repo["name"]
        reason = decisions.get(name)
        if reason is None:
            log.debug("%s/%s: unchanged, skipped", org, name)  # one line per repository: the count below
            result.skipped.append(name)
        else:
            log.info("%s/%s: %s", org, name, reason)
            result.ran.append(name)
            result.reasons[name] = reason
            todo.append(repo)

    lfs_lock = threading.Lock()
    labels = github_backup_labels.labels_of(ctx, org, [r for r in todo if "labels" in parts_to_ask(ctx, org, r)])

    def work(repo: dict) -> list[Problem]:
        since = states[repo["name"]].activity_mark
        # Without an LFS budget github-backup fetches LFS itself: counted, as the bytes its LFS store grew by.
        lfs_store = ctx.org_paths(org).repository_dir(repo["name"]) / "repository" / ".git" / "lfs" / "objects"
        lfs_before = on_disk.tree_bytes(lfs_store)
        try:
            repo_hooks = hooks and (ctx.config.hooks == "on" or can_admin(repo))
            return run_one(ctx, org, repo, hooks=repo_hooks, since=since, labels=labels.get(repo["name"]))
        except (OSError, BackupError) as exc:
            return [Problem(org, repo["name"], TOOL, f"could not run github-backup: {exc}")]
        finally:
            grew = max(0, on_disk.tree_bytes(lfs_store) - lfs_before)
            ctx.state_store().add_lfs_bytes(org, lfs_budget.month_key(now_utc()), grew)
            with lfs_lock:
                result.lfs_bytes += grew

    if result.skipped:
        log.info("%s: github-backup: %d repositories unchanged, skipped; %d to run", org, len(result.skipped), len(todo))
    # The longest first: one repository with years of issues must not start last.
    todo.sort(key=lambda repo: expected_seconds(repo, states[repo["name"]]), reverse=True)
    with ThreadPoolExecutor(max_workers=max(1, ctx.config.concurrency)) as pool:
        for found in pool.map(work, todo):
            problems.extend(found)
    if "releases" in ctx.config.parts and "assets" in ctx.config.parts:
        for repo in repos:
            problems.extend(release_assets.repair_release_assets(ctx, org, repo["name"]))
    log.info(
        "%s: github-backup ran for %d repositories, skipped %d unchanged, %d problem(s)",
        org, len(result.ran), len(result.skipped), len(problems),
    )
    return StageResult(result, problems)
