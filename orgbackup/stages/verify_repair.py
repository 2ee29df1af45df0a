"""Verify the github-backup copy against what GitHub says now, and repair what is missing.

Entry: `run_verify_repair(ctx, org, repos) -> (records, problems)`, where
`records` maps each repository name the organization lists to its manifest
record (docs/architecture.md, "manifest.json", without the `gitim` key, which
another stage fills) and `problems` lists what could not be had.

Never trust the tool (see shared notes, tools.md).  For every repository,
concurrently (at most `config.concurrency` at a time):

- refs: `git ls-remote` of the credential-free URL (git asks the askpass helper
  for the token).  The clone `repositories/<NAME>/repository` must hold every
  branch as a local branch and every tag, at the SHAs ls-remote reports.  A
  stale clone gets `git fetch` of every branch and tag (`fetch_mirror_refs`,
  which also prunes refs GitHub no longer has), HEAD is pointed at the default
  branch if its branch vanished, and the working tree is reset.  What still
  differs is a problem (part "repository").  Then its integrity is checked
  (below).  A clone that is gone, or whose fetch or integrity check fails, is
  cloned again (see "Clones").
- LFS: every object `git lfs ls-files --all --long` names must be in
  `.git/lfs/objects` with the right sha256; missing or corrupt ones are fetched
  with `git lfs fetch --all URL`; what is still missing is a problem ("lfs").
- wiki (when the repository has one and wikis are backed up): ls-remote of the
  wiki URL built by `git.wiki_url` (right for `*.github.io`, unlike 0.40.0);
  "not found" means there is no wiki (record null); otherwise the `wiki` clone
  is verified and repaired like the repository ("wiki").
- pull request conversation comments (0.40.0 drops them when issues and pulls
  are both backed up): for repositories that changed (the decision of
  `github_backup.change_decisions`, shared), one paginated request of the
  repository's issue comments since the last fetch; those on pull requests are
  merged by id into `pulls/<N>.conversation.json` (never dropping a saved one).
  The `since` of the next fetch is the newest `updated_at` seen, on GitHub's
  clock, kept in the repository's row of the state store.
- every remote URL of every clone this stage looks at is set to the
  credential-free URL (github-backup 0.40.0 writes the token into them).

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

Counts in the record (issues, pulls, releases, release assets, conversation
comments) are of the files on disk.  `problems` in a record are this stage's.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .. import commands, git
from ..commands import Completed
from ..context import RunContext
from ..errors import BackupError
from ..json_files import write_json_atomically
from ..problems import INTEGRITY, TRANSIENT, Problem
from ..stage_result import StageResult
from ..state_store import RepoState
from .github_backup import change_decisions

log = logging.getLogger(__name__)

LFS_MEMO_DIR = "lfs-oids"
_ISSUE_NUMBER = re.compile(r"/issues/(\d+)$")
_NUMBERED_JSON = re.compile(r"^(\d+)\.json$")
# What git says when the wiki (or repository) does not exist; anything else is a failure.
_NOT_FOUND = ("not found", "repository not found", "does not appear to be a git repository")
# The only git answer that means a clone is gone (git's own words, any version).
_NOT_A_REPOSITORY = "not a git repository"
INTEGRITY_MEMO_DIR = "clone-checks"
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


def _git(ctx: RunContext, argv: tuple[str, ...]) -> Completed:
    try:
        return commands.run(argv, env=git.git_environment(ctx.files, ctx.config.stall_seconds), check=False)
    except BackupError as exc:  # did not start, or timed out
        return Completed(tuple(argv), -1, "", str(exc))


def _unfinished(result: Completed) -> bool:
    """git did not run to its end (did not start, the run is stopping, timed out, killed by
    a signal): its failure says nothing about the clone."""
    return result.returncode < 0


def _why(result: Completed) -> str:
    return git.failure_reason(result.stderr) or commands.last_line(result.stdout) or f"exit status {result.returncode}"


def _git_error(result: Completed) -> str:
    """git's own complaint ("fatal: ..."), not the hint it prints after it."""
    for line in (result.stderr + "\n" + result.stdout).splitlines():
        if line.startswith(("fatal:", "error:")):
            return line.strip()
    return _why(result)


