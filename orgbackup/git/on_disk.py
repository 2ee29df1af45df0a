"""Reading a repository's own files without starting git: an LFS object's state, the
remotes of its config file, the branch of its HEAD file.

A quiet night has thousands of repositories to look at and most need no change; where a
file is not in the simple form these read, they answer None and the caller asks git
(orgbackup/git/argv.py's builders, run by orgbackup/git/run.py).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from orgbackup.cache.file_digest import file_sha256
from orgbackup.git.argv import lfs_object_path


def lfs_object_status(git_dir: Path, oid: str) -> str:
    """'ok', 'missing', or 'damaged' (the file's sha256 is not its oid)."""
    path = lfs_object_path(git_dir, oid)
    if not path.is_file():
        return "missing"
    return "ok" if file_sha256(path) == oid else "damaged"


_SECTION = re.compile(r'^\s*\[\s*([A-Za-z0-9.-]+)(?:\s+"([^"]*)")?\s*\]\s*$')
_URL_LINE = re.compile(r"^\s*url\s*=\s*(\S+)\s*$")


def configured_remote_urls(git_dir: Path) -> dict[str, str] | None:
    """{remote: url} from `git_dir/config`, or None when it is not that simple
    (includes, quoting, several URLs): then ask git."""
    try:
        text = (git_dir / "config").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    remotes: dict[str, str] = {}
    section = None
    for line in text.splitlines():
        if line.lstrip().startswith(("#", ";")) or not line.strip():
            continue
        header = _SECTION.match(line)
        if header:
            kind = header.group(1).lower()
            if kind in ("include", "includeif"):
                return None
            section = header.group(2) if kind == "remote" else None
            continue
        if line.lstrip().startswith("["):
            return None
        if section is not None and line.strip().lower().startswith("url"):
            found = _URL_LINE.match(line)
            if not found or '"' in line or section in remotes:
                return None
            remotes[section] = found.group(1)
    return remotes


_HEAD_REF = re.compile(r"^ref: (refs/\S+)\n?$")
_HEAD_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?\n?$")


def head_file_ref(git_dir: Path) -> str | None:
    """The branch `git_dir/HEAD` points at ('refs/heads/main'), '' when HEAD is detached,
    None when the file is not that simple (missing, a link, another form): then ask git."""
    head = git_dir / "HEAD"
    try:
        if head.is_symlink():
            return None
        text = head.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found = _HEAD_REF.match(text)
    if found:
        return found.group(1)
    return "" if _HEAD_SHA.match(text) else None


def is_git_dir(path: Path) -> bool:
    """A repository's git folder: `.git` of a clone, a bare repository, `.git/modules/X` (HEAD,
    objects and config, as git itself needs them)."""
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "config").is_file()


def tree_bytes(folder: Path) -> int:
    """The bytes of the files under `folder` (0 when it is not there)."""
    total = 0
    for root, _, names in os.walk(folder):
        for file_name in names:
            try:
                total += os.lstat(os.path.join(root, file_name)).st_size
            except OSError:
                pass
    return total
