"""Verify the github-backup copy against what GitHub says now, and repair what is missing.

Entry: `run_verify_repair(ctx, org, repos) -> (records, problems)`, where
`records` maps each repository name the organization lists to its manifest
record (docs/architecture.md, "manifest.json", without the `gitim` key, which
another stage fills) and `problems` lists what could not be had.

Never trust the tool (README, "What the wrapped tools get wrong").  For every repository,
concurrently (at most `config.concurrency` at a time):

- refs: `git ls-remote` of the credential-free URL (git asks the run's credential helper
  for the token).  The clone `repositories/<NAME>/repository` must hold every
  branch as a local branch and every tag, at the SHAs ls-remote reports.  A
  stale clone gets `git fetch` of every branch and tag (`fetch_mirror_refs`,
  which also prunes refs GitHub no longer has), HEAD is pointed at the default
  branch if its branch vanished, and the working tree is reset.  What still
  differs is a problem (part "repository").  Then its integrity is checked
  (below).  A clone that is gone, or whose fetch or integrity check fails, is
  cloned again beside it and swapped in when good (orgbackup/git/clones.py).
- LFS: every object `git lfs ls-files --all --json` names must be in
  `.git/lfs/objects` with the right sha256; missing or corrupt ones are fetched, once every
  repository is verified, within the month's LFS bandwidth budget (orgbackup/backup/stages/
  lfs_objects.py); what is still missing is a problem ("lfs"), what waits for the budget a
  deferred one.
- wiki (when the repository has one and wikis are backed up): ls-remote of the
  wiki URL built by `git.wiki_url` (right for `*.github.io`, unlike 0.40.0);
  "not found" means there is no wiki (record null); otherwise the `wiki` clone
  is verified and repaired like the repository ("wiki").
- every remote URL of every clone this stage looks at is set to the
  credential-free URL (github-backup 0.40.0 writes the token into them).
- a failed git of github-backup's ("git returned 128:") of a repository this stage then found
  whole and equal to GitHub, with no problem of its own, is no problem any more (`repaired`):
  a transient failure of the tool's clone, mended by this stage's own (retried: run_git).

Counts in the record (issues, pulls, releases, release assets, conversation
comments) are of the files on disk.  `problems` in a record are this stage's.
"""

from __future__ import annotations

import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from orgbackup.tools import process
from orgbackup.git import argv as git
from orgbackup.git.clones import (Check, clean_remote_urls, finish_interrupted_swap, is_repository, local_refs, github_git,
                      sync_clone, why_failed)
from orgbackup.tools.process import Completed
from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.errors import BackupError
from orgbackup.backup.stages import lfs_objects
from orgbackup.results import DEFERRED, Problem
from orgbackup.results import StageResult

log = logging.getLogger(__name__)

_NUMBERED_JSON = re.compile(r"^(\d+)\.json$")
# What git says when the wiki (or repository) does not exist; anything else is a failure.
_NOT_FOUND = ("not found", "repository not found", "does not appear to be a git repository")


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


def verify_repository(ctx: RunContext, org: str, repo: dict) -> tuple[dict, list[Problem], lfs_objects.LfsNeed | None]:
    name = repo["name"]
    check = Check(org, name)
    repo_dir = ctx.org_paths(org).repository_dir(name)
    clone_dir = repo_dir / "repository"
    url = git.repo_url(ctx.config.git_url, org, name)
    default_branch = repo.get("default_branch")

    state = ctx.state_paths(org)
    finish_interrupted_swap(clone_dir)
    finish_interrupted_swap(repo_dir / "wiki")

    remote = github_git(ctx, git.ls_remote(url), url)
    need = None
    if remote.ok:
        expected = git.parse_ref_lines(remote.stdout)
        refs = sync_clone(ctx, clone_dir, url, expected, default_branch, check, "repository",
                          state.clone_check("repository", name))
        empty = not expected
    else:
        check.problem("repository", f"git ls-remote failed: {why_failed(remote)}")
        refs = local_refs(ctx, clone_dir) if is_repository(clone_dir, ctx) else {}
        empty = not refs
        if is_repository(clone_dir, ctx):
            clean_remote_urls(ctx, clone_dir, url)
    if remote.ok and refs:  # refs came from the clone: it is one (no refs, no LFS object needed)
        need = lfs_objects.lfs_need(ctx, name, clone_dir, url, check, refs, state.lfs_oids(name))

    wiki = None
    if repo.get("has_wiki") and "wikis" in ctx.config.parts:
        wurl = git.wiki_url(ctx.config.git_url, org, name)
        wremote = github_git(ctx, git.ls_remote(wurl), wurl)
        wiki_dir = repo_dir / "wiki"
        if wremote.ok and git.parse_ref_lines(wremote.stdout):
            wiki = {"refs": sync_clone(ctx, wiki_dir, wurl, git.parse_ref_lines(wremote.stdout), "master", check, "wiki",
                                       state.clone_check("wiki", name))}
        elif wremote.ok or wiki_missing(wremote):
            log.debug("%s/%s: no wiki", org, name)  # most repositories: not worth a line each
        else:
            check.problem("wiki", f"git ls-remote of the wiki failed: {why_failed(wremote)}")
            if is_repository(wiki_dir, ctx):
                wiki = {"refs": local_refs(ctx, wiki_dir)}
                clean_remote_urls(ctx, wiki_dir, wurl)

    record = {
        "private": bool(repo.get("private")),
        "fork": bool(repo.get("fork")),
        "archived": bool(repo.get("archived")),
        "empty": empty,
        "default_branch": default_branch,
        "refs": refs,
        "wiki": wiki,
        "lfs_objects": 0,  # verify_and_repair's, after the LFS fetch
        **count_on_disk(repo_dir),
        "problems": [p.message for p in check.problems],
    }
    return record, check.problems, need