def clone_state(path: Path, ctx: RunContext) -> tuple[str, str]:
    """("ok", ""): `path` is itself a non-bare git repository; ("gone", why): there is
    none (no .git, or git itself says "not a git repository"), so cloning again loses
    nothing; ("unknown", why): git could not tell (it did not run, the run is stopping,
    it timed out, dubious ownership, permissions): the clone must be left as it is."""
    if not (path / ".git").exists() and not (path / ".git").is_symlink():
        return "gone", "no .git" if path.exists() else "missing"
    result = _git(ctx, git.absolute_git_dir(path))
    if result.ok:
        if Path(result.stdout.strip()).resolve() == (path / ".git").resolve():
            return "ok", ""
        return "unknown", f"its git folder is {result.stdout.strip()}, not {path / '.git'}"
    if not _unfinished(result) and _NOT_A_REPOSITORY in result.stderr.lower():
        return "gone", _git_error(result)
    return "unknown", _git_error(result)


def is_repository(path: Path, ctx: RunContext) -> bool:
    return clone_state(path, ctx)[0] == "ok"


def local_refs(ctx: RunContext, path: Path) -> dict[str, str]:
    result = _git(ctx, git.for_each_ref(path))
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
    remotes = git.configured_remote_urls(path / ".git")
    if remotes is None:
        result = _git(ctx, git.get_remote_urls(path))
        remotes = git.parse_remote_urls(result.stdout) if result.ok else {}
    for remote, current in remotes.items():
        wanted = url if remote == "origin" else git.without_credentials(current)
        if current != wanted:
            _git(ctx, git.set_remote_url(path, wanted, remote))
    if "origin" not in remotes:
        _git(ctx, ("git", "-C", str(path), "remote", "add", "origin", url))


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
        result = _git(ctx, argv)
        if _unfinished(result):
            check.problem("integrity", f"{where} not checked: {_why(result)}")
            return None
        if not result.ok:
            return _why(result)
    memo.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomically(memo, {"refs": refs_digest(refs), "packs": packs, "loose": loose,
                      "full_check": now if full else saved["full_check"]})
    return None


def keep_lfs_objects(old_git_dir: Path, new_git_dir: Path) -> int:
    """Hard-link (or copy) every intact LFS object of the old clone into the new one."""
    kept = 0
    objects = old_git_dir / "lfs" / "objects"
    for source in objects.glob("??/??/*") if objects.is_dir() else []:
        oid = source.name
        if len(oid) != 64 or git.lfs_object_status(old_git_dir, oid) != "ok":
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


def point_head_and_check_out(ctx: RunContext, path: Path, expected: dict[str, str], default_branch: str | None,
                             check: Check) -> None:
    if not _git(ctx, git.resolve_head(path)).ok:
        head = head_branch_for(expected, default_branch)
        if head:
            _git(ctx, git.point_head(path, head))
    if _git(ctx, git.resolve_head(path)).ok:
        result = _git(ctx, git.reset_worktree(path))
        if not result.ok:
            log.warning("%s/%s: git reset failed: %s", check.org, check.name, _why(result))


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
    result = _git(ctx, git.clone_no_checkout(url, new))
    if not result.ok:
        if not _unfinished(result):  # a stop deletes nothing: the next run removes it
            remove_path(new)
        if replacing:
            check.problem("integrity", f"{where} not replaced ({reason}): git clone failed: {_why(result)}",
                          INTEGRITY)
        else:
            check.problem(part, f"git clone failed: {_why(result)}")
        return False
    # A clone makes local only the default branch; the backup keeps every branch as one.
    fetched = _git(ctx, git.fetch_mirror_refs(new, url))
    if not fetched.ok:
        log.warning("%s/%s: git fetch into the new %s failed: %s", check.org, check.name, where, _why(fetched))
    if (path / ".git").is_dir():  # even when git no longer takes it for a repository
        kept = keep_lfs_objects(path / ".git", new / ".git")
        if kept:
            log.info("%s/%s: %d intact LFS object(s) kept from the old %s", check.org, check.name, kept, where)
    point_head_and_check_out(ctx, new, expected, default_branch, check)
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
        result = _git(ctx, git.fetch_mirror_refs(path, url))
        if _unfinished(result):  # stopping or timed out: nothing to conclude about the clone
            log.warning("%s/%s: git fetch did not finish: %s", check.org, check.name, _why(result))
        elif not result.ok:
            # A server that fails says nothing about the clone: only a clone that fails a full
            # check (a damaged pack can break a fetch while the memo saw no change) is cloned again.
            log.warning("%s/%s: git fetch failed: %s; checking the clone", check.org, check.name, _why(result))
            found = integrity_damage(ctx, path, local_refs(ctx, path), memo, check, where, full=True)
            damage = f"git fetch failed ({_why(result)}) and {found}" if found else None
        point_head_and_check_out(ctx, path, expected, default_branch, check)
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


