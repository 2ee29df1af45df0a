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
  missing or broken clone is cloned again (non-bare, so that github-backup's
  next run keeps working); a stale one gets `git fetch` of every branch and tag
  (`fetch_mirror_refs`, which also prunes refs GitHub no longer has), HEAD is
  pointed at the default branch if its branch vanished, and the working tree is
  reset.  What still differs is a problem (part "repository").
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
  clock, kept in `CACHE/.state/<ORG>/pull-comments.json`.
- every remote URL of every clone this stage looks at is set to the
  credential-free URL (github-backup 0.40.0 writes the token into them).

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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .. import commands, git
from ..commands import Completed
from ..context import RunContext
from ..errors import BackupError
from ..problems import Problem
from .github_backup import change_decisions

log = logging.getLogger(__name__)

COMMENTS_STATE_FILE = "pull-comments.json"
LFS_MEMO_DIR = "lfs-oids"
_ISSUE_NUMBER = re.compile(r"/issues/(\d+)$")
_NUMBERED_JSON = re.compile(r"^(\d+)\.json$")
# What git says when the wiki (or repository) does not exist; anything else is a failure.
_NOT_FOUND = ("not found", "repository not found", "does not appear to be a git repository")


@dataclass
class Check:
    """What one repository's verification found."""

    org: str
    name: str
    problems: list[Problem] = field(default_factory=list)

    def problem(self, part: str, message: str) -> None:
        log.warning("%s/%s [%s]: %s", self.org, self.name, part, message)
        self.problems.append(Problem(self.org, self.name, part, message))


# Running git


def _git(ctx: RunContext, argv: tuple[str, ...]) -> Completed:
    try:
        return commands.run(argv, env=git.git_environment(ctx.files, ctx.config.stall_seconds), check=False)
    except BackupError as exc:  # did not start, or timed out
        return Completed(tuple(argv), -1, "", str(exc))


def _why(result: Completed) -> str:
    return git.failure_reason(result.stderr) or commands.last_line(result.stdout) or f"exit status {result.returncode}"


def is_repository(path: Path, ctx: RunContext) -> bool:
    """`path` is itself a non-bare git repository (not a folder inside another one)."""
    if not (path / ".git").exists():
        return False
    result = _git(ctx, git.absolute_git_dir(path))
    return result.ok and Path(result.stdout.strip()).resolve() == (path / ".git").resolve()


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


def sync_clone(ctx: RunContext, path: Path, url: str, expected: dict[str, str], default_branch: str | None,
               check: Check, part: str) -> dict[str, str]:
    """Make the clone at `path` hold `expected` (ls-remote's refs); returns its refs afterwards."""
    where = f"{part} clone"
    if not is_repository(path, ctx):
        if path.exists() or path.is_symlink():
            log.warning("%s/%s: %s at %s is not a git repository; cloning it again", check.org, check.name, where, path)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        log.info("%s/%s: cloning the %s", check.org, check.name, part)
        result = _git(ctx, git.clone(url, path))
        if not result.ok:
            check.problem(part, f"git clone failed: {_why(result)}")
            return local_refs(ctx, path) if is_repository(path, ctx) else {}
    clean_remote_urls(ctx, path, url)
    actual = local_refs(ctx, path)
    if actual != expected:
        log.info("%s/%s: %s is stale (%s); fetching", check.org, check.name, where,
                 "; ".join(ref_differences(expected, actual)) or "refs GitHub no longer has")
        result = _git(ctx, git.fetch_mirror_refs(path, url))
        if not result.ok:
            log.warning("%s/%s: git fetch failed: %s", check.org, check.name, _why(result))
        if not _git(ctx, git.resolve_head(path)).ok:
            head = head_branch_for(expected, default_branch)
            if head:
                _git(ctx, git.point_head(path, head))
        if _git(ctx, git.resolve_head(path)).ok:
            result = _git(ctx, git.reset_worktree(path))
            if not result.ok:
                log.warning("%s/%s: git reset failed: %s", check.org, check.name, _why(result))
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
    write_json(memo, {"refs": digest, "oids": sorted(oids)})
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


def write_json(path: Path, data) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


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
        write_json(path, merge_comments(old, new))
        saved += len(new)
    return saved, complete


def load_comment_state(ctx: RunContext, org: str) -> dict[str, dict]:
    path = ctx.state_dir(org) / COMMENTS_STATE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("repositories", {})
    except (OSError, ValueError):
        return {}


def save_comment_state(ctx: RunContext, org: str, state: dict[str, dict]) -> None:
    path = ctx.state_dir(org) / COMMENTS_STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, {"format": 1, "repositories": state})


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

    remote = _git(ctx, git.ls_remote(url))
    lfs_objects = 0
    if remote.ok:
        expected = git.parse_ref_lines(remote.stdout)
        refs = sync_clone(ctx, clone_dir, url, expected, default_branch, check, "repository")
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
            wiki = {"refs": sync_clone(ctx, wiki_dir, wurl, git.parse_ref_lines(wremote.stdout), "master", check, "wiki")}
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


def run_verify_repair(ctx: RunContext, org: str, repos: list[dict]) -> tuple[dict[str, dict], list[Problem]]:
    commands.register_secret(ctx.config.token.reveal())
    decisions = change_decisions(ctx, org, repos) if "pulls" in ctx.config.parts else {}
    comment_state = load_comment_state(ctx, org)

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
                comment_state[repo["name"]] = entry
    save_comment_state(ctx, org, comment_state)
    log.info("%s: verified %d repositories, %d problem(s)", org, len(records), len(problems))
    return records, problems
