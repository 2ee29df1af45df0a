"""The organization's teams put back (--with-access): the teams and their members before the
repositories (so that environments' reviewers and rulesets' bypass actors find them), their
repository permissions once the repositories are restored.

What the backup holds (backup/parts/organization.py: teams_in_full): organization/teams.json, each
team as GET /orgs/{org}/teams lists it (name, slug, description, privacy, notification_setting,
parent) with its `members` [{login, role}] and `repositories` [{name, permission}].

How each is written, and why a rerun (after a kill too) makes nothing twice:
  team        POST /orgs/{org}/teams, parents first (parent_team_id: the id of the one made for the
              parent), create_once per original id; a team of the same name in the target is
              adopted (GitHub refuses a second: 422) and said so. GitHub makes who creates a team its
              maintainer: the token's user is named in a note where the original did not have them
  member      PUT .../teams/{team_slug}/memberships/{username} with the role (idempotent), once, then
              a done row; one not in the organization is invited (pending until they accept: a
              note); one GitHub does not know here is named for a person
  permission  PUT .../teams/{team_slug}/repos/{org}/{repo} (idempotent) on the repositories this
              restore made, once, then a done row
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import quote

from orgbackup.cache.layout import OrgPaths
from orgbackup.actions.restore_to_github.repository_settings import Listing, read_json
from orgbackup.actions.restore_to_github.writer import WriteRefused

TEAMS, MEMBERS, PERMISSIONS = "teams", "team members", "team repositories"
TEAM_FIELDS = ("description", "privacy", "notification_setting")
ROLE_TO_PERMISSION = {"read": "pull", "write": "push"}
NOT_AN_OWNER = (403, 404)  # GitHub's answer to a token that does not own the organization


def backed_up_teams(source) -> list[dict]:
    """The backup's teams, each parent ahead of its children ([] when it holds none)."""
    teams = read_json(OrgPaths(source.directory).organization / "teams.json") or []
    by_id = {team["id"]: team for team in teams}

    def depth(team, seen=()):
        parent = (team.get("parent") or {}).get("id")
        if parent not in by_id or parent in seen:
            return 0
        return 1 + depth(by_id[parent], (*seen, parent))
    return sorted(teams, key=depth)


def planned_team_writes(source) -> Counter:
    teams = backed_up_teams(source)
    return +Counter({TEAMS: len(teams), MEMBERS: sum(len(t.get("members") or []) for t in teams)})


def planned_permission_writes(source) -> Counter:
    return +Counter({PERMISSIONS: sum(len(t.get("repositories") or []) for t in backed_up_teams(source))})


class TeamPart:
    """What both parts share, through the OrganizationRestore `step`."""

    def __init__(self, step):
        self.step, self.w, self.state = step, step.w, step.state
        self.org = step.target.org
        self.teams = backed_up_teams(step.source)

    def made(self, team: dict) -> dict | None:
        """{id, slug} of the target's team for an original, once made or adopted."""
        return self.state.done_target("team", self.step.key("team", team["id"]))

    def team_path(self, made: dict) -> str:
        return f"orgs/{self.org}/teams/{quote(made['slug'], safe='')}"


