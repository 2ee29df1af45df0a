"""Pure builders of the git commands that push a restored clone into a new repository,
and the environment they run in (the token through the run's credential helper, as every git of the run)."""

from __future__ import annotations

from pathlib import Path

from orgbackup.config.settings import DEFAULT_STALL_SECONDS
from orgbackup.git.environment import git_environment, with_config
from orgbackup.config.secret_files import SecretFiles

PUSH_REFSPECS = ("refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*")


def lfs_push_objects(repo: Path, url: str, oids) -> tuple[str, ...]:
    """Push these LFS objects to the repository at `url` (lfs.url set: never the clone's own remote)."""
    return ("git", "-C", str(repo), "-c", f"lfs.url={url}/info/lfs", "lfs", "push", "--object-id", url, *oids)


def push_refs(repo: Path, url: str, *, force: bool = False) -> tuple[str, ...]:
    """Every branch and tag of `repo` to `url`, without the clone's hooks (LFS is pushed first,
    on its own). `force` only where the target is this restore's own (a wiki's first page)."""
    specs = tuple(("+" if force else "") + spec for spec in PUSH_REFSPECS)
    return ("git", "-C", str(repo), "-c", "core.hooksPath=/dev/null", "push", "--no-verify", "--porcelain",
            url, *specs)


def push_environment(files: SecretFiles, stall_seconds: int = DEFAULT_STALL_SECONDS) -> dict[str, str]:
    """git_environment (the token only for the target host's organization) for a restored clone
    that another user may own."""
    env = with_config(git_environment(files, stall_seconds), ("safe.directory", "*"))
    env["GIT_LFS_SKIP_SMUDGE"] = "1"
    return env


def push_commit(repo: Path, url: str, sha: str, ref: str) -> tuple[str, ...]:
    """Commit `sha` of `repo` (reachable from none of its branches and tags, say) to the new ref `ref` at
    `url` (a temporary branch: merged_pulls.py), without the clone's hooks."""
    return ("git", "-C", str(repo), "-c", "core.hooksPath=/dev/null", "push", "--no-verify", "--porcelain",
            url, f"{sha}:{ref}")
