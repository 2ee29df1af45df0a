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

import json
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Mapping, Sequence

from orgbackup.git import clones, argv as git, on_disk, worktree_links
from orgbackup.git.run import run_git, unfinished
from orgbackup.tools import process
from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.errors import BackupError, CommandFailed
from orgbackup.tools.gitim.runner import EXIT_NOT_INSTALLED
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.results import INTEGRITY, Problem
from orgbackup.results import StageResult

log = logging.getLogger(__name__)

PART = "gitim"
PREVIOUS_PREFIX = "refs/orgbackup/previous"


def runner_argv(org: str, dest: Path, *, ssh: bool = False, noforks: bool = False) -> tuple[str, ...]:
    return (
        (sys.executable, "-m", "orgbackup.tools.gitim.runner", org, str(dest))
        + (("--ssh",) if ssh else ())
        + (("--noforks",) if noforks else ())
    )


def with_config_include(env: Mapping[str, str], include: Path) -> dict[str, str]:
    """`env` plus one `include.path` entry after its GIT_CONFIG_COUNT entries (git reads the file
    at every start, as command-line configuration)."""
    return git.with_config(env, ("include.path", str(include)))


def runner_environment(ctx: RunContext, include: Path | None = None) -> dict[str, str]:
    # gitim clones every repository in one process, so no Git LFS server can be pinned per
    # repository: its clones check out LFS pointers, and `check_out_lfs_files` fills them in.
    env = dict(git.git_environment(ctx.files, ctx.config.stall_seconds), ORGBACKUP_GITHUB_API_URL=ctx.config.api_url,
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

    gitim only ever adds clones (it never updates one, see tools.md), so when every
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
            runner_argv(org, dest, ssh=ctx.config.git_protocol == "ssh"),
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


def uses_lfs(clone: Path, source: Path | None) -> bool:
    """Whether a new working clone may hold LFS files (without starting git-lfs for the others)."""
    if source is not None and (source / ".git" / "lfs" / "objects").is_dir():
        return True
    try:
        return "filter=lfs" in (clone / ".gitattributes").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def check_out_lfs_files(ctx: RunContext, org: str, name: str, clone: Path, source: Path | None) -> list[Problem]:
    """A working clone made with GIT_LFS_SKIP_SMUDGE (gitim's; one made again) has LFS pointers
    where its LFS files belong: they are checked out from github-backup's clone's LFS objects
    (hard links: nothing downloaded again), and what that clone lacks from the repository's own
    LFS server on GitHub (never the one a .lfsconfig names: docs/security.md)."""
    if not uses_lfs(clone, source):
        return []
    url = git.repo_url(ctx.config.git_url, org, name)
    kept = clones.keep_lfs_objects(source / ".git", clone / ".git", checked=False) \
        if source is not None and (source / ".git").is_dir() else 0
    pulled = run_git(git.lfs_pull(clone), env=git.git_environment(ctx.files, ctx.config.stall_seconds, repo=url),
                     stall=ctx.config.stall_seconds, check=False)
    if not pulled.ok:
        return [Problem(org, name, PART, f"the working clone's LFS files: git lfs pull failed: "
                                         f"{git.failure_reason(pulled.stderr) or pulled.stdout.strip()}")]
    log.debug("%s/%s: LFS files of the working clone checked out (%d objects from github-backup's clone)",
              org, name, kept)
    return []


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


def run_gitim(ctx: RunContext, night: OrgNight) -> StageResult:
    """The stage: gitim, then every working clone checked and repaired. Refs verify-and-repair
    found equal to GitHub's moments ago need no second ls-remote, and their clones give gitim's
    clones their objects."""
    checked = {name: r["refs"] for name, r in night.records.items() if "refs" in r and not r.get("problems")}
    return gitim_and_working_clones(ctx, night.org, night.plan.repos, checked)


def gitim_and_working_clones(ctx: RunContext, org: str, repos: Sequence[Mapping],
                             remote_refs: Mapping[str, Mapping[str, str]] | None = None) -> StageResult:
    """gitim (`clone_with_gitim`), then `verify_repair_clones`; the problems of both."""
    if not ctx.config.gitim:
        return StageResult({}, [])
    found = clone_with_gitim(ctx, org, repos, remote_refs).problems
    clones = verify_repair_clones(ctx, org, repos, remote_refs)
    return StageResult(clones.captured, found + clones.problems)


def verify_repair_clones(ctx: RunContext, org: str, repos: Sequence[Mapping],
                         remote_refs: Mapping[str, Mapping[str, str]] | None = None) -> StageResult:
    """Every repository's working clone exists with its default branch at GitHub's head.

    `remote_refs` holds, per repository, GitHub's refs as an earlier stage of
    this run saw them in github-backup's clone (saves one `git ls-remote` per
    repository); the others are asked for. Returns {name: {"branch": ..., "head": sha or None}}
    for the manifest and the problems that remain.
    """
    if not ctx.config.gitim:
        return StageResult({}, [])
    paths = ctx.org_paths(org)

    def one(repo: Mapping) -> tuple[str, dict | None, list[Problem]]:
        name = repo["name"]
        clone, source = paths.gitim_clone(org, name), paths.repository_dir(name) / "repository"
        known = (remote_refs or {}).get(name)
        # Git LFS of this repository only from its own server on GitHub
        env = git.git_environment(ctx.files, ctx.config.stall_seconds, repo=git.repo_url(ctx.config.git_url, org, name))
        try:
            found, clone_refs = _whole_or_made_again(ctx, org, name, clone, source if known else None)
            state = _repair_clone(ctx, env, org, repo, clone, known, clone_refs)
            if state.get("head"):
                _share_working_tree(org, name, source, clone, ctx.state_paths(org).worktree_links(name))
            return name, state, found
        except CommandFailed as exc:
            return name, None, [Problem(org, name, PART, str(exc))]
        except _CloneError as exc:
            return name, None, [Problem(org, name, PART, str(exc))]

    results: dict[str, dict] = {}
    problems: list[Problem] = []
    with ThreadPoolExecutor(max_workers=max(1, ctx.config.git_concurrency)) as pool:
        for name, state, found in pool.map(one, repos):
            if state is not None:
                results[name] = state
            problems.extend(found)
    log.info("%s: %d working clones current, %d problems", org, len(results), len(problems))
    return StageResult(results, problems)




def integrity_memo(ctx: RunContext, org: str, name: str) -> Path:
    return ctx.state_paths(org).clone_check(PART, name)


def seed_integrity_memo(ctx: RunContext, org: str, name: str, clone: Path) -> None:
    """A working clone just made from a checked github-backup clone holds hard links of objects
    git fsck passed moments ago: recorded as checked, so that only what changes later is."""
    packs, loose = clones.objects_fingerprint(clone / ".git")
    memo = integrity_memo(ctx, org, name)
    memo.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomically(memo, {"refs": clones.refs_digest(clones.local_refs(ctx, clone)), "packs": packs,
                                 "loose": loose, "full_check": time.time()})


def _whole_or_made_again(ctx: RunContext, org: str, name: str, clone: Path, source: Path | None
                         ) -> tuple[list[Problem], dict[str, str] | None]:
    """The working clone shares its objects with github-backup's clone (hard links), so damage
    to one file is damage to both: verify-and-repair made github-backup's clone again, and the
    working clone is checked the same way (`clones.integrity_damage`, with a memo). A damaged one
    is made again beside it (from github-backup's clone when it is current, else from GitHub) and
    swapped in only when the new one is made; otherwise the damaged one stays (a problem).
    Also returns the working clone's branches and tags when it was not made again (None otherwise)."""
    clones.finish_interrupted_swap(clone)
    if not (clone / ".git").is_dir():
        return [], None
    check = clones.Check(org, name)
    memo = integrity_memo(ctx, org, name)
    refs = clones.local_refs(ctx, clone)
    damage = clones.integrity_damage(ctx, clone, refs, memo, check, "working clone")
    if not damage:
        return check.problems, refs
    url = git.repo_url(ctx.config.git_url, org, name)
    origin = source if source is not None and clones.is_repository(source, ctx) else None
    log.warning("%s/%s: the working clone is damaged (%s); making it again from %s", org, name, damage,
                "github-backup's clone" if origin else "GitHub")
    new = clones.sibling(clone, clones.NEW_SUFFIX)
    clones.remove_path(new)
    made = _clone_with_lfs_pointers(ctx, str(origin.absolute()) if origin else url, new)
    if made.ok and origin:
        made = clones.github_git(ctx, git.set_remote_url(new, url))
    if made.ok:
        check.problems.extend(check_out_lfs_files(ctx, org, name, new, origin))
    if not made.ok:
        if not unfinished(made):
            clones.remove_path(new)
        check.problem("integrity", f"the working clone is damaged ({damage}) and could not be made again: "
                                   f"{clones.why_failed(made)}", INTEGRITY)
        return check.problems, None
    old = clones.sibling(clone, clones.OLD_SUFFIX)
    os.rename(clone, old)
    os.rename(new, clone)
    clones.remove_path(old)
    memo.unlink(missing_ok=True)  # checked in full next time
    return check.problems, None




def index_stamps(source: Path, clone: Path) -> list:
    """Both clones' `.git/index` (inode, size, mtime): git rewrites it whenever the checkout changes."""
    stamps = []
    for repo in (source, clone):
        try:
            st = os.stat(repo / ".git" / "index")
        except OSError:
            return []
        stamps.append([st.st_ino, st.st_size, st.st_mtime_ns])
    return stamps


def _share_working_tree(org: str, name: str, source: Path, clone: Path, memo: Path) -> None:
    """The working clone's files that equal github-backup's clone's share their inode
    (see orgbackup/git/worktree_links.py): one working tree on disk, not two.  Skipped when
    neither checkout changed since the last sharing (`memo`: both indexes' stamps), which
    is every unchanged repository of a night (a `git ls-files` and a walk each)."""
    if not (source / ".git").is_dir():
        return
    stamps = index_stamps(source, clone)
    try:
        if stamps and json.loads(memo.read_text(encoding="utf-8")) == stamps:
            return
    except (OSError, ValueError):
        pass
    try:
        # first github-backup's checkout onto its LFS objects, then gitim's onto that checkout:
        # an LFS file is one inode in both trees and the object store
        lfs = worktree_links.share_lfs_objects(source)
        shared = worktree_links.share_identical_files(source, clone)
    except (OSError, BackupError) as exc:
        log.warning("%s/%s: working tree not shared with github-backup's clone: %s", org, name, exc)
        return
    if shared.linked or lfs.linked:
        log.info("%s/%s: %d file(s) of the working clone shared with github-backup's clone, %d LFS file(s) "
                 "with its LFS objects (%d bytes)", org, name, shared.linked, lfs.linked,
                 shared.bytes_saved + lfs.bytes_saved)
    if stamps:
        memo.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomically(memo, index_stamps(source, clone))


class _CloneError(Exception):
    pass


def _clone_with_lfs_pointers(ctx: RunContext, origin: str, dest: Path) -> process.Completed:
    """git clone that leaves LFS files as pointers (`check_out_lfs_files` fills them in)."""
    env = dict(git.git_environment(ctx.files, ctx.config.stall_seconds), GIT_LFS_SKIP_SMUDGE="1")
    return run_git(git.clone(origin, dest), env=env, stall=ctx.config.stall_seconds, check=False)


def _commit(clone: Path, rev: str) -> str | None:
    result = run_git(git.rev_parse(clone, rev), check=False)
    return result.stdout.strip() or None if result.ok else None


def _repair_clone(
    ctx: RunContext, env: Mapping[str, str], org: str, repo: Mapping, clone: Path,
    known_remote: Mapping[str, str] | None = None, clone_refs: Mapping[str, str] | None = None,
) -> dict:
    """`clone_refs`: the working clone's branches and tags as read moments ago (saves a
    `rev-parse` per repository on a quiet night)."""
    name = repo["name"]
    stall = ctx.config.stall_seconds  # the network calls below: ended only without progress
    url = git.repo_url(ctx.config.git_url, org, name)
    if known_remote is not None:
        remote = dict(known_remote)
    else:
        remote = git.parse_ref_lines(run_git(git.ls_remote(url), env=env, stall=stall).stdout)
    branch = repo.get("default_branch") or "main"
    remote_head = remote.get(f"refs/heads/{branch}")

    if not (clone / ".git").exists():
        if clone.exists() and any(clone.iterdir()):
            raise _CloneError(f"{clone.name} is in the cache but is not a git clone; left as it is")
        log.info("%s/%s: no working clone (gitim did not make one); cloning", org, name)
        clone.parent.mkdir(parents=True, exist_ok=True)
        run_git(git.clone(url, clone), env=env, stall=stall)
        clone_refs = None
    elif ctx.config.git_protocol == "https" and (on_disk.configured_remote_urls(clone / ".git") or {}).get("origin") != url:
        # gitim's origin is the API's clone_url; keep it, but never with credentials.
        run_git(git.set_remote_url(clone, url), env=env)

    if remote_head is None:
        if remote:
            raise _CloneError(f"GitHub lists no branch {branch!r} (the default branch) for {name}")
        return {"branch": branch, "head": None}  # an empty repository: nothing to check out

    local = clone_refs.get(f"refs/heads/{branch}") if clone_refs is not None else \
        _commit(clone, f"refs/heads/{branch}")
    on_branch = on_disk.head_file_ref(clone / ".git")
    if on_branch is None:
        on_branch = run_git(git.head_ref(clone), check=False).stdout.strip()
    if local == remote_head and on_branch == f"refs/heads/{branch}":
        return {"branch": branch, "head": remote_head}

    run_git(git.fetch_branches_as_remote(clone, url), env=env, stall=stall)
    target = _commit(clone, f"refs/remotes/origin/{branch}")
    if target is None:
        raise _CloneError(f"fetching {branch!r} brought no commit")
    if local and local != target:
        ff = run_git(git.is_ancestor(clone, local, target), check=False)
        if ff.returncode == 1:
            keep = previous_ref(branch)
            run_git(git.update_ref(clone, keep, local), env=env)
            log.warning("%s/%s: %s was rewritten upstream; old head %s kept as %s",
                        org, name, branch, local[:12], keep)
        elif not ff.ok:
            raise process.failure(ff)
        else:
            log.info("%s/%s: fast-forwarding %s to %s", org, name, branch, target[:12])
    if run_git(git.status_porcelain(clone)).stdout.strip():
        stash = f"orgbackup: local changes before moving to {target[:12]}"
        run_git(git.stash_everything(clone, stash), env=env)
        log.warning("%s/%s: local changes in the working clone kept in refs/stash", org, name)
    run_git(git.checkout_branch_at(clone, branch, target), env=env, stall=stall)  # Git LFS may download what it checks out
    run_git(git.set_upstream(clone, branch), env=env, check=False)
    head = _commit(clone, "HEAD")
    if head != target:
        raise _CloneError(f"the working clone is at {head} after the update, not at {target}")
    if target != remote_head:
        log.info("%s/%s: %s moved on GitHub during the check; clone at %s", org, name, branch, target[:12])
    return {"branch": branch, "head": target}
