"""gitim 7b6e898 into the cache, then check and repair every working clone.

gitim (run through `orgbackup.gitim_runner`, which points PyGithub at the
configured host and keeps the token out of every argument list) clones each
repository into `CACHE/<ORG>/gitim/<ORG>/<NAME>`.  It exits 0 whatever
happened, never updates a clone it made on an earlier run (it tests
`DEST/NAME` but clones into `DEST/ORG/NAME`), and clones private repositories
only because git finds the token through GIT_ASKPASS.  So its exit status is
not trusted: `verify_repair_clones` compares every clone with `git ls-remote`
and brings it to the remote head of the default branch itself, without losing
anything (a head that upstream rewrote is kept under
`refs/orgbackup/previous/<branch>/<UTC time>`, local changes in refs/stash).
"""

from __future__ import annotations

import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Mapping, Sequence

from .. import commands, git
from ..context import RunContext
from ..errors import CommandFailed
from ..gitim_runner import EXIT_NOT_INSTALLED
from ..problems import Problem
from ..stage_result import StageResult

log = logging.getLogger(__name__)

PART = "gitim"
PREVIOUS_PREFIX = "refs/orgbackup/previous"
LOCAL_GIT_TIMEOUT = 600  # seconds for git calls that only read or write the local clone


def runner_argv(org: str, dest: Path, *, ssh: bool = False, noforks: bool = False) -> tuple[str, ...]:
    return (
        (sys.executable, "-m", "orgbackup.gitim_runner", org, str(dest))
        + (("--ssh",) if ssh else ())
        + (("--noforks",) if noforks else ())
    )


def runner_environment(ctx: RunContext) -> dict[str, str]:
    env = dict(git.git_environment(ctx.files, ctx.config.stall_seconds), ORGBACKUP_GITHUB_API_URL=ctx.config.api_url)
    if ctx.config.app is not None:  # the runner answers gitim's get_user().login itself
        env["ORGBACKUP_GITHUB_APP"] = ctx.config.app.app_id
    return env


def run_gitim(ctx: RunContext, org: str, repos: Sequence[Mapping]) -> StageResult:
    """Run gitim for one organization; its result is checked by `verify_repair_clones`.

    gitim only ever adds clones (it never updates one, see tools.md), so when every
    repository already has its working clone it would do nothing: it is not run then.
    """
    if not ctx.config.gitim:
        return StageResult("off", [])
    paths = ctx.org_paths(org)
    if all((paths.gitim_clone(org, repo["name"]) / ".git").exists() for repo in repos):
        log.info("%s: every repository has its working clone; gitim has nothing to add", org)
        return StageResult("nothing to add", [])
    dest = paths.gitim
    dest.mkdir(parents=True, exist_ok=True)
    log_file = ctx.state_dir(org) / "gitim.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.write_bytes(b"")
    log.info("%s: gitim (%d repositories) into %s", org, len(repos), dest)
    try:
        result = commands.run(
            runner_argv(org, dest, ssh=ctx.config.git_protocol == "ssh"),
            env=runner_environment(ctx),
            idle_timeout=ctx.config.stall_seconds,  # gitim prints a line per repository
            check=False,
            stdout_path=log_file,
        )
    except CommandFailed as exc:
        return StageResult("failed", [Problem(org, None, PART, f"gitim did not finish: {exc}")])
    if result.returncode == EXIT_NOT_INSTALLED:
        return StageResult("missing", [Problem(org, None, PART, "gitim is not installed (no module named gitim); "
                                                             "the wrapper makes the working clones itself")])
    if not result.ok:
        last = commands.last_line(commands.mask(_tail(log_file)))
        return StageResult("failed", [Problem(org, None, PART, f"gitim exited with {result.returncode}: {last}")])
    return StageResult("ran", [])


