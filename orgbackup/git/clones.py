"""Keeping a cached clone equal to GitHub and whole: its state, fetch, integrity check and healing.

Entry: `sync_clone(ctx, path, url, expected, default_branch, check, part, memo)`
makes the clone at `path` hold `expected` (ls-remote's refs) and pass git's
integrity check; `finish_interrupted_swap(path)` first cleans what a stopped run
left.  Used by the verify-and-repair stage for the repository's and the wiki's
clone.  Every git command goes through `github_git` (orgbackup/git/run.py), which never
raises: a git that did not run to its end returns exit status -1 (`unfinished`), so that nothing is
ever concluded, or deleted, from a stop.

Clones (the repository's and the wiki's, both through `sync_clone`):
- A stop never deletes anything.  Only "there is no .git" or git's own "not a
  git repository" means a clone is gone.  Any other failure (git did not run,
  the run is stopping, a timeout, "dubious ownership", permissions) leaves the
  clone exactly as it is and is a problem.
- A clone is never removed before its replacement is good: the new one is
  cloned beside it into `<clone>.new` (`--no-checkout`), gets every branch,
  the old clone's intact LFS objects (hard links, so nothing is downloaded
  again), then its work tree; it is swapped in (two renames: old to
  `<clone>.old`, new into place, then `.old` removed) only when git fsck passes
  and, replacing a clone, its refs are ls-remote's.  Otherwise it is removed
  and the old one stays.  Every run first cleans what a stopped run left: a
  `.new` is removed; a `.old` is put back when the clone is missing, removed
  when it is not.
- A damaged clone that cannot be healed this run (GitHub unreachable, the new
  clone not good either) is kept, damaged, in the cache and so in the
  snapshot: it may be the only copy of what GitHub no longer has.  It is a
  problem of part "integrity", so the run is incomplete and says so loudly.

Integrity: a clone is whole when git says so, and the check is kept cheap with a
memo per clone in `CACHE/.state/<ORG>/clone-checks/<repository|wiki>/<NAME>.json`
(like the LFS memo): the refs' digest, every pack file's size and mtime, and a
digest of the loose objects' names, sizes and mtimes, as of the last check
that passed.  Nothing changed -> no git runs.  Packs that are new or changed ->
`git verify-pack` of those (the small pack a fetch brings) plus `git fsck
--connectivity-only`; when those packs hold more than half of the bytes (a
repack), or the last full check is older than FULL_CHECK_DAYS (7; catches bit
rot that keeps size and mtime), or no memo exists -> full `git fsck`.  Measured
here (2 cores) on a bare clone of git/git (849,014 objects, one 303 MiB pack):
full `git fsck` 45.8 s, `--connectivity-only` 4.4 s, `verify-pack` of the whole
pack 79 s (hence the rule above), the memo's stat of `objects/` under 1 ms.  So
an unchanged large repository costs nothing, a fetched one a few seconds, and
the full check runs once a week per clone.  A check that could not run (stop,
timeout) is a problem ("integrity") and updates no memo.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from orgbackup.tools import process
from orgbackup.git import argv as git, on_disk
from orgbackup.git.environment import git_environment
from orgbackup.git.run import run_git, unfinished
from orgbackup.tools.process import Completed
from orgbackup.backup.context import RunContext
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.results import INTEGRITY, TRANSIENT, Problem
from orgbackup.github.urls import without_credentials

log = logging.getLogger(__name__)

# The only git answer that means a clone is gone (git's own words, any version).
_NOT_A_REPOSITORY = "not a git repository"
FULL_CHECK_DAYS = 7
# A clone made again is built beside the old one and swapped in by two renames.
NEW_SUFFIX = ".new"
OLD_SUFFIX = ".old"


@dataclass
class Check:
    """What one repository's verification found."""

    org: str
    name: str
    problems: list[Problem] = field(default_factory=list)

    def problem(self, part: str, message: str, kind: str = TRANSIENT) -> None:
        log.warning("%s/%s [%s]: %s", self.org, self.name, part, message)
        self.problems.append(Problem(self.org, self.name, part, message, kind))


# Running git


def github_git(ctx: RunContext, argv: tuple[str, ...], url: str | None = None) -> Completed:
    """A git of a cached clone, in GitHub's environment (orgbackup/git/run.py; never raises).
    `url`: the repository on GitHub this git may talk to (git itself or Git LFS): its LFS
    server is then that repository's, and git is ended after BACKUP_STALL_SECONDS without
    progress. Without it, a local git with no limit (a full fsck of a large clone reads packs
    through mmap, which shows as no progress, and may take long)."""
    stall = ctx.config.stall_seconds
    return run_git(argv, env=git_environment(ctx.files, stall, repo=url), stall=stall if url else None,
                   timeout=None, check=False)