# LFS


def lfs_object_ok(git_dir: Path, oid: str) -> bool:
    return git.lfs_object_status(git_dir, oid) == "ok"


def needed_lfs_oids(ctx: RunContext, path: Path, refs: dict[str, str], memo: Path, check: Check) -> set[str] | None:
    """The LFS objects the clone's history needs. Which objects a history needs depends
    only on its commits, so for the same branches and tags at the same SHAs the list of
    the last run is reused (`memo`) instead of walking the history again."""
    digest = hashlib.sha256(json.dumps(refs, sort_keys=True).encode()).hexdigest()
    try:
        saved = json.loads(memo.read_text(encoding="utf-8"))
        if saved.get("refs") == digest:
            return set(saved["oids"])
    except (OSError, ValueError, KeyError):
        pass
    listed = _git(ctx, git.lfs_ls_all_oids(path))
    if not listed.ok:
        check.problem("lfs", f"git lfs ls-files failed: {_why(listed)}")
        return None
    oids = git.parse_lfs_oids(listed.stdout)
    memo.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomically(memo, {"refs": digest, "oids": sorted(oids)})
    return oids


def check_lfs(ctx: RunContext, path: Path, url: str, check: Check, refs: dict[str, str], memo: Path) -> int:
    """Every LFS object the clone's refs need, present and whole (each hashed); returns how many are."""
    oids = needed_lfs_oids(ctx, path, refs, memo, check)
    if oids is None:
        return 0
    git_dir = path / ".git"
    missing = sorted(oid for oid in oids if not lfs_object_ok(git_dir, oid))
    if missing:
        log.info("%s/%s: %d of %d LFS object(s) missing; fetching", check.org, check.name, len(missing), len(oids))
        for oid in missing:  # a corrupt object would be taken as present
            object_path = git.lfs_object_path(git_dir, oid)
            if object_path.exists():
                object_path.unlink()
        result = _git(ctx, git.lfs_fetch_all(path, url))
        if not result.ok:
            log.warning("%s/%s: git lfs fetch failed: %s", check.org, check.name, _why(result))
        missing = sorted(oid for oid in missing if not lfs_object_ok(git_dir, oid))
    if missing:
        check.problem("lfs", f"{len(missing)} LFS object(s) missing: {', '.join(o[:12] for o in missing[:5])}")
    return len(oids) - len(missing)


# Pull request conversation comments


def issue_number(comment: dict) -> int | None:
    match = _ISSUE_NUMBER.search(comment.get("issue_url") or "")
    return int(match.group(1)) if match else None


def merge_comments(saved: list[dict], new: list[dict]) -> list[dict]:
    """By comment id, the newer version winning; nothing saved is ever dropped; sorted by id."""
    by_id = {c["id"]: c for c in saved}
    for comment in new:
        old = by_id.get(comment["id"])
        if old is None or (comment.get("updated_at") or "") >= (old.get("updated_at") or ""):
            by_id[comment["id"]] = comment
    return [by_id[i] for i in sorted(by_id)]


