"""GitHub App authentication: a JWT signed with the App's private key, exchanged for an
installation token of one organization (GitHub's "Authenticating as a GitHub App installation").

Installation tokens live one hour; orgbackup/github/credentials.py renews them during the run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from orgbackup.config.settings import GitHubAppSettings
from orgbackup.github.api import GitHubAPI, GitHubError

# GitHub accepts a JWT for at most 10 minutes; `iat` 60 s in the past allows for clock drift.
JWT_SECONDS = 540
CLOCK_DRIFT_SECONDS = 60


def app_jwt(app: GitHubAppSettings, now: float | None = None) -> str:
    import jwt

    issued = int(now if now is not None else time.time()) - CLOCK_DRIFT_SECONDS
    claims = {"iat": issued, "exp": issued + CLOCK_DRIFT_SECONDS + JWT_SECONDS, "iss": app.app_id}
    return jwt.encode(claims, app.private_key.reveal(), algorithm="RS256")


@dataclass(frozen=True)
class InstallationToken:
    token: str
    issued_at: float  # our clock, when it was asked for
    expires_at: float  # GitHub's expires_at, as our clock's epoch seconds

    @property
    def lifetime(self) -> float:
        return max(0.0, self.expires_at - self.issued_at)


def app_client(api_url: str, app: GitHubAppSettings, verify: str | bool = True) -> GitHubAPI:
    """A client that speaks as the App itself (a fresh JWT at every request)."""
    return GitHubAPI(api_url, lambda: app_jwt(app), scheme="Bearer", attempts=3, verify=verify)


def app_slug(client: GitHubAPI) -> str:
    """The App's name (GET /app), which also proves the App id and key are right."""
    try:
        return client.get("app").get("slug") or "?"
    except GitHubError as exc:
        if exc.status == 401:
            raise GitHubError("GitHub rejected the App's JWT (HTTP 401): check GITHUB_APP_ID and "
                              "GITHUB_APP_PRIVATE_KEY", 401) from None
        raise


def installation_of(client: GitHubAPI, org: str) -> int:
    try:
        return int(client.get(f"orgs/{org}/installation")["id"])
    except GitHubError as exc:
        if exc.status == 404:
            raise GitHubError(f"the GitHub App is not installed on the organization {org!r} (GITHUB_ORGS)",
                              404) from None
        raise


def new_installation_token(client: GitHubAPI, installation_id: int) -> InstallationToken:
    asked = time.time()
    answer = client.post(f"app/installations/{installation_id}/access_tokens")
    expires = datetime.fromisoformat(answer["expires_at"].replace("Z", "+00:00")).timestamp()
    return InstallationToken(answer["token"], asked, expires)