def _tail(path: Path, size: int = 4096) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - size))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def previous_ref(branch: str, when: float | None = None) -> str:
    """Where a head that upstream rewrote is kept: refs/orgbackup/previous/<branch>/<UTC time>."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))
    return f"{PREVIOUS_PREFIX}/{branch}/{stamp}"


def verify_repair_clones(
    ctx: RunContext, org: str, repos: Sequence[Mapping],
    remote_refs: Mapping[str, Mapping[str, str]] | None = None,
) -> StageResult:
    """Every repository's working clone exists with its default branch at GitHub's head.

    `remote_refs` holds, per repository, GitHub's refs as an earlier stage of
    this run saw them (saves one `git ls-remote` per repository); the others
    are asked for. Returns {name: {"branch": ..., "head": sha or None}} for the
    manifest and the problems that remain.
    """
    if not ctx.config.gitim:
        return StageResult({}, [])
    env = git.git_environment(ctx.files, ctx.config.stall_seconds)
    paths = ctx.org_paths(org)

    def one(repo: Mapping) -> tuple[str, dict | None, Problem | None]:
        name = repo["name"]
        try:
            known = (remote_refs or {}).get(name)
            state = _repair_clone(ctx, env, org, repo, paths.gitim_clone(org, name), known)
            return name, state, None
        except CommandFailed as exc:
            return name, None, Problem(org, name, PART, str(exc))
        except _CloneError as exc:
            return name, None, Problem(org, name, PART, str(exc))

    results: dict[str, dict] = {}
    problems: list[Problem] = []
    with ThreadPoolExecutor(max_workers=max(1, ctx.config.git_concurrency)) as pool:
        for name, state, problem in pool.map(one, repos):
            if state is not None:
                results[name] = state
            if problem is not None:
                problems.append(problem)
    log.info("%s: %d working clones current, %d problems", org, len(results), len(problems))
    return StageResult(results, problems)


class _CloneError(Exception):
    pass


def _git(argv: Sequence[str], env: Mapping[str, str], timeout: int | None, check: bool = True) -> commands.Completed:
    return commands.run(argv, env=env, timeout=timeout, check=check)


def _commit(clone: Path, rev: str, timeout: int) -> str | None:
    result = commands.run(git.rev_parse(clone, rev), timeout=timeout, check=False)
    return result.stdout.strip() or None if result.ok else None


def _repair_clone(
    ctx: RunContext, env: Mapping[str, str], org: str, repo: Mapping, clone: Path,
    known_remote: Mapping[str, str] | None = None,
) -> dict:
    name = repo["name"]
    timeout = LOCAL_GIT_TIMEOUT  # network calls below pass None: git's low-speed limit ends a stall
    url = git.repo_url(ctx.config.git_url, org, name)
    if known_remote is not None:
        remote = dict(known_remote)
    else:
        remote = git.parse_ref_lines(_git(git.ls_remote(url), env, None).stdout)
    branch = repo.get("default_branch") or "main"
    remote_head = remote.get(f"refs/heads/{branch}")

    if not (clone / ".git").exists():
        if clone.exists() and any(clone.iterdir()):
            raise _CloneError(f"{clone.name} is in the cache but is not a git clone; left as it is")
        log.info("%s/%s: no working clone (gitim did not make one); cloning", org, name)
        clone.parent.mkdir(parents=True, exist_ok=True)
        _git(git.clone(url, clone), env, None)
    elif ctx.config.git_protocol == "https" and (git.configured_remote_urls(clone / ".git") or {}).get("origin") != url:
        # gitim's origin is the API's clone_url; keep it, but never with credentials.
        _git(git.set_remote_url(clone, url), env, timeout)

    if remote_head is None:
        if remote:
            raise _CloneError(f"GitHub lists no branch {branch!r} (the default branch) for {name}")
        return {"branch": branch, "head": None}  # an empty repository: nothing to check out

    local = _commit(clone, f"refs/heads/{branch}", timeout)
    on_branch = commands.run(git.head_ref(clone), timeout=timeout, check=False).stdout.strip()
    if local == remote_head and on_branch == f"refs/heads/{branch}":
        return {"branch": branch, "head": remote_head}

    _git(git.fetch_branches_as_remote(clone, url), env, None)
    target = _commit(clone, f"refs/remotes/origin/{branch}", timeout)
    if target is None:
        raise _CloneError(f"fetching {branch!r} brought no commit")
    if local and local != target:
        ff = commands.run(git.is_ancestor(clone, local, target), timeout=timeout, check=False)
        if ff.returncode == 1:
            keep = previous_ref(branch)
            _git(git.update_ref(clone, keep, local), env, timeout)
            log.warning("%s/%s: %s was rewritten upstream; old head %s kept as %s",
                        org, name, branch, local[:12], keep)
        elif not ff.ok:
            raise commands.failure(ff)
        else:
            log.info("%s/%s: fast-forwarding %s to %s", org, name, branch, target[:12])
    if commands.run(git.status_porcelain(clone), timeout=timeout).stdout.strip():
        stash = f"orgbackup: local changes before moving to {target[:12]}"
        _git(git.stash_everything(clone, stash), env, timeout)
        log.warning("%s/%s: local changes in the working clone kept in refs/stash", org, name)
    _git(git.checkout_branch_at(clone, branch, target), env, timeout)
    _git(git.set_upstream(clone, branch), env, timeout, check=False)
    head = _commit(clone, "HEAD", timeout)
    if head != target:
        raise _CloneError(f"the working clone is at {head} after the update, not at {target}")
    if target != remote_head:
        log.info("%s/%s: %s moved on GitHub during the check; clone at %s", org, name, branch, target[:12])
    return {"branch": branch, "head": target}
