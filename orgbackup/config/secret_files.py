"""The run's private folder of secret files, outside the cache and the snapshot.

The tools read secrets from files, never from arguments: github-backup takes
`-t file://...`, git and git-lfs ask the run's credential helper (which answers only the
GitHub host, for the organizations' own repositories: docs/security.md), restic reads
RESTIC_PASSWORD_FILE and RESTIC_REPOSITORY_FILE.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from orgbackup.tools import process
from orgbackup.config.settings import Config, is_restic_backend_variable
from orgbackup.errors import ConfigError

# Which repository a command reads (`status --repository`, `verify --repository`).
MAIN, COPY = "main", "copy"
REPOSITORIES = (MAIN, COPY)

# git's credential helper, a shell script (its comments say why): installed beside the
# package's Python, it needs no executable temporary folder. From a source tree that was
# never installed, the package's own file; a copy in the secret folder is the last resort.
CREDENTIAL_HELPER_NAME = "orgbackup-credential"
PACKAGED_CREDENTIAL_HELPER = Path(__file__).parent.parent / "git" / CREDENTIAL_HELPER_NAME
CREDENTIAL_LOG_NAME = "credential-refusals.log"  # the helper's refusals (no secret), read by the run


def repository_credentials(repository: str) -> list[str]:
    """The secret parts of a restic repository string: the user:password of a URL
    (`rest:https://user:pw@host/`, `sftp://user:pw@host/`); a plain path has none."""
    location = repository.split(":", 1)[1] if re.match(r"^(rest|s3|swift|azure|gs|b2|rclone):", repository) else repository
    try:
        parts = urlsplit(location)
    except ValueError:
        return []
    return [p for p in (parts.password,) if p]


def register_secrets(config: Config) -> None:
    """Mask the run's secret values in everything logged or raised from now on, and keep
    restic's backend variables from every program but restic."""
    process.withhold(is_restic_backend_variable)
    process.register_secret(config.token.reveal())
    process.register_secret(config.restic_password.reveal())
    copy_repository, copy_password = copy_secrets(config)
    for repository in (config.restic_repository, copy_repository):
        for part in repository_credentials(repository.reveal() if repository else ""):
            process.register_secret(part)
    if copy_password is not None:
        process.register_secret(copy_password.reveal())
    for name, value in config.restic_backend.items():
        if any(word in name for word in ("KEY", "SECRET", "PASSWORD", "TOKEN", "SAS", "AUTH")):
            process.register_secret(value)


@dataclass(frozen=True)
class SecretFiles:
    directory: Path
    token_file: Path
    restic_password_file: Path
    restic_repository_file: Path
    credential_helper: Path
    # What the credential helper offers the token to: https://HOST/<owner>/... (lower case), and
    # where it writes what it refused (credential_refusals.py reads it).
    credential_host: str = ""
    credential_owners: tuple[str, ...] = ()
    credential_log: Path | None = None
    # restic's backend variables (Config.restic_backend): restic_environment hands them to restic only.
    restic_backend: Mapping[str, str] = field(default_factory=dict, repr=False)
    # The second copy's repository and password (RESTIC_COPY_*), None without one.
    restic_copy_repository_file: Path | None = None
    restic_copy_password_file: Path | None = None

    @property
    def has_copy(self) -> bool:
        return self.restic_copy_repository_file is not None

    def copy_side(self) -> "SecretFiles":
        """The same files with the copy repository as restic's own (RESTIC_REPOSITORY_FILE and
        RESTIC_PASSWORD_FILE name the copy's): every restic command then acts on the copy."""
        if not self.has_copy:
            raise ConfigError("no second copy is configured (RESTIC_COPY_REPOSITORY and RESTIC_COPY_PASSWORD)")
        return replace(self, restic_repository_file=self.restic_copy_repository_file,
                       restic_password_file=self.restic_copy_password_file)

    def of_repository(self, which: str) -> "SecretFiles":
        """`main` (RESTIC_REPOSITORY) or `copy` (RESTIC_COPY_REPOSITORY): what status and verify read."""
        return self.copy_side() if which == COPY else self


def _write_private(path: Path, text: str, mode: int = 0o600) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def write_secret_files(config: Config, parent: str | None = None) -> SecretFiles:
    """Write the secrets into a new 0700 folder under the temporary directory (and, from now
    on, keep restic's backend variables from every program but restic)."""
    process.withhold(is_restic_backend_variable)
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
        credential_helper=installed_credential_helper() or _write_private(
            directory / CREDENTIAL_HELPER_NAME, PACKAGED_CREDENTIAL_HELPER.read_text(), 0o700),
        credential_host=credential_host(config.github_host),
        credential_owners=tuple(org.lower() for org in config.orgs),
        credential_log=_write_private(directory / CREDENTIAL_LOG_NAME, ""),
        restic_backend=config.restic_backend,
        **copy_files(config, directory),
    )


def copy_secrets(config: Config):
    """(RESTIC_COPY_REPOSITORY, RESTIC_COPY_PASSWORD) of a configuration, (None, None) without a copy."""
    return getattr(config, "restic_copy_repository", None), getattr(config, "restic_copy_password", None)


def copy_files(config: Config, directory: Path) -> dict[str, Path]:
    """The second copy's repository and password files, when there is one."""
    repository, password = copy_secrets(config)
    if repository is None or password is None:
        return {}
    return {
        "restic_copy_repository_file": _write_private(directory / "restic_copy_repository", repository.reveal() + "\n"),
        "restic_copy_password_file": _write_private(directory / "restic_copy_password", password.reveal() + "\n"),
    }


def credential_host(github_host: str) -> str:
    """The host as git names it to a credential helper: lower case, without https's own port."""
    host = (github_host or "").strip().lower()
    return host[:-len(":443")] if host.endswith(":443") else host


def installed_credential_helper() -> Path | None:
    for candidate in (Path(sys.executable).parent / CREDENTIAL_HELPER_NAME, shutil.which(CREDENTIAL_HELPER_NAME),
                      PACKAGED_CREDENTIAL_HELPER):
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def remove_secret_files(files: SecretFiles) -> None:
    shutil.rmtree(files.directory, ignore_errors=True)
