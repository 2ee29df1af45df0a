"""Which teams reach which repository, from the organization's listings.

The settings part saves each repository's `teams.json`, GitHub's `repos/ORG/NAME/teams`:
one request per repository.  The organization lists its teams and each team its
repositories (with the team's `permissions` on each), so for a night that refreshes
the settings of many repositories one listing of the teams and one (a page per 100
repositories) of each team's repositories give the same answer for all of them:
each team as the organization lists it, with the `permission` and `permissions` it
has on that repository, in the organization listing's order, which is what
`repos/ORG/NAME/teams` answers.

Used only where it is cheaper (`worth_it`) and only for repositories the token
administers (`repos/ORG/NAME/teams` needs admin; elsewhere the repository's own
request is still made, so that a refusal is named as before).  Built at the first
need, once per run, shared by the settings threads; any failure leaves it unbuilt
and every repository makes its own request.
"""

from __future__ import annotations

import logging
import threading

from orgbackup.github.api import GitHubAPI, GitHubError
from orgbackup.backup.parts.organization import PERMISSIONS

log = logging.getLogger(__name__)

# The listings cost one request for the teams and at least one per team: only for
# more repositories than that (and a margin for teams with many pages).
PAGES_PER_TEAM = 2
MINIMUM_REPOSITORIES = 20


def worth_it(repositories: int, teams: int | None = None) -> bool:
    """Whether the listings are expected to cost fewer requests than one per repository."""
    if repositories < MINIMUM_REPOSITORIES:
        return False
    return teams is None or 1 + PAGES_PER_TEAM * teams < repositories


def rest_permission(permissions: dict | None) -> str | None:
    """GitHub's `permission` name (pull, triage, push, maintain, admin): the highest granted."""
    granted = permissions or {}
    return next((key for key, _ in PERMISSIONS if granted.get(key)), None)


def teams_by_repository(teams: list[dict], repositories_of: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """{repository name: its teams as `repos/ORG/NAME/teams` lists them} (pure)."""
    out: dict[str, list[dict]] = {}
    for team in teams:
        for repo in repositories_of.get(team["slug"], []):
            permissions = repo.get("permissions") or {}
            out.setdefault(repo["name"], []).append(
                dict(team, permission=rest_permission(permissions), permissions=permissions))
    return out


class TeamAccess:
    """teams_of(name): the repository's teams from the organization's listings, or None
    (not worth it, or a listing failed: ask the repository)."""

    def __init__(self, api: GitHubAPI, org: str, repositories: int):
        self.api, self.org, self.repositories = api, org, repositories
        self._lock = threading.Lock()
        self._built = False
        self._map: dict[str, list[dict]] | None = None

    def _build(self) -> dict[str, list[dict]] | None:
        if not worth_it(self.repositories):
            return None
        try:
            teams = list(self.api.paginate(f"orgs/{self.org}/teams"))
            if not worth_it(self.repositories, len(teams)):
                return None
            repositories_of = {t["slug"]: list(self.api.paginate(f"orgs/{self.org}/teams/{t['slug']}/repos"))
                               for t in teams}
        except GitHubError as exc:
            log.info("%s: teams from the organization's listings: %s; asking each repository", self.org, exc)
            return None
        return teams_by_repository(teams, repositories_of)

    def teams_of(self, name: str) -> list[dict] | None:
        with self._lock:
            if not self._built:
                self._map = self._build()
                self._built = True
        if self._map is None:
            return None
        return [dict(t) for t in self._map.get(name, [])]