def run_verify_repair(ctx: RunContext, night: OrgNight) -> StageResult:
    """Every repository of the night (git data spends no API budget; LFS spends its own); a failed
    git of github-backup's that this stage then repaired is no problem any more (`repaired`)."""
    found, night.lfs = verify_and_repair_night(ctx, night.org, night.plan.repos)
    if night.github_backup is not None:  # its own LFS downloads (without a budget)
        night.lfs.downloaded += night.github_backup.lfs_bytes
    night.problems = repaired(night.problems, found)
    return found


# github-backup 0.40.0's own git failed ("git returned 128:", its logging_subprocess's words)
_TOOL_GIT_FAILURE = re.compile(r"^\S+ returned -?[1-9]\d*:")


def repaired(problems: list[Problem], verified: StageResult) -> list[Problem]:
    """`problems` less github-backup's git failures of the repositories this stage found whole
    and equal to GitHub (refs, LFS objects, wiki: everything github-backup's git was to fetch):
    a transient failure (a 500 during its clone) that the stage's own fetch, retried, repaired."""
    troubled = {p.repo for p in verified.problems}
    kept = []
    for problem in problems:
        if (problem.part == "github-backup" and problem.repo in verified.captured
                and problem.repo not in troubled and _TOOL_GIT_FAILURE.match(problem.message)):
            log.info("%s/%s: github-backup's %s repaired: the clone is equal to GitHub's", problem.org,
                     problem.repo, problem.message.rstrip(":"))
            continue
        kept.append(problem)
    return kept


def verify_and_repair(ctx: RunContext, org: str, repos: list[dict]) -> StageResult:
    return verify_and_repair_night(ctx, org, repos)[0]


def verify_and_repair_night(ctx: RunContext, org: str, repos: list[dict]
                            ) -> tuple[StageResult, lfs_objects.LfsNight]:
    """The records and problems, and the night's LFS bandwidth (orgbackup/backup/stages/lfs_objects.py)."""
    process.register_secret(ctx.config.token.reveal())

    def work(repo: dict):
        name = repo["name"]
        try:
            return verify_repository(ctx, org, repo)
        except (OSError, ValueError, BackupError) as exc:
            problem = Problem(org, name, "repository", f"could not verify: {exc}")
            log.warning("%s", problem)
            return None, [problem], None

    records: dict[str, dict] = {}
    problems: list[Problem] = []
    needs: list[lfs_objects.LfsNeed] = []
    with ThreadPoolExecutor(max_workers=max(1, ctx.config.git_concurrency)) as pool:
        for repo, (record, found, need) in zip(repos, pool.map(work, repos)):
            if record is not None:
                records[repo["name"]] = record
            else:
                records[repo["name"]] = {"problems": [p.message for p in found]}
            problems.extend(found)
            if need is not None:
                needs.append(need)
    present, lfs_problems, lfs_night = lfs_objects.fetch_within_budget(ctx, org, needs)
    for problem in lfs_problems:  # a deferral is the night's gap, not a fault of the clone's refs
        if problem.kind == DEFERRED:
            records[problem.repo]["lfs_deferred"] = lfs_night.deferred[problem.repo]
        else:
            records[problem.repo]["problems"].append(problem.message)
    for name, count in present.items():
        records[name]["lfs_objects"] = count
    problems.extend(lfs_problems)
    log.info("%s: verified %d repositories, %d problem(s)", org, len(records), len(problems))
    return StageResult(records, problems), lfs_night
