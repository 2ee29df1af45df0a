"""The LFS objects of the organization's clones: which are missing, and their download within
the month's Git LFS bandwidth budget (orgbackup/backup/planning/lfs_budget.py).

Two steps, so that the budget is shared in its fair order across repositories:
- `lfs_need` (per repository, during verify-and-repair, concurrently): every object
  `git lfs ls-files --all --json` names, with the size its pointer gives; those not in
  `.git/lfs/objects` with the right sha256 are missing (a corrupt one is removed first).
- `fetch_within_budget` (the organization's): the plan, then per repository the granted
  objects: all of its missing ones with `git lfs fetch --all URL`, fewer one by one
  (`git lfs smudge` of each pointer stores the object). The bytes granted are counted in
  the state store as each repository ends (what was asked for, fetched or not: a transfer
  that failed half-way was served too), so the month's count never falls short of what
  GitHub counts; what waits is a deferred problem naming the repository, its bytes and the
  month's reset.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from orgbackup.backup.context import RunContext
from orgbackup.backup.planning import lfs_budget
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.git import argv as git, on_disk
from orgbackup.git.clones import Check, github_git, why_failed
from orgbackup.git.environment import git_environment
from orgbackup.git.run import run_git
from orgbackup.results import DEFERRED, Problem
from orgbackup.times import now_utc

log = logging.getLogger(__name__)


@dataclass
class LfsNeed:
    name: str
    path: Path  # the clone
    url: str
    needed: int  # objects the clone's refs need
    missing: dict[str, int] = field(default_factory=dict)  # oid -> size, not (whole) in the clone


@dataclass
class LfsNight:
    """The organization's LFS bandwidth this night, for the summary and the metrics."""

    month: str
    limit: int | None
    used: int  # this month's bytes after tonight
    downloaded: int = 0  # tonight's
    deferred: dict[str, int] = field(default_factory=dict)  # repository -> bytes waiting
    fetched: list[str] = field(default_factory=list)  # repositories that got LFS objects tonight

    def as_dict(self) -> dict:
        return {"month": self.month, "limit": self.limit, "used": self.used, "downloaded": self.downloaded,
                "deferred_bytes": sum(self.deferred.values()), "deferred_repositories": len(self.deferred),
                "reset": lfs_budget.month_reset(self.month)}


def lfs_object_ok(git_dir: Path, oid: str) -> bool:
    return on_disk.lfs_object_status(git_dir, oid) == "ok"


def needed_lfs_sizes(ctx: RunContext, path: Path, url: str, refs: dict[str, str], memo: Path,
                     check: Check) -> tuple[dict[str, int], list[str]] | None:
    """The LFS objects the clone's history needs ({oid: size}), and the other LFS servers its
    HEAD's .lfsconfig names. Both depend only on the commits, so for the same branches and tags
    at the same SHAs the last run's answer is reused (`memo`) instead of walking the history again."""
    digest = hashlib.sha256(json.dumps(refs, sort_keys=True).encode()).hexdigest()
    try:
        saved = json.loads(memo.read_text(encoding="utf-8"))
        if saved.get("refs") == digest and "other_lfs_servers" in saved and "sizes" in saved:
            return dict(saved["sizes"]), list(saved["other_lfs_servers"])
    except (OSError, ValueError, KeyError):
        pass
    listed = github_git(ctx, git.lfs_ls_all_sizes(path))
    try:
        sizes = git.parse_lfs_sizes(listed.stdout) if listed.ok else None
    except (ValueError, KeyError, TypeError):
        sizes = None
    if sizes is None:
        check.problem("lfs", f"git lfs ls-files failed: {why_failed(listed) if not listed.ok else 'not JSON'}")
        return None
    lfsconfig = github_git(ctx, git.config_blob_list(path, "HEAD:.lfsconfig"))  # fails when there is none
    others = git.other_lfs_servers(lfsconfig.stdout, url) if lfsconfig.ok else []
    memo.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomically(memo, {"refs": digest, "sizes": dict(sorted(sizes.items())), "other_lfs_servers": others})
    return sizes, others


