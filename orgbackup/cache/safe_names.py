"""The path rule: every name that comes from GitHub and becomes a file or folder name passes here.

A name is *storable* as it is when it is one path component that every reader (this package,
restic, a person's shell, another system a restore lands on) takes the same way: not empty, not
`.` or `..`, no `/` or `\\`, no NUL or other control character, valid UTF-8 (a JSON answer can
carry lone surrogates), at most MAX_BYTES bytes (room for the `.json` and the temporary names
beside it within the file system's 255).

Any other name gets a *safe name* (`stored_name`): each bad character becomes `_`, leading dots
too, the rest is cut to length, and `~` plus HASH_DIGITS hex digits of the original's sha256 go
before its extension (`../../x.bin` -> `___.._x~<12 hex>.bin`).  It is deterministic, so whoever
reads the JSON beside the file (restore, verify, restore-to-github) finds the file by applying the
same rule to the name there; different originals get different names; a safe name is storable,
so the rule applied twice changes nothing.  Where a name was changed, the JSON beside the file
keeps GitHub's original (ORIGINAL_NAME_KEY).

What GitHub itself never allows (a repository name with `/`, an issue number that is not a
number) is refused by the caller instead, with one problem line: there is nothing to keep.
Every name is also joined under its root with `join_inside`, which checks the final path.

No I/O but `os.path.realpath`, no imports from this package: github-backup's runner uses it.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

MAX_BYTES = 200
HASH_DIGITS = 12
MAX_EXTENSION = 16  # characters of an extension kept after the hash (`.tar.gz` keeps `.gz`)
ORIGINAL_NAME_KEY = "orgbackup_original_name"  # beside `name` in a release JSON's asset
# GitHub's own rule for repository names (anything else it turns into `-` when one is created).
_REPOSITORY_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")


class UnsafeName(ValueError):
    """A name that is not one storable component, or a path that leaves its root."""


def _bad_character(c: str) -> bool:
    code = ord(c)
    return c in "/\\" or code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF


def is_storable(name: object, max_bytes: int = MAX_BYTES) -> bool:
    """Whether `name` can be a file or folder name as it is."""
    if not isinstance(name, str) or name in ("", ".", ".."):
        return False
    if any(_bad_character(c) for c in name):
        return False
    return len(name.encode("utf-8")) <= max_bytes


def _cut(text: str, limit: int) -> str:
    """At most `limit` bytes of UTF-8, never half a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def stored_name(name: object, max_bytes: int = MAX_BYTES) -> str:
    """The name a file or folder gets for GitHub's `name`: itself when storable, else its safe name."""
    if is_storable(name, max_bytes):
        return name  # type: ignore[return-value]
    text = name if isinstance(name, str) else repr(name)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_DIGITS]
    cleaned = "".join("_" if _bad_character(c) else c for c in text)
    undotted = cleaned.lstrip(".")
    cleaned = "_" * (len(cleaned) - len(undotted)) + undotted
    stem, dot, extension = cleaned.rpartition(".")
    if not dot or not stem or not extension or len(extension) > MAX_EXTENSION:
        stem, extension = cleaned, ""
    else:
        extension = "." + extension
    tail = f"~{digest}{extension}"
    return _cut(stem, max_bytes - len(tail.encode("utf-8"))) + tail


def release_folder(tag: object) -> str:
    """The folder of a release's assets (its JSON is this plus `.json`): github-backup 0.40.0's
    `tag.replace('/', '__')` (L1036), made storable when that is not (`..`, `.`, a NUL, too long)."""
    return stored_name(tag.replace("/", "__") if isinstance(tag, str) else tag, MAX_BYTES - len(".json"))


def is_item_number(value: object) -> bool:
    """An issue, pull request, milestone, discussion or project number: a positive integer."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def is_repository_name(name: object) -> bool:
    """A name GitHub allows for a repository (letters, digits, `.`, `_`, `-`; not `.` or `..`)."""
    return isinstance(name, str) and bool(_REPOSITORY_NAME.fullmatch(name)) and name not in (".", "..")


def inside(root: str | os.PathLike, path: str | os.PathLike) -> bool:
    """Whether `path`, with every link and `..` resolved, is `root` or below it."""
    if "\0" in os.fspath(root) or "\0" in os.fspath(path):
        return False
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def join_inside(root: str | os.PathLike, *names: str) -> Path:
    """`root/names...`, each name one storable component and the result inside `root`; UnsafeName else."""
    for name in names:
        if not is_storable(name):
            raise UnsafeName(f"{name!r} is not a storable file name")
    path = Path(root, *names)
    if not inside(root, path):
        raise UnsafeName(f"{path} leads outside {root}")
    return path

