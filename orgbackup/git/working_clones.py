"""A working clone (gitim's) kept whole and at GitHub's default branch head.

    verify_repair_clones(ctx, org, repos, remote_refs) -> StageResult({name: {branch, head}}, problems)

Every working clone exists, shares its objects with github-backup's clone (hard links), is
whole (`clones.integrity_damage`, with a memo; a damaged one is made again beside it and
swapped in), and has its default branch checked out at GitHub's head, without losing
anything: a head that upstream rewrote is kept under `refs/orgbackup/previous/<branch>/<UTC
time>`, local changes in refs/stash. Its LFS files are checked out from github-backup's LFS
objects (`check_out_lfs_files`); its files equal to github-backup's share their inode
(orgbackup/git/worktree_links.py). gitim itself runs in orgbackup/backup/stages/gitim.py.
"""

from __future__ import annotations

import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Mapping, Sequence

from orgbackup.backup.context import RunContext
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.errors import BackupError, CommandFailed
from orgbackup.git import argv as git
from orgbackup.git import clones, on_disk, worktree_links
from orgbackup.git.environment import git_environment
from orgbackup.git.run import run_git, unfinished
from orgbackup.results import INTEGRITY, Problem, StageResult
from orgbackup.tools import process

log = logging.getLogger(__name__)

PART = "gitim"


PREVIOUS_PREFIX = "refs/orgbackup/previous"


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
    # With an LFS bandwidth budget, only the objects github-backup's clone has (the budget's);
    # the others stay pointers here, their download deferred there (orgbackup/backup/stages/lfs_objects.py).
    budgeted = ctx.config.lfs_monthly_bytes is not None
    pulled = run_git(git.lfs_checkout(clone) if budgeted else git.lfs_pull(clone),
                     env=git_environment(ctx.files, ctx.config.stall_seconds, repo=url),
                     stall=ctx.config.stall_seconds, check=False)
    if not pulled.ok:
        return [Problem(org, name, PART, f"the working clone's LFS files: git lfs {pulled.argv[4]} failed: "
                                         f"{git.failure_reason(pulled.stderr) or pulled.stdout.strip()}")]
    log.debug("%s/%s: LFS files of the working clone checked out (%d objects from github-backup's clone)",
              org, name, kept)
    return []


def previous_ref(branch: str, when: float | None = None) -> str:
    """Where a head that upstream rewrote is kept: refs/orgbackup/previous/<branch>/<UTC time>."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))
    return f"{PREVIOUS_PREFIX}/{branch}/{stamp}"


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
        env = git_environment(ctx.files, ctx.config.stall_seconds, repo=git.repo_url(ctx.config.git_url, org, name))
        if ctx.config.lfs_monthly_bytes is not None:  # a checkout downloads no LFS object past the budget
            env["GIT_LFS_SKIP_SMUDGE"] = "1"
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
    env = dict(git_environment(ctx.files, ctx.config.stall_seconds), GIT_LFS_SKIP_SMUDGE="1")
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
