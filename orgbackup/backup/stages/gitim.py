"""gitim 7b6e898 into the cache, then check and repair every working clone.

gitim (run through `orgbackup.tools.gitim.runner`, which points PyGithub at the
configured host and keeps the token out of every argument list) clones each
repository into `CACHE/<ORG>/gitim/<ORG>/<NAME>`.  It exits 0 whatever
happened, never updates a clone it made on an earlier run (it tests
`DEST/NAME` but clones into `DEST/ORG/NAME`), and clones private repositories
only because git finds the token through the run's credential helper.  So its exit status is
not trusted: `verify_repair_clones` compares every clone with `git ls-remote`
and brings it to the remote head of the default branch itself, without losing
anything (a head that upstream rewrote is kept under
`refs/orgbackup/previous/<branch>/<UTC time>`, local changes in refs/stash).

Objects from the cache, not from GitHub a second time.  gitim runs after the
github-backup stage and its check (`verify_repair_clones`, before it compares
anything): for every repository whose github-backup clone verify-and-repair
found equal to GitHub, gitim's git children get (one `include.path` through
GIT_CONFIG_COUNT/KEY/VALUE, a file in CACHE/.state/<ORG>/)
`url.<that clone's absolute path>.insteadOf = <the clone URL gitim uses>`.
git clones a plain local path by hard-linking its objects (no network, no second
copy on disk, no alternates: a restored snapshot needs nothing outside itself);
git-lfs follows the same rewrite and takes the LFS objects the checkout needs
from that clone's .git/lfs (hard links too).  insteadOf applies at use:
remote.origin.url stays GitHub's URL, so the later `git fetch` of the check
goes to GitHub and brings whatever is newer.  A repository whose github-backup
clone is missing or not current is cloned from GitHub as before.
"""

from __future__ import annotations

import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Mapping, Sequence

from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.errors import CommandFailed
from orgbackup.git import argv as git
from orgbackup.git import clones
from orgbackup.git.environment import git_environment, with_config
from orgbackup.results import Problem, StageResult
from orgbackup.tools import process
from orgbackup.tools.gitim.runner import EXIT_NOT_INSTALLED
from orgbackup.git.working_clones import check_out_lfs_files, seed_integrity_memo, verify_repair_clones

log = logging.getLogger(__name__)

PART = "gitim"


def runner_argv(org: str, dest: Path, *, ssh: bool = False, noforks: bool = False,
                user: bool = False) -> tuple[str, ...]:
    return (
        (sys.executable, "-m", "orgbackup.tools.gitim.runner", org, str(dest))
        + (("--ssh",) if ssh else ())
        + (("--noforks",) if noforks else ())
        + (("--user",) if user else ())
    )


def with_config_include(env: Mapping[str, str], include: Path) -> dict[str, str]:
    """`env` plus one `include.path` entry after its GIT_CONFIG_COUNT entries (git reads the file
    at every start, as command-line configuration)."""
    return with_config(env, ("include.path", str(include)))


def runner_environment(ctx: RunContext, include: Path | None = None) -> dict[str, str]:
    # gitim clones every repository in one process, so no Git LFS server can be pinned per
    # repository: its clones check out LFS pointers, and `check_out_lfs_files` fills them in.
    env = dict(git_environment(ctx.files, ctx.config.stall_seconds), ORGBACKUP_GITHUB_API_URL=ctx.config.api_url,
               GIT_LFS_SKIP_SMUDGE="1")
    if ctx.config.app is not None:  # the runner answers gitim's get_user().login itself
        env["ORGBACKUP_GITHUB_APP"] = ctx.config.app.app_id
    return with_config_include(env, include) if include is not None else env


