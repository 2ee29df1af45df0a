"""Dependencies outside the organization: every repository that a submodule of the
organization's code points at, mirrored into the backup so that every branch and
tag can still be checked out (with its submodules) when the upstream is gone.

    run_dependencies(ctx, org, repos) -> (manifest["dependencies"], problems)

What it does, after the organization's clones are captured:
- reads `.gitmodules` and the gitlinks at the tip of every branch and tag of every
  clone (deduplicated by commit, `.gitmodules` blob and tree, so a hundred branches
  cost a few git calls), and resolves relative submodule URLs the way git does;
- submodules inside the organization are only checked against its own clones;
- every other repository is mirrored (bare, branches and tags, LFS objects where it
  uses LFS) into `dependencies/<host>/<owner>/<name>.git`, and the submodules of
  the commits referenced there are followed to `dependencies_depth` levels;
- every referenced commit that no upstream branch or tag reaches any more is pinned
  under `refs/orgbackup/kept/<sha>`, so it survives upstream force-pushes; a commit
  upstream no longer has is reported, and the mirror's earlier copy is kept;
- a mirror whose first fetch stalled or was stopped is kept, and the next run
  fetches into it again.

Layers: the URL rules are pure (orgbackup/git/submodule_urls.py), reading submodules out
of a clone is local git, remembered per clone's refs (orgbackup/git/submodules.py); this
module is the stage: the mirrors, the worklist of (url, commit) pairs they must hold,
and the report.

The token is offered only to the organizations' own repositories on the GitHub host; every
other dependency is fetched anonymously, and Git LFS only from its own server. Hosts reachable only over SSH, `file://` URLs and local paths are reported.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from orgbackup.git.mirrors import MAX_WHERE, Dependency, mirror, pin, unreachable
from orgbackup.git.run import run_git
from orgbackup.git import argv as git
from orgbackup.git.environment import anonymous_git_environment, git_environment
from orgbackup.backup.context import OrgNight, RunContext
from orgbackup.errors import CommandFailed
from orgbackup.results import TRANSIENT, UPSTREAM, Problem
from orgbackup.results import StageResult
from orgbackup.git.submodule_urls import in_organization, is_excluded, mirror_relpath, parse_url
from orgbackup.git.submodules import (Reference, present_commits,
                          scan_submodules, scan_submodules_remembered)

log = logging.getLogger(__name__)

PART = "dependencies"


# ------------------------------------------------------------- the dependencies


def _where(places: list[str]) -> str:
    return ", ".join(places)


class _Stage:
    """One organization's dependency run (state shared by the steps below)."""

    def __init__(self, ctx, org: str, other_shards: dict[str, str] | None = None):
        self.ctx = ctx
        # A sharded run: the organization's repositories another shard backs up (lower name -> name)
        self.other_shards = other_shards or {}
        self.cfg = ctx.config
        self.org = org
        self.root = ctx.org_paths(org).root
        self.problems: list[Problem] = []
        self.deps: dict[str, Dependency] = {}
        self.in_org: dict[str, dict[str, list[str]]] = {}  # repo name (lower) -> commit -> where
        self.unparsed: dict[str, list[str]] = {}  # URL -> where

    def problem(self, message: str, repo: str | None = None, kind: str = TRANSIENT) -> None:
        self.problems.append(Problem(self.org, repo, PART, message, kind))

    def env_for(self, url: str) -> dict[str, str]:
        """The token only for a repository of the organizations this run backs up, on the GitHub
        host; anonymous for every other (a dependency's owner may be anyone: docs/security.md).
        Git LFS only from the dependency's own server, whatever its .lfsconfig says."""
        parsed = parse_url(url)
        if parsed is not None and parsed.scheme == "https" and \
                any(in_organization(parsed, self.cfg.github_host, org) for org in self.cfg.orgs):
            return git_environment(self.ctx.files, self.cfg.stall_seconds, repo=url)
        return anonymous_git_environment(self.cfg.stall_seconds, repo=url)

    # -- recording what was found ------------------------------------------
    def record(self, refs: list[Reference], referrer: str, depth: int) -> None:
        for ref in refs:
            url = parse_url(ref.url)
            if url is None:
                self.unparsed.setdefault(ref.url, []).append(ref.where)
                continue
            if in_organization(url, self.cfg.github_host, self.org):
                where = self.in_org.setdefault(url.name.lower(), {}).setdefault(ref.commit, [])
                if len(where) < MAX_WHERE:
                    where.append(ref.where)
                continue
            dep = self.deps.get(url.key)
            if dep is None:
                relpath = mirror_relpath(url) if url.fetchable else None
                dep = Dependency(url, depth, relpath,
                                 excluded=is_excluded(url, self.cfg.dependencies_exclude))
                if not url.fetchable:
                    dep.error = ("a local path or file:// URL: not reachable with plain git over HTTPS"
                                 if url.scheme == "file" else "not a repository URL")
                elif relpath is None:
                    dep.error = "the URL's path is not usable as a folder name"
                self.deps[url.key] = dep
            dep.depth = min(dep.depth, depth)
            dep.add(ref, referrer)

    # -- the organization's own clones ---------------------------------------
    def scan_org_repo(self, name: str) -> tuple[str, list[Reference], list[str]]:
        clone = self.ctx.org_paths(self.org).repository_dir(name) / "repository"
        if not (clone / ".git").exists() and not (clone / "HEAD").exists():
            log.warning("%s/%s: no clone to read submodules from", self.org, name)
            return name, [], []
        base = git.repo_url(self.cfg.git_url, self.org, name)
        refs = git.parse_ref_lines(run_git(git.for_each_ref(clone)).stdout)
        memo = self.ctx.state_paths(self.org).submodule_scan(name)
        references, warnings = scan_submodules_remembered(clone, base, refs, f"{self.org}/{name}", memo)
        return name, references, warnings

    def org_repo_of(self, where: str) -> str | None:
        """The organization's repository a "ORG/NAME REF:PATH" place is in, if it is one."""
        prefix = f"{self.org}/"
        return where.split(" ", 1)[0][len(prefix):] or None if where.startswith(prefix) else None

    def check_in_org(self, clones: dict[str, str]) -> list[dict]:
        items = []
        for lname, commits in sorted(self.in_org.items()):
            name = clones.get(lname)
            if name is None and lname in self.other_shards:
                # Another shard's repository (BACKUP_SHARD): that shard holds and checks it.
                items.append({"repository": self.other_shards[lname], "referenced_commits": sorted(commits),
                              "missing_commits": [], "in_another_shard": True})
                continue
            path = self.ctx.org_paths(self.org).repository_dir(name) / "repository" if name else None
            present = present_commits(path, commits) if path and path.exists() else set()
            missing = sorted(set(commits) - present)
            for sha in missing:
                where = _where(commits[sha])
                repo = self.org_repo_of(commits[sha][0])
                if name is None:
                    self.problem(f"submodule at {where} points at {self.org}/{lname}, which is not "
                                 f"in the backup (commit {sha})", repo, UPSTREAM)
                else:
                    self.problem(f"submodule at {where} points at commit {sha} that {self.org}/{name} "
                                 f"does not have", repo, UPSTREAM)
            items.append({"repository": name or lname, "referenced_commits": sorted(commits),
                          "missing_commits": missing})
        return items

    # -- mirroring a dependency ----------------------------------------------
    def mirror(self, dep: Dependency) -> None:
        url = dep.url.fetch_url(self.cfg.github_host)
        for message in mirror(dep, self.root / dep.relpath, url, self.env_for(url), self.cfg.stall_seconds, self.root):
            self.problem(message)

    def scan_dependency(self, dep: Dependency, commits: set[str]) -> tuple[Dependency, list[Reference], list[str]]:
        repo = self.root / dep.relpath
        tips = {c: [c[:12]] for c in commits}
        refs, warnings = scan_submodules(repo, dep.url.fetch_url(self.cfg.github_host), tips,
                                         dep.url.short)
        return dep, refs, warnings

    # -- the whole stage -------------------------------------------------------
    def run(self, repos: list[dict]) -> dict:
        names = [r["name"] for r in repos if r.get("name") and not r.get("empty")]
        clones = {r["name"].lower(): r["name"] for r in repos if r.get("name")}
        limit = self.cfg.dependencies_depth
        with ThreadPoolExecutor(max_workers=max(1, self.cfg.concurrency)) as pool:
            for name, refs, warnings in _each(pool, self.scan_org_repo, names, self.problem):
                self.record(refs, f"{self.org}/{name}", 1)
                for w in warnings:
                    self.problem(w, name)
            while True:
                to_mirror = [
                    d for d in self.candidates()
                    if not d.fetched or (d.usable and set(d.referenced) - d.checked)
                ]
                for _ in _each(pool, self.mirror, to_mirror, self.problem):
                    pass
                to_scan = [
                    (d, d.present - d.scanned) for d in self.candidates()
                    if d.usable and (not limit or d.depth < limit) and d.present - d.scanned
                ]
                for dep, commits in to_scan:
                    dep.scanned |= commits
                if not to_mirror and not to_scan:
                    break
                for dep, refs, warnings in _each(pool, lambda a: self.scan_dependency(*a), to_scan,
                                                 self.problem):
                    self.record(refs, dep.url.normalized, dep.depth + 1)
                    for w in warnings:
                        self.problem(w)
            usable = [d for d in self.candidates() if d.usable]
            for _ in _each(pool, self.finish, usable, self.problem):
                pass
        in_org = self.check_in_org(clones)
        return self.report(in_org)

    def candidates(self) -> list[Dependency]:
        """The dependencies to mirror: not excluded, with a URL that git can fetch."""
        return [d for _, d in sorted(self.deps.items()) if not d.excluded and d.relpath]

    def finish(self, dep: Dependency) -> None:
        """Pin every referenced commit no branch or tag reaches; unpin the reachable ones."""
        repo = self.root / dep.relpath
        pin(repo, unreachable(repo, dep.present))

    def report(self, in_org: list[dict]) -> dict:
        items, excluded = [], []
        referenced = present = 0
        for _, dep in sorted(self.deps.items()):
            if dep.excluded:
                excluded.append(dep.url.normalized)
                continue
            missing = sorted(set(dep.referenced) - dep.present)
            referenced += len(dep.referenced)
            present += len(dep.referenced) - len(missing)
            name = dep.url.normalized
            repo = next(filter(None, map(self.org_repo_of, sorted(dep.referrers))), None)
            if dep.error:
                lacking = f"; {len(missing)} referenced commit(s) not in the backup" if missing else ""
                self.problem(f"dependency {dep.url.original} (used at {_where(_first(dep))}): "
                             f"{dep.error}{lacking}", repo)
            else:
                for sha in missing:
                    self.problem(f"dependency {name}: commit {sha} (used at {_where(dep.referenced[sha])}) "
                                 f"is not in the mirror: upstream does not have it", repo, UPSTREAM)
            for sha in sorted(dep.lost_upstream):
                self.problem(f"dependency {name}: commit {sha} (used at {_where(dep.referenced[sha])}) "
                             f"is no longer upstream (force-pushed away or deleted); the copy from an "
                             f"earlier run is kept under {git.KEPT_REF_PREFIX}{sha}", repo, UPSTREAM)
            items.append({
                "url": name,
                "fetch_url": dep.url.fetch_url(self.cfg.github_host) if dep.url.fetchable else dep.url.original,
                "path": dep.relpath.as_posix() if dep.usable else None,
                "depth": dep.depth,
                "referenced_by": sorted(dep.referrers),
                "referenced_commits": sorted(dep.referenced),
                "missing_commits": missing,
                "lost_upstream": sorted(dep.lost_upstream),
                "error": dep.error,
            })
        for url, where in sorted(self.unparsed.items()):
            self.problem(f"submodule URL {url!r} (used at {_where(where[:MAX_WHERE])}) is not a "
                         f"repository URL this backup can fetch", kind=UPSTREAM)
        return {
            "enabled": True,
            "repositories": len(items),
            "commits_referenced": referenced,
            "commits_present": present,
            "excluded": excluded,
            "items": items,
            "in_organization": in_org,
            "unresolved_urls": sorted(self.unparsed),
        }


