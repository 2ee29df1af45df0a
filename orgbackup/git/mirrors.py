"""A bare mirror of a repository outside the organization (a submodule's), kept complete.

    mirror(dep, repo, url, env, stall, root) -> problems beyond the dependency's own record

Every branch and tag is fetched (pruning what upstream deleted), then every commit the
organization references: by name when no branch or tag has it (GitHub serves any commit it
still has), pinned under `refs/orgbackup/kept/<sha>` when no branch or tag reaches it any
more, and probed upstream when the mirror has it but upstream's branches do not (lost
upstream: the mirror keeps it). LFS objects come from the mirror's own LFS server. A mirror
whose first fetch stalled or was stopped is kept for the next run to fetch into.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from orgbackup.git import argv as git
from orgbackup.git.run import run_git
from orgbackup.git.submodule_urls import RepoURL
from orgbackup.git.submodules import Reference, object_types, present_commits, ref_tips

log = logging.getLogger(__name__)

MAX_WHERE = 3  # how many referencing places a message names


@dataclass
class Dependency:
    url: RepoURL
    depth: int
    relpath: Path | None
    referenced: dict[str, list[str]] = field(default_factory=dict)  # commit -> where (a few)
    referrers: set[str] = field(default_factory=set)  # org repositories / dependency URLs
    excluded: bool = False
    error: str | None = None  # why it could not be fetched this run
    fetched: bool = False  # a fetch was attempted this run
    fetch_ok: bool = False
    usable: bool = False  # the mirror is on disk (fetched now or kept from an earlier run)
    checked: set[str] = field(default_factory=set)  # referenced commits looked for in the mirror
    present: set[str] = field(default_factory=set)
    tried_by_name: set[str] = field(default_factory=set)
    lost_upstream: set[str] = field(default_factory=set)
    scanned: set[str] = field(default_factory=set)

    def add(self, ref: Reference, referrer: str) -> None:
        where = self.referenced.setdefault(ref.commit, [])
        if len(where) < MAX_WHERE and ref.where not in where:
            where.append(ref.where)
        self.referrers.add(referrer)


def mirror(dep: Dependency, repo: Path, url: str, env: dict[str, str], stall: int, root: Path) -> list[str]:
    """Fetch (first time this run) or complete (commits found later) one mirror at `repo` (below
    `root`) from `url`, in `env` (no wall clock: git's low-speed limit and the watchdog end a
    stall of `stall` seconds). What goes wrong beyond `dep` (its LFS objects) is returned."""
    problems: list[str] = []
    idle = stall
    if not dep.fetched:
        dep.fetched = True
        existed = (repo / "HEAD").exists()
        if not existed:
            repo.parent.mkdir(parents=True, exist_ok=True)
            run_git(git.init_bare(repo))
        run_git(git.config_set(repo, "remote.origin.url", url))
        # Pin what we already hold before a fetch could move a branch away from it.
        pin(repo, present_commits(repo, dep.referenced) if existed else set(), unpin=False)
        log.info("fetching dependency %s", url)
        res = run_git(git.fetch_dependency(repo, url), env=env, stall=idle, check=False)
        if res.ok:
            dep.fetch_ok = True
            point_head_at_a_branch(repo)
            lfs_failure = fetch_lfs(repo, env, stall)
            if lfs_failure:
                problems.append(f"dependency {dep.url.normalized}: git lfs fetch failed: {lfs_failure}")
        else:
            dep.error = git.failure_reason(res.stderr) or f"git fetch exited with {res.returncode}"
            if dep.url.scheme not in ("http", "https"):
                dep.error = (f"{dep.url.scheme} URL; its HTTPS form {url} failed "
                             f"({dep.error}): not reachable with plain git over HTTPS")
            # A transfer that stalled or was stopped leaves its mirror for the next run
            # to fetch into; a refusal (not found, no access, no server) leaves nothing.
            interrupted = res.returncode < 0 or git.stalled(res.stderr)
            if not existed and not interrupted:
                remove_empty_mirror(repo, root)
            if not (repo / "HEAD").exists() or not git.parse_ref_lines(run_git(git.for_each_ref(repo)).stdout):
                return problems
        dep.usable = True
    dep.checked = set(dep.referenced)
    dep.present = present_commits(repo, dep.referenced)
    if not dep.fetch_ok:
        return problems
    # Referenced commits the mirror lacks: ask for them by name (GitHub serves any
    # commit it still has, on a branch or not).
    for sha in sorted(set(dep.referenced) - dep.present - dep.tried_by_name):
        dep.tried_by_name.add(sha)
        res = run_git(git.fetch_commit_kept(repo, url, sha), env=env, stall=idle, check=False)
        if res.ok:
            dep.present.add(sha)
    # Referenced commits the mirror holds but no upstream branch or tag reaches: does
    # upstream still have them? If not, they are lost upstream (the mirror keeps them).
    off_branch = unreachable(repo, dep.present) - dep.tried_by_name
    if off_branch:
        with tempfile.TemporaryDirectory(prefix="orgbackup-probe-") as scratch:
            run_git(git.init_bare(Path(scratch)))
            for sha in sorted(off_branch):
                dep.tried_by_name.add(sha)
                res = run_git(git.probe_commit(Path(scratch), url, sha), env=env, stall=idle, check=False)
                if not res.ok:
                    dep.lost_upstream.add(sha)
    return problems


def fetch_lfs(repo: Path, env: dict[str, str], stall: int) -> str | None:
    """Every LFS object of a mirror that uses LFS; why it failed, or None."""
    if not uses_lfs(repo):
        return None
    res = run_git(git.lfs_fetch_all_from(repo), env=env, stall=stall, check=False)
    return None if res.ok else (git.failure_reason(res.stderr) or f"exit status {res.returncode}")


def unreachable(repo: Path, commits) -> set[str]:
    """Those of `commits` that no branch or tag of `repo` reaches."""
    commits = sorted(commits)
    if not commits:
        return set()
    out = run_git(git.not_on_branches_or_tags(repo), input="".join(c + "\n" for c in commits)).stdout
    return set(out.split()) & set(commits)


def pin(repo: Path, keep: set[str], unpin: bool = True) -> None:
    """refs/orgbackup/kept/<sha> for every commit of `keep`; with `unpin`, drop the
    pins of commits that a branch or tag reaches again (they are safe there)."""
    existing = {
        ref[len(git.KEPT_REF_PREFIX):]
        for ref in run_git(git.for_each_ref(repo, (git.KEPT_REF_PREFIX,))).stdout.split()
        if ref.startswith(git.KEPT_REF_PREFIX)
    }
    lines = [f"update {git.KEPT_REF_PREFIX}{sha} {sha}" for sha in sorted(keep - existing)]
    if unpin:
        reached = (existing - keep) - unreachable(repo, existing - keep)
        lines += [f"delete {git.KEPT_REF_PREFIX}{sha}" for sha in sorted(reached)]
    if lines:
        run_git(git.update_refs_stdin(repo), input="\n".join(lines) + "\n")


def remove_empty_mirror(repo: Path, root: Path) -> None:
    """A mirror that never received anything, and the folders it leaves empty."""
    shutil.rmtree(repo, ignore_errors=True)
    for parent in repo.parents:
        try:
            if parent == root or any(parent.iterdir()):
                break
            parent.rmdir()
        except OSError:  # another mirror is being made next to it
            break


def point_head_at_a_branch(repo: Path) -> None:
    """A new bare repository's HEAD names a branch upstream may not have (master):
    point it at main, master or the first branch, so a clone of the mirror checks out."""
    if run_git(git.resolve_head(repo), check=False).ok:
        return
    branches = [ref for ref in run_git(git.for_each_ref(repo, ("refs/heads/",))).stdout.split()
                if ref.startswith("refs/heads/")]
    for ref in ("refs/heads/main", "refs/heads/master", *branches):
        if ref in branches:
            run_git(git.point_head(repo, ref))
            return


def uses_lfs(repo: Path) -> bool:
    """The repository already holds LFS objects, or a branch or tag's root
    .gitattributes routes files through the LFS filter."""
    if (repo / "lfs" / "objects").is_dir():
        return True
    tips = ref_tips(repo)
    names = [f"{c}:.gitattributes" for c in sorted(tips)]
    blobs = sorted({v[0] for v in object_types(repo, names).values() if v and v[1] == "blob"})
    if not blobs:
        return False
    out = run_git(git.batch_contents(repo), input="".join(b + "\n" for b in blobs)).stdout
    return "filter=lfs" in out