def _config_quoted(text: str) -> str:
    if any(c in text for c in "\n\r\0"):
        raise ValueError(f"a git config name or value cannot hold a line break: {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def local_objects_config(sources: Mapping[str, Path], others: Sequence[str] = ()) -> str:
    """git config text: `url.<local path>.insteadOf = <url>` for each {url: local clone}.

    insteadOf matches prefixes, longest first: the URL of `game.github.io` starts with
    `game.git`'s. Every URL in `others` (cloned from GitHub) is therefore mapped to itself,
    so that no shorter key of another repository rewrites it."""
    lines = []
    for url, path in sorted(sources.items()):
        lines += [f"[url {_config_quoted(str(path))}]", f"\tinsteadOf = {_config_quoted(url)}"]
    for url in sorted(set(others) - set(sources)):
        lines += [f"[url {_config_quoted(url)}]", f"\tinsteadOf = {_config_quoted(url)}"]
    return "\n".join(lines) + "\n" if lines else ""


def gitim_clone_url(ctx: RunContext, org: str, repo: Mapping) -> str:
    """The URL gitim clones `repo` from: the listing's clone_url (ssh_url with --ssh)."""
    if ctx.config.git_protocol == "ssh":
        return repo.get("ssh_url") or f"git@{ctx.config.github_host}:{org}/{repo['name']}.git"
    return repo.get("clone_url") or git.repo_url(ctx.config.git_url, org, repo["name"])


def local_sources(ctx: RunContext, org: str, repos: Sequence[Mapping],
                  checked: Mapping[str, Mapping[str, str]]) -> dict[str, Path]:
    """{gitim's clone URL: github-backup's clone} for every repository without a working clone
    whose github-backup clone holds exactly the refs `checked` has for it (what verify-and-repair
    found equal to GitHub moments ago); an empty repository needs none."""
    paths = ctx.org_paths(org)

    def source_of(repo: Mapping) -> tuple[str, Path] | None:
        name = repo["name"]
        refs = checked.get(name)
        if not refs or (paths.gitim_clone(org, name) / ".git").exists():
            return None
        source = (paths.repository_dir(name) / "repository").absolute()
        if clones.clone_state(source, ctx)[0] == "ok" and clones.local_refs(ctx, source) == dict(refs):
            return gitim_clone_url(ctx, org, repo), source
        return None

    with ThreadPoolExecutor(max_workers=max(1, ctx.config.git_concurrency)) as pool:
        return dict(found for found in pool.map(source_of, repos) if found)


def clone_with_gitim(ctx: RunContext, org: str, repos: Sequence[Mapping],
                     checked: Mapping[str, Mapping[str, str]] | None = None) -> StageResult:
    """Run gitim for one organization; its result is checked by `verify_repair_clones`.

    gitim only ever adds clones (it never updates one: README, "What the wrapped tools get wrong"), so when every
    repository already has its working clone it would do nothing: it is not run then.
    `checked`: the refs verify-and-repair found in github-backup's clones, equal to GitHub's;
    those clones are where gitim's clones take their objects from (see the module docstring).
    """
    if not ctx.config.gitim:
        return StageResult("off", [])
    paths = ctx.org_paths(org)
    if all((paths.gitim_clone(org, repo["name"]) / ".git").exists() for repo in repos):
        log.info("%s: every repository has its working clone; gitim has nothing to add", org)
        return StageResult("nothing to add", [])
    dest = paths.gitim
    dest.mkdir(parents=True, exist_ok=True)
    log_file = ctx.state_paths(org).gitim_log
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.write_bytes(b"")
    sources = local_sources(ctx, org, repos, checked or {})
    had_clone = {repo["name"] for repo in repos if (paths.gitim_clone(org, repo["name"]) / ".git").exists()}
    include = ctx.state_paths(org).gitim_local_objects
    include.write_text(local_objects_config(sources, [gitim_clone_url(ctx, org, r) for r in repos]),
                       encoding="utf-8")
    log.info("%s: gitim (%d repositories, %d from github-backup's clones) into %s",
             org, len(repos), len(sources), dest)
    try:
        result = process.run(
            runner_argv(org, dest, ssh=ctx.config.git_protocol == "ssh", user=ctx.config.is_user(org)),
            env=runner_environment(ctx, include.absolute()),
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
        last = process.last_line(process.mask(_tail(log_file)))
        return StageResult("failed", [Problem(org, None, PART, f"gitim exited with {result.returncode}: {last}")])
    problems = []
    for repo in repos:
        name = repo["name"]
        clone = paths.gitim_clone(org, name)
        if name in had_clone or not (clone / ".git").is_dir():
            continue
        if gitim_clone_url(ctx, org, repo) in sources:
            seed_integrity_memo(ctx, org, name, clone)
        problems += check_out_lfs_files(ctx, org, name, clone, paths.repository_dir(name) / "repository")
    return StageResult("ran", problems)


def _tail(path: Path, size: int = 4096) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - size))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def run_gitim(ctx: RunContext, night: OrgNight) -> StageResult:
    """The stage: gitim, then every working clone checked and repaired. Refs verify-and-repair
    found equal to GitHub's moments ago need no second ls-remote, and their clones give gitim's
    clones their objects."""
    checked = {name: r["refs"] for name, r in night.records.items() if "refs" in r and not r.get("problems")}
    found = gitim_and_working_clones(ctx, night.org, night.plan.repos, checked)
    if ctx.config.gitim and night.lfs is not None and ctx.config.lfs_monthly_bytes is not None:
        # LFS objects the budget deferred on earlier nights came tonight: the working clones'
        # LFS files, pointers until now, checked out from them (local, no download)
        paths = ctx.org_paths(night.org)
        for name in night.lfs.fetched:
            clone = paths.gitim_clone(night.org, name)
            if (clone / ".git").is_dir():
                found.problems.extend(check_out_lfs_files(ctx, night.org, name, clone,
                                                          paths.repository_dir(name) / "repository"))
    return found


def gitim_and_working_clones(ctx: RunContext, org: str, repos: Sequence[Mapping],
                             remote_refs: Mapping[str, Mapping[str, str]] | None = None) -> StageResult:
    """gitim (`clone_with_gitim`), then `verify_repair_clones`; the problems of both."""
    if not ctx.config.gitim:
        return StageResult({}, [])
    found = clone_with_gitim(ctx, org, repos, remote_refs).problems
    clones = verify_repair_clones(ctx, org, repos, remote_refs)
    return StageResult(clones.captured, found + clones.problems)
