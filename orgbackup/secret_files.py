"""The run's private folder of secret files, outside the cache and the snapshot.

The tools read secrets from files, never from arguments: github-backup takes
`-t file://...`, git and git-lfs ask the askpass program, restic reads
RESTIC_PASSWORD_FILE and RESTIC_REPOSITORY_FILE.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .config import Config

# git calls this with a prompt ("Username for 'https://host': " or "Password for ...").
# Any user name works with a token; the password is the token, read from its file.
ASKPASS_SCRIPT = """#!/bin/sh
case "$1" in
  Username*) echo x-access-token ;;
  *) cat "$ORGBACKUP_TOKEN_FILE" ;;
esac
"""


@dataclass(frozen=True)
class SecretFiles:
    directory: Path
    token_file: Path
    restic_password_file: Path
    restic_repository_file: Path
    askpass: Path


def _write_private(path: Path, text: str, mode: int = 0o600) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def write_secret_files(config: Config, parent: str | None = None) -> SecretFiles:
    """Write the secrets into a new 0700 folder under the temporary directory."""
    directory = Path(tempfile.mkdtemp(prefix="orgbackup-", dir=parent))
    os.chmod(directory, 0o700)
    return SecretFiles(
        directory=directory,
        token_file=_write_private(directory / "github_token", config.token.reveal() + "\n"),
        restic_password_file=_write_private(
            directory / "restic_password", config.restic_password.reveal() + "\n"
        ),
        restic_repository_file=_write_private(
            directory / "restic_repository", config.restic_repository.reveal() + "\n"
        ),
        askpass=_write_private(directory / "git_askpass", ASKPASS_SCRIPT, 0o700),
    )


def remove_secret_files(files: SecretFiles) -> None:
    shutil.rmtree(files.directory, ignore_errors=True)
