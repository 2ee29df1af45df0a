"""The run's GitHub credentials: a personal token, or a GitHub App's installation tokens.

Every program of the run reads the token from one file (SecretFiles.token_file): git and
git-lfs through the run's credential helper, github-backup and gitim through their runners, each at
every request; the wrapper's client asks `current_token()` at every request. So renewing a
token is rewriting that file (atomically: a reader sees the old token or the new one).

An App's installation token belongs to one organization and lives an hour: `use(org)`
switches the file to that organization's token, and a daemon thread renews the token in use
once less than half of its lifetime is left, so a run of many hours never meets an expired one.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from orgbackup.tools import process
from orgbackup.config.settings import Config
from orgbackup.github.api import GitHubError

log = logging.getLogger(__name__)

RENEW_CHECK_SECONDS = 30.0  # at most; shorter for short-lived tokens


@dataclass(frozen=True)
class IssuedToken:
    token: str
    issued_at: float  # 0 for a personal token: it may be older than anything on disk


def write_token_file(path: Path, token: str) -> None:
    """Replace the token file atomically, 0600, in its own (0700) folder."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    os.replace(temporary, path)


class PersonalToken:
    """GITHUB_TOKEN: one token for everything, written once by write_secret_files."""

    is_app = False

    def __init__(self, token: str):
        self._token = token

    def current_token(self) -> str:
        return self._token

    def use(self, org: str) -> None:
        pass

    def identity(self, api) -> str:
        """Who GitHub says we are (GET /user)."""
        return api.user().get("login", "?")

    def issued(self) -> list[IssuedToken]:
        return [IssuedToken(self._token, 0.0)] if self._token else []

    def close(self) -> None:
        pass


class AppInstallationTokens:
    """GITHUB_APP_*: an installation token per organization, renewed before it expires."""

    is_app = True

    def __init__(self, config: Config, token_file: Path, *, check_seconds: float = RENEW_CHECK_SECONDS,
                 verify: str | bool = True):
        from orgbackup.github.app import app_client

        self.app = config.app
        self.client = app_client(config.api_url, config.app, verify)
        self.token_file = token_file
        self.check_seconds = check_seconds
        self._lock = threading.RLock()
        self._installations: dict[str, int] = {}
        self._tokens: dict[str, object] = {}  # org (lower case) -> InstallationToken
        self._issued: list[IssuedToken] = []
        self._org: str | None = None
        self._names: dict[str, str] = {}  # org (lower case) -> as the run spells it, for the log
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # What the run asks

    def current_token(self) -> str:
        with self._lock:
            token = self._tokens.get(self._org) if self._org else None
            return token.token if token else ""

    def identity(self, api) -> str:
        from orgbackup.github.app import app_slug

        return f"GitHub App {app_slug(self.client)}"

    def use(self, org: str) -> None:
        """From now on, everything speaks as the App's installation on `org` (GitHubError if
        the App is not installed there)."""
        key = org.lower()
        with self._lock:
            self._org = key
            self._names[key] = org
            token = self._tokens.get(key)
            if token is None or self._renewal_due(token):
                self._renew(key, org)
            else:
                write_token_file(self.token_file, token.token)
        self._start_renewing()

    def issued(self) -> list[IssuedToken]:
        with self._lock:
            return list(self._issued)

    def close(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)

    # Renewal

    @staticmethod
    def _renewal_due(token, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return token.expires_at - now < token.lifetime / 2

    def _renew(self, key: str, org: str) -> None:
        from orgbackup.github.app import installation_of, new_installation_token

        installation = self._installations.get(key) or self.app.installation_id or installation_of(self.client, org)
        self._installations[key] = installation
        token = new_installation_token(self.client, installation)
        process.register_secret(token.token)
        self._tokens[key] = token
        self._issued.append(IssuedToken(token.token, token.issued_at))
        if self._org == key:
            write_token_file(self.token_file, token.token)
        log.info("GitHub App: a new installation token for %s, valid until %s UTC", org,
                 time.strftime("%H:%M:%S", time.gmtime(token.expires_at)))

    def _start_renewing(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._renew_loop, name="app-token-renewal", daemon=True)
                self._thread.start()

    def _renew_loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                token = self._tokens.get(self._org) if self._org else None
                wait = self.check_seconds if token is None else max(0.5, min(self.check_seconds, token.lifetime / 8))
                if token is not None and self._renewal_due(token):
                    try:
                        self._renew(self._org, self._names.get(self._org, self._org))
                    except GitHubError as exc:  # the token in use is still valid; try again soon
                        log.warning("GitHub App: could not renew the installation token: %s", exc)
            self._stop.wait(wait)


def credentials_for(config: Config, token_file: Path, verify: str | bool = True):
    """The run's credentials: PersonalToken or AppInstallationTokens (`verify`: the run's CA bundle)."""
    if config.app is not None:
        process.register_secret(config.app.private_key.reveal())
        return AppInstallationTokens(config, token_file, verify=verify)
    return PersonalToken(config.token.reveal())