def _first(dep: Dependency) -> list[str]:
    return next(iter(dep.referenced.values()), [])[:MAX_WHERE]


def _each(pool, fn, items, problem):
    """fn over items in the pool; a failure of one item is a Problem, not the end."""
    futures = [(item, pool.submit(fn, item)) for item in items]
    for item, future in futures:
        try:
            yield future.result()
        except (CommandFailed, OSError) as exc:
            problem(f"{_label(item)}: {exc}")


def _label(item) -> str:
    if isinstance(item, Dependency):
        return f"dependency {item.url.normalized}"
    if isinstance(item, tuple) and item and isinstance(item[0], Dependency):
        return f"dependency {item[0].url.normalized}"
    return str(item)


def run_dependencies(ctx: RunContext, night: OrgNight) -> StageResult:
    """The stage: the night's repositories' dependencies (a sharded run leaves the repositories
    other shards back up to them)."""
    return mirror_dependencies(ctx, night.org, night.plan.repos, set(night.plan.other_shards.values()))


def mirror_dependencies(ctx: RunContext, org: str, repos: list[dict], other_shards: set[str] | None = None
                        ) -> StageResult:
    """Mirror every repository outside `org` that its submodules reference; see the module.

    `other_shards` (a sharded run): the names of the organization's repositories other
    shards back up; a submodule pointing into one of them is theirs to hold."""
    if not ctx.config.dependencies:
        return StageResult({"enabled": False}, [])
    stage = _Stage(ctx, org, {name.lower(): name for name in (other_shards or {})})
    result = stage.run(repos)
    log.info("%s: %d dependencies, %d of %d referenced commits present, %d excluded",
             org, result["repositories"], result["commits_present"], result["commits_referenced"],
             len(result["excluded"]))
    return StageResult(result, stage.problems)