def save_pull_comments(repo_dir: Path, comments: list[dict], *, issues_saved: bool) -> tuple[int, bool]:
    """Merge the comments on pull requests into pulls/N.conversation.json.

    Returns (comments saved, complete): not complete when a comment's issue is
    neither a saved pull request nor a saved issue (github-backup did not save
    it yet), so that the next fetch starts from the same point again.
    """
    pulls_dir = repo_dir / "pulls"
    by_number: dict[int, list[dict]] = {}
    complete = True
    for comment in comments:
        number = issue_number(comment)
        if number is None:
            continue
        is_pull = (pulls_dir / f"{number}.json").exists() or "/pull/" in (comment.get("html_url") or "")
        if is_pull:
            by_number.setdefault(number, []).append(comment)
        elif issues_saved and not (repo_dir / "issues" / f"{number}.json").exists():
            complete = False
    saved = 0
    for number, new in by_number.items():
        pulls_dir.mkdir(parents=True, exist_ok=True)
        path = pulls_dir / f"{number}.conversation.json"
        old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
        write_json_atomically(path, merge_comments(old, new))
        saved += len(new)
    return saved, complete


def comment_entry(state: RepoState) -> dict | None:
    """What the state store remembers of the last conversation-comment fetch."""
    if state.comments_ok is None:
        return None
    return {"since": state.comments_since, "ok": bool(state.comments_ok)}


def fetch_pull_comments(ctx: RunContext, repo: dict, repo_dir: Path, entry: dict, check: Check) -> dict:
    """One paginated request of the repository's issue comments since the last fetch; returns the new entry."""
    since = entry.get("since")
    try:
        comments = ctx.api.issue_comments_since(repo["full_name"], since)
    except BackupError as exc:
        check.problem("pulls", f"could not read pull request conversation comments: {exc}")
        return {**entry, "ok": False}
    saved, complete = save_pull_comments(repo_dir, comments, issues_saved="issues" in ctx.config.parts)
    log.info("%s/%s: %d new or edited conversation comment(s) on pull requests", check.org, check.name, saved)
    if not complete:
        return {**entry, "ok": False}
    stamps = [c.get("updated_at") for c in comments if c.get("updated_at")]
    newest = max(stamps + ([since] if since else [])) if stamps or since else None
    return {"since": newest, "ok": True}


# Counting what is on disk