def lfs_need(ctx: RunContext, name: str, path: Path, url: str, check: Check, refs: dict[str, str],
             memo: Path) -> LfsNeed | None:
    """What the clone lacks of the LFS objects its refs need (from the repository's own LFS
    server on GitHub only; a corrupt object is removed, it would be taken as present)."""
    needed = needed_lfs_sizes(ctx, path, url, refs, memo, check)
    if needed is None:
        return None
    sizes, others = needed
    for server in others:  # a hostile or mistaken .lfsconfig: the organization should hear of it
        check.problem("lfs", f"its .lfsconfig sends Git LFS to {server}: ignored (no request, no token); "
                             f"LFS objects come from {git.lfs_endpoint(url)} only")
    git_dir = path / ".git"
    need = LfsNeed(name, path, url, len(sizes))
    for oid, size in sorted(sizes.items()):
        if not lfs_object_ok(git_dir, oid):
            git.lfs_object_path(git_dir, oid).unlink(missing_ok=True)
            need.missing[oid] = size
    return need


def fetch_objects(ctx: RunContext, need: LfsNeed, oids: dict[str, int]) -> list[str]:
    """The granted objects into the clone, its LFS files checked out from them (its checkout left
    pointers where objects were deferred); returns those still missing."""
    if set(oids) == set(need.missing):
        result = github_git(ctx, git.lfs_fetch_all(need.path, need.url), need.url)
        if not result.ok:
            log.warning("%s: git lfs fetch failed: %s", need.name, why_failed(result))
    else:
        env = git_environment(ctx.files, ctx.config.stall_seconds, repo=need.url)
        for oid, size in sorted(oids.items(), key=lambda item: item[1]):
            result = run_git(git.lfs_smudge(need.path), env=env, stall=ctx.config.stall_seconds, check=False,
                             input=git.lfs_pointer(oid, size), stdout_path=os.devnull)
            if not result.ok:
                log.warning("%s: git lfs smudge of %s failed: %s", need.name, oid[:12], why_failed(result))
    if ctx.config.lfs_monthly_bytes is not None:
        github_git(ctx, git.lfs_checkout(need.path))  # local: the objects it has, no download
    return sorted(oid for oid in oids if not lfs_object_ok(need.path / ".git", oid))


def fetch_within_budget(ctx: RunContext, org: str, needs: list[LfsNeed]
                        ) -> tuple[dict[str, int], list[Problem], LfsNight]:
    """Per repository how many of its LFS objects the clone holds after the night, the problems
    (still missing, deferred), and the night's LFS bandwidth."""
    store = ctx.state_store()
    month = lfs_budget.month_key(now_utc())
    limit = ctx.config.lfs_monthly_bytes
    plan = lfs_budget.plan_lfs({n.name: n.missing for n in needs}, limit=limit, used=store.lfs_bytes(org, month))
    night = LfsNight(month, limit, plan.used_before)
    if plan.granted:
        log.info("%s: LFS: %d bytes in %d repositories to fetch; %s bytes used of %s this month",
                 org, plan.granted_bytes, len(plan.granted), plan.used_before, limit if limit is not None else "no limit")

    def work(need: LfsNeed) -> tuple[LfsNeed, list[str]]:
        oids = plan.granted.get(need.name, {})
        if not oids:
            return need, []
        try:
            return need, fetch_objects(ctx, need, oids)
        finally:
            store.add_lfs_bytes(org, month, sum(oids.values()))

    present: dict[str, int] = {}
    problems: list[Problem] = []
    with ThreadPoolExecutor(max_workers=max(1, ctx.config.git_concurrency)) as pool:
        for need, failed in pool.map(work, needs):
            waiting = plan.deferred.get(need.name, {})
            present[need.name] = need.needed - len(need.missing) + len(plan.granted.get(need.name, {})) - len(failed)
            if len(plan.granted.get(need.name, {})) > len(failed):
                night.fetched.append(need.name)
            if failed:
                problems.append(Problem(org, need.name, "lfs", f"{len(failed)} LFS object(s) missing: "
                                        f"{', '.join(o[:12] for o in failed[:5])}"))
            if waiting:
                night.deferred[need.name] = sum(waiting.values())
                problems.append(Problem(org, need.name, "lfs", lfs_budget.deferred_message(waiting, month, limit),
                                        DEFERRED))
    night.downloaded = plan.granted_bytes
    night.used = store.lfs_bytes(org, month)
    if night.deferred:
        log.warning("%s: LFS budget: %d bytes of %d repositories deferred (%d of %d bytes used in %s; resets %s)",
                    org, plan.deferred_bytes, len(night.deferred), night.used, limit, month,
                    lfs_budget.month_reset(month))
    return present, problems, night