class Teams(TeamPart):
    """BEFORE: the teams, parents first, and their members."""

    token_user: str | None = None  # GET /user's login, read once

    def run(self) -> None:
        listing = Listing(lambda: self.w.read_all(f"orgs/{self.org}/teams"))
        for team in self.teams:
            try:
                made = self.made(team) or self.create(team, listing)
                if made:
                    self.members(team, made)
            except WriteRefused as exc:
                if exc.status in NOT_AN_OWNER:
                    raise  # the same for every team: the part's one line (organization.py)
                self.step.problem(f"team {team['slug']}: {exc}")

    def create(self, team: dict, listing: Listing) -> dict | None:
        name, key = team["name"], self.step.key("team", team["id"])

        def same(found):
            return (found.get("name") or "").lower() == name.lower()
        existing = self.state.get("team", key) is None and listing.find(same)
        if existing:
            made = {"id": existing["id"], "slug": existing["slug"]}
            self.state.mark_done("team", key, made)
            self.step.notice(f"team {existing['slug']} was in {self.org} already: its members and repositories "
                             f"are added to it")
            return made
        body = {"name": name, **{field: team[field] for field in TEAM_FIELDS if team.get(field)}}
        parent = team.get("parent")
        if parent:
            parent_made = self.state.done_target("team", self.step.key("team", parent["id"]))
            if not parent_made:
                self.step.problem(f"team {team['slug']} not created: its parent {parent.get('slug')} was not")
                return None
            body["parent_team_id"] = parent_made["id"]
        made = self.w.create_once("team", key, lambda: self.w.write("POST", f"orgs/{self.org}/teams", body,
                                                                   what=f"team {name}", idempotent=False),
                                  lambda: listing.find(same, fresh=True),
                                  summary=lambda r: {"id": r.get("id"), "slug": r.get("slug")})
        self.step.count(TEAMS)
        if self.w.fresh:
            self.creator_note(team, made)
        return made

    def creator_note(self, team: dict, made: dict) -> None:
        """GitHub made the token's user a maintainer of the team it created: said where the original
        did not have them (removing them is a person's choice: they may be who looks after the copy)."""
        if self.token_user is None:
            self.token_user = (self.w.read("user") or {}).get("login") or ""
        login = self.token_user
        if login and login.lower() not in {m["login"].lower() for m in team.get("members") or []}:
            self.step.notice(f"team {made['slug']}: GitHub made the restore's token's user @{login} its maintainer, "
                             f"which the original did not have; remove them in {self.org} (Teams) if unwanted")

    def members(self, team: dict, made: dict) -> None:
        for member in team.get("members") or []:
            login = member["login"]
            key = self.step.key("team member", team["id"], login.lower())
            if self.state.done_target("team member", key) is not None:
                continue
            try:
                answer = self.w.write("PUT", f"{self.team_path(made)}/memberships/{quote(login, safe='')}",
                                      {"role": member.get("role") or "member"}, what=f"team {made['slug']} @{login}")
            except WriteRefused as exc:
                if exc.status != 404:
                    raise
                self.step.for_a_person(f"team {made['slug']}: @{login} ({member.get('role')}) is not a user on this "
                                       f"GitHub; add whoever they are here in {self.org} (Teams > {made['slug']})")
                self.state.mark_done("team member", key, {"missing": True})
                continue
            self.step.outcome.created[MEMBERS] += 1
            if (answer or {}).get("state") == "pending":
                self.step.notice(f"team {made['slug']}: @{login} is not a member of {self.org}: GitHub invited them; "
                                 f"they join the team once they accept")
            self.state.mark_done("team member", key, {"login": login})


class TeamRepositories(TeamPart):
    """AFTER: each team's permission on the repositories this restore made."""

    def run(self) -> None:
        restored = self.state.repositories()
        for team in self.teams:
            made = self.made(team)
            if not made:
                continue  # not made: the teams part said why
            for repo in team.get("repositories") or []:
                name = repo["name"]
                key = self.step.key("team repository", team["id"], name.lower())
                if self.state.done_target("team repository", key) is not None:
                    continue
                if name.lower() not in restored:
                    self.step.notice(f"team {made['slug']}: {name} was not made by this restore: its "
                                     f"{repo.get('permission')} permission there is not given")
                    continue
                # the backup's role names (read, write, ...) as the PUT takes them; a custom role's name as it is
                permission = ROLE_TO_PERMISSION.get(repo.get("permission"), repo.get("permission") or "pull")
                try:
                    self.w.write("PUT", f"{self.team_path(made)}/repos/{self.org}/{quote(name, safe='')}",
                                 {"permission": permission}, what=f"team {made['slug']} on {name}")
                except WriteRefused as exc:
                    if exc.status in NOT_AN_OWNER:
                        raise
                    self.step.problem(f"team {made['slug']}: {permission} on {name} not given: {exc}")
                    continue
                self.step.outcome.created[PERMISSIONS] += 1
                self.state.mark_done("team repository", key, {"permission": permission})