def count_on_disk(repo_dir: Path) -> dict[str, int]:
    def numbered(folder: Path) -> list[Path]:
        return [p for p in folder.glob("*.json") if _NUMBERED_JSON.match(p.name)] if folder.is_dir() else []

    conversation = 0
    pulls_dir = repo_dir / "pulls"
    for path in pulls_dir.glob("*.conversation.json") if pulls_dir.is_dir() else []:
        try:
            conversation += len(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            pass
    releases_dir = repo_dir / "releases"
    releases = list(releases_dir.glob("*.json")) if releases_dir.is_dir() else []
    assets = [
        f for d in (releases_dir.iterdir() if releases_dir.is_dir() else []) if d.is_dir() for f in d.iterdir() if f.is_file()
    ]
    return {
        "issues": len(numbered(repo_dir / "issues")),
        "pulls": len(numbered(pulls_dir)),
        "pull_conversation_comments": conversation,
        "releases": len(releases),
        "release_assets": len(assets),
    }


# One repository


def wiki_missing(result: Completed) -> bool:
    text = (result.stderr + result.stdout).lower()
    return any(marker in text for marker in _NOT_FOUND)


def verify_repository(ctx: RunContext, org: str, repo: dict, changed: bool, comment_entry: dict | None
                      ) -> tuple[dict, list[Problem], dict | None]:
    name = repo["name"]
    check = Check(org, name)
    repo_dir = ctx.org_paths(org).repository_dir(name)
    clone_dir = repo_dir / "repository"
    url = git.repo_url(ctx.config.git_url, org, name)
    default_branch = repo.get("default_branch")

    checks_memo = ctx.state_dir(org) / INTEGRITY_MEMO_DIR
    finish_interrupted_swap(clone_dir)
    finish_interrupted_swap(repo_dir / "wiki")

    remote = _git(ctx, git.ls_remote(url))
    lfs_objects = 0
    if remote.ok:
        expected = git.parse_ref_lines(remote.stdout)
        refs = sync_clone(ctx, clone_dir, url, expected, default_branch, check, "repository",
                          checks_memo / "repository" / f"{name}.json")
        empty = not expected
    else:
        check.problem("repository", f"git ls-remote failed: {_why(remote)}")
        refs = local_refs(ctx, clone_dir) if is_repository(clone_dir, ctx) else {}
        empty = not refs
        if is_repository(clone_dir, ctx):
            clean_remote_urls(ctx, clone_dir, url)
    if remote.ok and is_repository(clone_dir, ctx):
        lfs_objects = check_lfs(ctx, clone_dir, url, check, refs, ctx.state_dir(org) / LFS_MEMO_DIR / f"{name}.json")

    wiki = None
    if repo.get("has_wiki") and "wikis" in ctx.config.parts:
        wurl = git.wiki_url(ctx.config.git_url, org, name)
        wremote = _git(ctx, git.ls_remote(wurl))
        wiki_dir = repo_dir / "wiki"
        if wremote.ok and git.parse_ref_lines(wremote.stdout):
            wiki = {"refs": sync_clone(ctx, wiki_dir, wurl, git.parse_ref_lines(wremote.stdout), "master", check, "wiki",
                                       checks_memo / "wiki" / f"{name}.json")}
        elif wremote.ok or wiki_missing(wremote):
            log.info("%s/%s: no wiki", org, name)
        else:
            check.problem("wiki", f"git ls-remote of the wiki failed: {_why(wremote)}")
            if is_repository(wiki_dir, ctx):
                wiki = {"refs": local_refs(ctx, wiki_dir)}
                clean_remote_urls(ctx, wiki_dir, wurl)

    new_entry = None
    if "pulls" in ctx.config.parts and (changed or not (comment_entry or {}).get("ok")):
        new_entry = fetch_pull_comments(ctx, repo, repo_dir, comment_entry or {}, check)

    record = {
        "private": bool(repo.get("private")),
        "fork": bool(repo.get("fork")),
        "archived": bool(repo.get("archived")),
        "empty": empty,
        "default_branch": default_branch,
        "refs": refs,
        "wiki": wiki,
        "lfs_objects": lfs_objects,
        **count_on_disk(repo_dir),
        "problems": [p.message for p in check.problems],
    }
    return record, check.problems, new_entry


def run_verify_repair(ctx: RunContext, org: str, repos: list[dict]) -> StageResult:
    commands.register_secret(ctx.config.token.reveal())
    decisions = change_decisions(ctx, org, repos) if "pulls" in ctx.config.parts else {}
    store = ctx.state_store()
    comment_state = {repo["name"]: comment_entry(store.row_for(org, repo)) for repo in repos}

    def work(repo: dict):
        name = repo["name"]
        try:
            return verify_repository(ctx, org, repo, decisions.get(name) is not None, comment_state.get(name))
        except (OSError, ValueError, BackupError) as exc:
            problem = Problem(org, name, "repository", f"could not verify: {exc}")
            log.warning("%s", problem)
            return None, [problem], None

    records: dict[str, dict] = {}
    problems: list[Problem] = []
    with ThreadPoolExecutor(max_workers=max(1, ctx.config.git_concurrency)) as pool:
        for repo, (record, found, entry) in zip(repos, pool.map(work, repos)):
            if record is not None:
                records[repo["name"]] = record
            else:
                records[repo["name"]] = {"problems": [p.message for p in found]}
            problems.extend(found)
            if entry is not None:
                store.update(org, int(repo["id"]), comments_since=entry.get("since"),
                             comments_ok=1 if entry.get("ok") else 0)
    log.info("%s: verified %d repositories, %d problem(s)", org, len(records), len(problems))
    return StageResult(records, problems)