def why_failed(result: Completed) -> str:
    return git.failure_reason(result.stderr) or process.last_line(result.stdout) or f"exit status {result.returncode}"


def git_error(result: Completed) -> str:
    """git's own complaint ("fatal: ..."), not the hint it prints after it."""
    for line in (result.stderr + "\n" + result.stdout).splitlines():
        if line.startswith(("fatal:", "error:")):
            return line.strip()
    return why_failed(result)


def clone_state(path: Path, ctx: RunContext) -> tuple[str, str]:
    """("ok", ""): `path` is itself a non-bare git repository; ("gone", why): there is
    none (no .git, or git itself says "not a git repository"), so cloning again loses
    nothing; ("unknown", why): git could not tell (it did not run, the run is stopping,
    it timed out, dubious ownership, permissions): the clone must be left as it is."""
    if not (path / ".git").exists() and not (path / ".git").is_symlink():
        return "gone", "no .git" if path.exists() else "missing"
    result = github_git(ctx, git.absolute_git_dir(path))
    if result.ok:
        if Path(result.stdout.strip()).resolve() == (path / ".git").resolve():
            return "ok", ""
        return "unknown", f"its git folder is {result.stdout.strip()}, not {path / '.git'}"
    if not unfinished(result) and _NOT_A_REPOSITORY in result.stderr.lower():
        return "gone", git_error(result)
    return "unknown", git_error(result)


def is_repository(path: Path, ctx: RunContext) -> bool:
    return clone_state(path, ctx)[0] == "ok"


def local_refs(ctx: RunContext, path: Path) -> dict[str, str]:
    result = github_git(ctx, git.for_each_ref(path))
    return git.parse_ref_lines(result.stdout) if result.ok else {}


