"""Who a reviewer or a bypass actor of the backup is in the target: GitHub takes users, teams and
apps by id, and an id of the source's is not the target's (a team made again has a new one).

Users are found by login (GET /users/{username}), teams by slug in the target organization (GET
/orgs/{org}/teams/{team_slug}); a ruleset names a team by its id only, which the backup's
organization/teams.json turns into its slug. Each answer is kept for the whole restore (`cache`).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from orgbackup.cache.layout import OrgPaths


def source_team_slugs(org_dir: Path) -> dict[int, str]:
    """The source organization's team id -> slug, from the backup ({} when it holds no teams)."""
    try:
        teams = json.loads((OrgPaths(Path(org_dir)).organization / "teams.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {team["id"]: team["slug"] for team in teams or [] if "id" in team and "slug" in team}


class TargetAccounts:
    """Ids in the target of users (by login) and teams (by slug); None for one that is not there."""

    def __init__(self, writer, org: str, cache: dict):
        self.w, self.org, self.cache = writer, org, cache

    def _id(self, key: tuple, path: str) -> int | None:
        if key not in self.cache:
            found = self.w.read(path)
            self.cache[key] = found.get("id") if isinstance(found, dict) else None
        return self.cache[key]

    def user_id(self, login: str) -> int | None:
        return self._id(("user", login.lower()), f"users/{quote(login, safe='')}")

    def team_id(self, slug: str) -> int | None:
        return self._id(("team", slug.lower()), f"orgs/{self.org}/teams/{quote(slug, safe='')}")
