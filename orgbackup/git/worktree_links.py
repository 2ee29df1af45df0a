"""Two working trees of one repository on disk once: identical files share an inode.
(And a clone's checked-out LFS files share theirs with its LFS objects: `share_lfs_objects`.)

github-backup's clone (`repository/`) and gitim's working clone both check out the default
branch: the same files twice.  After both are current, every tracked regular file of the
working clone whose bytes and mode equal the github-backup clone's file at the same path is
replaced by a hard link to it (a link made in its .git folder, then renamed over it:
never a half-written file, never a stray file in the tree).  The snapshot layout does not change, and restic stores a file's
contents once whatever its links; a restore gives two whole trees.

Safe because nothing writes a working-tree file of the cache in place: git (checkout,
reset, stash, merge) and git-lfs's smudge unlink a file before writing a new one, so a
change in one clone replaces its own link and leaves the other clone's file as it was.
Only the index's stat data of the working clone changes (git re-reads those files once).
"""

from __future__ import annotations

import filecmp
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from orgbackup.git.run import run_git

log = logging.getLogger(__name__)

LINK_NAME = "orgbackup-link.tmp"  # in the working clone's .git folder
REGULAR_MODES = ("100644", "100755")


@dataclass
class Shared:
    linked: int = 0  # files replaced by a link this time
    already: int = 0  # files that were links to the same inode already
    bytes_saved: int = 0


def ls_files_stage(repo: Path) -> tuple[str, ...]:
    """Every index entry: '<mode> <object> <stage>\\t<path>', NUL-separated."""
    return ("git", "-C", str(repo), "ls-files", "--stage", "-z")


def regular_paths(text: str) -> list[str]:
    """The paths of regular files (not symlinks, gitlinks, conflicts) in `ls-files --stage -z` output."""
    out = []
    for entry in text.split("\0"):
        head, _, path = entry.partition("\t")
        parts = head.split()
        if path and len(parts) == 3 and parts[0] in REGULAR_MODES and parts[2] == "0":
            out.append(path)
    return out


def _inside(root: Path, parent: str, seen: dict[str, bool]) -> bool:
    """The folder `parent` (relative) resolves inside `root`: no symlinked folder leads out."""
    if parent not in seen:
        real = os.path.realpath(os.path.join(root, parent))
        seen[parent] = real == str(root) or real.startswith(str(root) + os.sep)
    return seen[parent]


def share_identical_files(source: Path, target: Path) -> Shared:
    """Hard-link `target`'s tracked files to `source`'s where bytes and mode are equal."""
    done = Shared()
    result = run_git(ls_files_stage(target), check=False)
    if not result.ok:
        return done
    source_root, target_root = Path(os.path.realpath(source)), Path(os.path.realpath(target))
    seen_source: dict[str, bool] = {}
    seen_target: dict[str, bool] = {}
    link = target_root / ".git" / LINK_NAME
    if not link.parent.is_dir():
        return done
    for path in regular_paths(result.stdout):
        parent = os.path.dirname(path)
        if _inside(source_root, parent, seen_source) and _inside(target_root, parent, seen_target):
            link_if_equal(source_root / path, target_root / path, link, done)
    return done


def lfs_ls_files(repo: Path) -> tuple[str, ...]:
    """`<oid> <*|-> <path>` per LFS file of HEAD; `*`: its contents are in the working tree."""
    return ("git", "-C", str(repo), "lfs", "ls-files", "--long")


def checked_out_lfs_files(text: str) -> list[tuple[str, str]]:
    """(oid, path) of the LFS files `git lfs ls-files --long` says are checked out (smudged)."""
    out = []
    for line in text.splitlines():
        oid, marker, path = line[:64], line[65:66], line[67:]
        if len(oid) == 64 and all(c in "0123456789abcdef" for c in oid) and marker == "*" and path:
            out.append((oid, path))
    return out


def share_lfs_objects(repo: Path) -> Shared:
    """Hard-link a clone's checked-out LFS files to its own LFS objects (`.git/lfs/objects`):
    git-lfs smudges each object's bytes into the working tree, a second copy of every LFS file.
    Objects are written once under their sha256 and never changed, so sharing is safe."""
    done = Shared()
    root = Path(os.path.realpath(repo))
    objects = root / ".git" / "lfs" / "objects"
    if not _has_entries(objects):
        return done  # no LFS object to share (most repositories): no git-lfs process either
    result = run_git(lfs_ls_files(repo), check=False)
    if not result.ok:
        return done
    link = root / ".git" / LINK_NAME
    seen: dict[str, bool] = {}
    for oid, path in checked_out_lfs_files(result.stdout):
        if _inside(root, os.path.dirname(path), seen):
            link_if_equal(objects / oid[:2] / oid[2:4] / oid, root / path, link, done)
    return done


def _has_entries(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return any(True for _ in entries)
    except OSError:
        return False


def link_if_equal(source: Path, target: Path, link: Path, done: Shared) -> None:
    """Replace `target` by a hard link to `source` when both are regular files on one file
    system with equal size, mode and bytes (the link made at `link`, then renamed over it)."""
    try:
        st_t, st_s = os.lstat(target), os.lstat(source)
    except OSError:
        return
    if not (stat.S_ISREG(st_t.st_mode) and stat.S_ISREG(st_s.st_mode)) or st_t.st_dev != st_s.st_dev:
        return
    if st_t.st_ino == st_s.st_ino:
        done.already += 1
        return
    if st_t.st_size != st_s.st_size or stat.S_IMODE(st_t.st_mode) != stat.S_IMODE(st_s.st_mode):
        return
    try:
        if not filecmp.cmp(source, target, shallow=False):
            return
        if os.path.lexists(link):
            os.unlink(link)
        os.link(source, link)
        os.replace(link, target)
    except OSError as exc:
        log.debug("%s: not linked: %s", target, exc)
        return
    done.linked += 1
    if st_t.st_nlink == 1:
        done.bytes_saved += st_t.st_size