def ref_differences(expected: dict[str, str], actual: dict[str, str]) -> list[str]:
    """Human-readable differences that mean data is missing (extra local refs are not)."""
    missing = sorted(r for r in expected if r not in actual)
    wrong = sorted(r for r in expected if r in actual and actual[r] != expected[r])
    out = []
    if missing:
        out.append(f"{len(missing)} ref(s) missing: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    if wrong:
        out.append(
            f"{len(wrong)} ref(s) not at GitHub's commit: "
            + ", ".join(f"{r} ({actual[r][:10]} instead of {expected[r][:10]})" for r in wrong[:5])
            + (" ..." if len(wrong) > 5 else "")
        )
    return out


def head_branch_for(expected: dict[str, str], preferred: str | None) -> str | None:
    heads = sorted(r for r in expected if r.startswith("refs/heads/"))
    for candidate in (f"refs/heads/{preferred}" if preferred else None, "refs/heads/main", "refs/heads/master"):
        if candidate and candidate in expected:
            return candidate
    return heads[0] if heads else None


def clean_remote_urls(ctx: RunContext, path: Path, url: str) -> None:
    """origin -> the credential-free URL; any other remote loses its user:password@."""
    remotes = on_disk.configured_remote_urls(path / ".git")
    if remotes is None:
        result = github_git(ctx, git.get_remote_urls(path))
        remotes = git.parse_remote_urls(result.stdout) if result.ok else {}
    for remote, current in remotes.items():
        wanted = url if remote == "origin" else without_credentials(current)
        if current != wanted:
            github_git(ctx, git.set_remote_url(path, wanted, remote))
    if "origin" not in remotes:
        github_git(ctx, ("git", "-C", str(path), "remote", "add", "origin", url))


def sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def finish_interrupted_swap(path: Path) -> None:
    """What an earlier run left half-done: a half-made `<path>.new` (stopped while cloning)
    is removed; `<path>.old` is put back when `path` is missing (stopped between the two
    renames), or removed when the swap was complete."""
    old, new = sibling(path, OLD_SUFFIX), sibling(path, NEW_SUFFIX)
    if old.exists() or old.is_symlink():
        if path.exists() or path.is_symlink():
            log.warning("removing %s: the clone that replaced it is in place", old)
            remove_path(old)
        else:
            log.warning("putting %s back: an earlier run stopped while replacing it", path)
            os.rename(old, path)
    if new.exists() or new.is_symlink():
        log.warning("removing %s, left half-made by an earlier run", new)
        remove_path(new)


def refs_digest(refs: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(refs, sort_keys=True).encode()).hexdigest()


def objects_fingerprint(git_dir: Path) -> tuple[dict[str, list[int]], str]:
    """({pack file: [size, mtime_ns]}, digest of the loose objects' names, sizes and mtimes)."""
    packs: dict[str, list[int]] = {}
    loose = hashlib.sha256()
    objects = git_dir / "objects"
    for folder, dirs, files in os.walk(objects):
        dirs.sort()
        for name in sorted(files):
            stat = os.stat(os.path.join(folder, name))
            if os.path.basename(folder) == "pack":
                packs[name] = [stat.st_size, stat.st_mtime_ns]
            else:
                loose.update(f"{os.path.relpath(folder, objects)}/{name} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    return packs, loose.hexdigest()


def integrity_damage(ctx: RunContext, path: Path, refs: dict[str, str], memo: Path, check: Check, where: str,
                     *, full: bool = False) -> str | None:
    """What git finds wrong with the clone's objects, or None when it is whole (or could not
    be checked: then that is a problem). See "Integrity" in the module docstring."""
    packs, loose = objects_fingerprint(path / ".git")
    try:
        saved = json.loads(memo.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = {}
    now = time.time()
    full = full or now - saved.get("full_check", 0) > FULL_CHECK_DAYS * 86400
    unchanged = saved.get("refs") == refs_digest(refs) and saved.get("packs") == packs and saved.get("loose") == loose
    if unchanged and not full:
        return None
    if not full:
        seen = saved.get("packs") or {}
        changed = sorted(n for n, stamp in packs.items() if n.endswith(".pack") and seen.get(n) != stamp)
        total = sum(stamp[0] for n, stamp in packs.items() if n.endswith(".pack"))
        # verify-pack of most of the objects costs more than fsck of all of them (after a repack).
        full = 2 * sum(packs[n][0] for n in changed) > total
    if full:
        checks = [git.fsck(path)]
    else:
        pack_dir = (path / ".git" / "objects" / "pack").absolute()  # git runs in `path`: no relative path
        checks = [git.verify_pack(path, pack_dir / n) for n in changed]
        checks.append(git.fsck_connectivity(path))
    for argv in checks:
        result = github_git(ctx, argv)
        if unfinished(result):
            check.problem("integrity", f"{where} not checked: {why_failed(result)}")
            return None
        if not result.ok:
            return why_failed(result)
    memo.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomically(memo, {"refs": refs_digest(refs), "packs": packs, "loose": loose,
                      "full_check": now if full else saved["full_check"]})
    return None


def keep_lfs_objects(old_git_dir: Path, new_git_dir: Path, *, checked: bool = True) -> int:
    """Hard-link (or copy) every intact LFS object of the old clone into the new one
    (`checked=False`: every object, unread, where the old clone's were checked moments ago)."""
    kept = 0
    objects = old_git_dir / "lfs" / "objects"
    for source in objects.glob("??/??/*") if objects.is_dir() else []:
        oid = source.name
        if len(oid) != 64 or (checked and on_disk.lfs_object_status(old_git_dir, oid) != "ok"):
            continue
        target = git.lfs_object_path(new_git_dir, oid)
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
        kept += 1
    return kept


def point_head_and_check_out(ctx: RunContext, path: Path, url: str, expected: dict[str, str],
                             default_branch: str | None, check: Check) -> None:
    if not github_git(ctx, git.resolve_head(path)).ok:
        head = head_branch_for(expected, default_branch)
        if head:
            github_git(ctx, git.point_head(path, head))
    if github_git(ctx, git.resolve_head(path)).ok:
        result = github_git(ctx, git.reset_worktree(path), url)  # Git LFS may download what it checks out
        if not result.ok:
            log.warning("%s/%s: git reset failed: %s", check.org, check.name, why_failed(result))


def clone_beside(ctx: RunContext, path: Path, url: str, expected: dict[str, str], default_branch: str | None,
                 check: Check, part: str, memo: Path, reason: str) -> bool:
    """Clone `url` into `<path>.new` and swap it in only when it is good: whole, and (when it
    replaces a clone) holding `expected`. The old clone goes only after the swap; a stop
    leaves it in place (the half-made new one is removed at the next run)."""
    where = f"{part} clone"
    replacing = path.exists() or path.is_symlink()
    new = sibling(path, NEW_SUFFIX)
    remove_path(new)
    if replacing:
        log.warning("%s/%s: %s: %s; cloning it again beside it", check.org, check.name, where, reason)
    else:
        log.info("%s/%s: cloning the %s", check.org, check.name, part)
    path.parent.mkdir(parents=True, exist_ok=True)
    result = github_git(ctx, git.clone_no_checkout(url, new), url)
    if not result.ok:
        if not unfinished(result):  # a stop deletes nothing: the next run removes it
            remove_path(new)
        if replacing:
            check.problem("integrity", f"{where} not replaced ({reason}): git clone failed: {why_failed(result)}",
                          INTEGRITY)
        else:
            check.problem(part, f"git clone failed: {why_failed(result)}")
        return False
    # A clone makes local only the default branch; the backup keeps every branch as one.
    fetched = github_git(ctx, git.fetch_mirror_refs(new, url), url)
    if not fetched.ok:
        log.warning("%s/%s: git fetch into the new %s failed: %s", check.org, check.name, where, why_failed(fetched))
    if (path / ".git").is_dir():  # even when git no longer takes it for a repository
        kept = keep_lfs_objects(path / ".git", new / ".git")
        if kept:
            log.info("%s/%s: %d intact LFS object(s) kept from the old %s", check.org, check.name, kept, where)
    point_head_and_check_out(ctx, new, url, expected, default_branch, check)
    refs = local_refs(ctx, new)
    wrong = ref_differences(expected, refs) if replacing else []
    damage = integrity_damage(ctx, new, refs, memo, check, where, full=True)
    if wrong or damage:
        log.warning("%s/%s: the new %s is not good either (%s); keeping the old one", check.org, check.name, where,
                    "; ".join(wrong) or damage)
        remove_path(new)
        if replacing:
            check.problem("integrity", f"{where} could not be healed ({reason}); the damaged copy is kept",
                          INTEGRITY)
        return False
    old = sibling(path, OLD_SUFFIX)
    if replacing:
        os.rename(path, old)
    os.rename(new, path)
    remove_path(old)
    return True


def sync_clone(ctx: RunContext, path: Path, url: str, expected: dict[str, str], default_branch: str | None,
               check: Check, part: str, memo: Path) -> dict[str, str]:
    """Make the clone at `path` hold `expected` (ls-remote's refs), whole; returns its refs afterwards.

    A clone git cannot read is left as it is (a problem); one that is gone, or whose fetch
    or integrity check fails, is cloned again beside it (`clone_beside`)."""
    where = f"{part} clone"
    state, why = clone_state(path, ctx)
    if state == "unknown":
        check.problem(part, f"{where} left as it is: git cannot read it ({why})")
        return {}
    if state == "gone":
        if path.exists() or path.is_symlink():
            log.warning("%s/%s: %s at %s is not a git repository (%s)", check.org, check.name, where, path, why)
        if not clone_beside(ctx, path, url, expected, default_branch, check, part, memo,
                            f"not a git repository ({why})"):
            return local_refs(ctx, path) if is_repository(path, ctx) else {}
    clean_remote_urls(ctx, path, url)
    actual = local_refs(ctx, path)
    damage = None
    if actual != expected:
        log.info("%s/%s: %s is stale (%s); fetching", check.org, check.name, where,
                 "; ".join(ref_differences(expected, actual)) or "refs GitHub no longer has")
        result = github_git(ctx, git.fetch_mirror_refs(path, url), url)
        if unfinished(result):  # stopping or timed out: nothing to conclude about the clone
            log.warning("%s/%s: git fetch did not finish: %s", check.org, check.name, why_failed(result))
        elif not result.ok:
            # A server that fails says nothing about the clone: only a clone that fails a full
            # check (a damaged pack can break a fetch while the memo saw no change) is cloned again.
            log.warning("%s/%s: git fetch failed: %s; checking the clone", check.org, check.name, why_failed(result))
            found = integrity_damage(ctx, path, local_refs(ctx, path), memo, check, where, full=True)
            damage = f"git fetch failed ({why_failed(result)}) and {found}" if found else None
        point_head_and_check_out(ctx, path, url, expected, default_branch, check)
        actual = local_refs(ctx, path)
    damage = damage or integrity_damage(ctx, path, actual, memo, check, where)
    if damage and state == "ok" and clone_beside(ctx, path, url, expected, default_branch, check, part, memo, damage):
        actual = local_refs(ctx, path)
    for difference in ref_differences(expected, actual):
        check.problem(part, difference)
    extra = sorted(set(actual) - set(expected))
    if extra:
        log.warning("%s/%s: %s keeps refs GitHub no longer has: %s", check.org, check.name, where, ", ".join(extra[:5]))
    return actual


