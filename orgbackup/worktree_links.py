"""Two working trees of one repository on disk once: identical files share an inode.

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

from . import commands

log = logging.getLogger(__name__)

LINK_NAME = "orgbackup-link.tmp"  # in the working clone's .git folder
REGULAR_MODES = ("100644", "100755")
LOCAL_GIT_TIMEOUT = 600


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
    result = commands.run(ls_files_stage(target), timeout=LOCAL_GIT_TIMEOUT, check=False)
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
        s, t = source_root / path, target_root / path
        try:
            st_t, st_s = os.lstat(t), os.lstat(s)
        except OSError:
            continue
        if not (stat.S_ISREG(st_t.st_mode) and stat.S_ISREG(st_s.st_mode)) or st_t.st_dev != st_s.st_dev:
            continue
        if st_t.st_ino == st_s.st_ino:
            done.already += 1
            continue
        if st_t.st_size != st_s.st_size or stat.S_IMODE(st_t.st_mode) != stat.S_IMODE(st_s.st_mode):
            continue
        if not (_inside(source_root, parent, seen_source) and _inside(target_root, parent, seen_target)):
            continue
        try:
            if not filecmp.cmp(s, t, shallow=False):
                continue
            if os.path.lexists(link):
                os.unlink(link)
            os.link(s, link)
            os.replace(link, t)
        except OSError as exc:
            log.debug("%s: not linked: %s", t, exc)
            continue
        done.linked += 1
        if st_t.st_nlink == 1:
            done.bytes_saved += st_t.st_size
    return done
