"""The versions of the tools a run used, for the manifest and the snapshot's tags."""

from __future__ import annotations

import importlib.metadata
import sys

from orgbackup import __version__
from orgbackup.errors import BackupError
from orgbackup.tools import process, restic


def version_word(argv: tuple[str, ...], index: int) -> str:
    """One word of the first line a program prints about its version ('missing' if it is not there)."""
    try:
        result = process.run(argv, check=False, timeout=30)
    except BackupError:
        return "missing"
    words = (result.stdout or result.stderr).split("\n", 1)[0].split()
    return words[index] if len(words) > index else "unknown"


def package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def tool_versions() -> dict[str, str]:
    return {
        "orgbackup": __version__,
        "github-backup": package_version("github-backup"),
        "gitim": package_version("gitim"),
        "git": version_word(("git", "--version"), 2),  # git version 2.39.5
        "git-lfs": version_word(("git", "lfs", "version"), 0).removeprefix("git-lfs/"),  # git-lfs/3.3.0 (...)
        "restic": version_word(restic.version(), 1),  # restic 0.14.0 compiled with ...
        "python": sys.version.split()[0],
    }
