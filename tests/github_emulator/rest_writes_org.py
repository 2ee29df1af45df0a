"""The write side's organization: teams (POST), their memberships and repository permissions (PUT),
and the organization's Actions variables (POST, PATCH), rulesets (POST) and webhooks (POST), each as
GitHub's REST description has them.

Who may: the organization's owners (rest.require_owner: the admin token, a token added with
owner=True); any other token is answered 403 as GitHub answers a member. Team creation is an
owner's here, as in an organization that limits it to owners (GitHub's setting; by default members
may too). A team's repository permission needs admin rights on the repository (a member who made it
has them) and a team there.

GitHub's rules kept here: a team's slug is made of its name (lower case, runs of other characters one
"-"), a name unique in the organization (422), a parent a team of the same organization (by id), a
secret team without parent or children; who creates a team becomes its maintainer; a membership's
role member or maintainer, a user not in the organization invited ("pending", not listed as a member
until they accept), one that does not exist 404; a repository permission pull, triage, push,
maintain or admin, on a repository of the organization (422 otherwise); a variable's name unique
(409), its visibility all, private or selected (with selected_repository_ids of the organization's
repositories); a ruleset's name unique among the organization's (422); one webhook per URL (422).
"""
from __future__ import annotations

import re

from .builder import iso, org_defaults
from .mutate import write_world
from .rest import LEVELS, ApiError, Ctx, Response, View, org_or_404, require_owner
from .rest_metadata import org_hook_json
from .rest_shapes import org_json, ruleset_json, team_json
from .rest_writes import canonical_user, created, request_body
from .rest_writes_environments import add_ruleset, ruleset_fields
from .rest_writes_settings import VARIABLE_NAME, _failed, _string, hook_fields

VISIBILITIES = ("all", "private", "selected")
PRIVACIES = ("secret", "closed")
NOTIFICATIONS = ("notifications_enabled", "notifications_disabled")


def team_slug(name: str) -> str:
    """GitHub's slug of a team name: "Docs team" -> "docs-team"."""
    return re.sub(r"[^a-z0-9_]+", "-", name.lower()).strip("-")


def change_org(c: Ctx, org: str, fn):
    """fn(builder, fresh organization record) -> result, saved; c.view becomes the saved world."""
    login = org_or_404(c, org)["login"]

    def change(b):
        return fn(b, org_defaults(b.world["orgs"][login]))
    result, world = write_world(c.root, change, lazy_truth=True)
    c.view = View(world)
    return c.view.find_org(login), result


def _team(org: dict, slug: str) -> dict:
    team = next((t for t in org["teams"] if t["slug"].lower() == slug.lower()), None)
    if team is None:
        raise ApiError(404)
    return team


# ------------------------------------------------------------------------ teams


def create_team(c: Ctx, org):
    """POST /orgs/{org}/teams: name (required), description, privacy, notification_setting,
    parent_team_id; 201 with the team as GET .../teams/{team_slug} answers it."""
    org_or_404(c, org)
    require_owner(c)
    body = request_body(c)
    name = _string(body, "name", "Team")
    slug = team_slug(name)
    description = _string(body, "description", "Team", required=False) or ""
    parent_id = body.get("parent_team_id")
    privacy = body.get("privacy", "closed" if parent_id else "secret")
    notification = body.get("notification_setting", "notifications_enabled")
    if privacy not in PRIVACIES or notification not in NOTIFICATIONS or not slug:
        raise _failed("Team", "privacy" if privacy not in PRIVACIES else "name", "invalid")
    if parent_id is not None and not isinstance(parent_id, int):
        raise _failed("Team", "parent_team_id", "invalid")

    def fn(b, rec):
        if any(t["name"].lower() == name.lower() or t["slug"] == slug for t in rec["teams"]):
            raise _failed("Team", "name", "already_exists", "Name must be unique for this org")
        parent = None
        if parent_id is not None:
            parent = next((t for t in rec["teams"] if t["id"] == parent_id), None)
            if parent is None:
                raise _failed("Team", "parent_team_id", "invalid", "Parent team must be a team of this organization")
            if privacy == "secret" or parent["privacy"] == "secret":
                raise _failed("Team", "privacy", "invalid", "A nested team must be closed, as its parent")
        team = {"id": b.new_id(), "slug": slug, "name": name, "description": description, "privacy": privacy,
                "notification_setting": notification, "parent": parent["slug"] if parent else None,
                "members": [{"login": c.user["login"], "role": "maintainer"}], "repos": {}}
        rec["teams"].append(team)
        return team
    found, team = change_org(c, org, fn)
    answer = team_json(c, found, team) | {
        "members_count": 1, "repos_count": 0, "created_at": found["created_at"], "updated_at": found["created_at"],
        "organization": org_json(c, found) | {"has_organization_projects": True, "has_repository_projects": True,
                                              "public_gists": 0, "followers": 0, "following": 0, "archived_at": None}}
    return created(answer, answer["url"])


def set_team_membership(c: Ctx, org, slug, username):
    """PUT .../teams/{team_slug}/memberships/{username}: role member (default) or maintainer; a user
    outside the organization invited (state pending); 200 {url, role, state}."""
    org_or_404(c, org)
    require_owner(c)
    role = request_body(c).get("role", "member")
    if role not in ("member", "maintainer"):
        raise _failed("TeamMembership", "role", "invalid")

    def fn(b, rec):
        team = _team(rec, slug)
        login = canonical_user(b, username)
        if login is None:
            raise ApiError(404)
        member = any(m["login"].lower() == login.lower() for m in rec["members"])
        listed = team["members"] if member else team.setdefault("pending_members", [])
        listed[:] = [m for m in listed if m["login"].lower() != login.lower()] + [{"login": login, "role": role}]
        return team, login, "active" if member else "pending"
    found, (team, login, state) = change_org(c, org, fn)
    return {"url": f"{c.api}/organizations/{found['id']}/team/{team['id']}/memberships/{login}",
            "role": role, "state": state}


def set_team_repository(c: Ctx, org, slug, owner, repo):
    """PUT .../teams/{team_slug}/repos/{owner}/{repo}: permission pull, triage, push, maintain or admin;
    204. Admin rights on the repository needed; a repository of another owner 422."""
    found = org_or_404(c, org)
    login, rec = c.repo(owner, repo)
    if not c.user["admin"]:
        raise ApiError(403, "Must have admin rights to Repository.")
    if login.lower() != found["login"].lower():
        raise ApiError(422, "Validation Failed: the repository must be owned by the organization")
    permission = request_body(c).get("permission", "pull")
    if permission not in LEVELS:
        raise _failed("Team", "permission", "invalid")

    def fn(b, org_rec):
        _team(org_rec, slug)["repos"][rec["name"]] = permission
    change_org(c, org, fn)
    return Response(204, b"", {})


# ------------------------------------------------------------------------ Actions variables


def _variable_fields(body: dict, org: dict, *, required: bool) -> dict:
    fields = {}
    value = _string(body, "value", "Variable", required=required)
    if value is not None:
        fields["value"] = value
    visibility = body.get("visibility")
    if visibility is not None or required:
        if visibility not in VISIBILITIES:
            raise _failed("Variable", "visibility", "missing_field" if visibility is None else "invalid")
        fields["visibility"] = visibility
    ids = body.get("selected_repository_ids")
    if ids is not None:
        known = {r["id"] for r in org["repos"].values()}
        if not isinstance(ids, list) or any(i not in known for i in ids):
            raise _failed("Variable", "selected_repository_ids", "invalid")
        fields["selected_repository_ids"] = list(ids)
    return fields


def create_org_variable(c: Ctx, org):
    """POST /orgs/{org}/actions/variables: name, value, visibility (required); 201 {}; 409 for a name there."""
    found = org_or_404(c, org)
    require_owner(c)
    body = request_body(c)
    name = _string(body, "name", "Variable")
    if not VARIABLE_NAME.fullmatch(name) or name.upper().startswith("GITHUB_"):
        raise _failed("Variable", "name", "invalid", f"{name} is not a valid variable name")
    fields = _variable_fields(body, found, required=True)

    def fn(b, rec):
        if any(v["name"] == name.upper() for v in rec["variables"]):
            raise ApiError(409, "Already exists - Variable already exists")
        when = iso(b.tick())
        rec["variables"].append({"name": name.upper(), **fields, "created_at": when, "updated_at": when})
    change_org(c, org, fn)
    return created({}, f"{c.api}/orgs/{found['login']}/actions/variables/{name.upper()}")


def update_org_variable(c: Ctx, org, name):
    """PATCH /orgs/{org}/actions/variables/{name}: value, visibility, selected_repository_ids; 204."""
    found = org_or_404(c, org)
    require_owner(c)
    fields = _variable_fields(request_body(c), found, required=False)

    def fn(b, rec):
        variable = next((v for v in rec["variables"] if v["name"] == name.upper()), None)
        if variable is None:
            raise ApiError(404)
        variable.update(fields, updated_at=iso(b.tick()))
    change_org(c, org, fn)
    return Response(204, b"", {})


# ------------------------------------------------------------------------ rulesets and webhooks


def create_org_ruleset(c: Ctx, org):
    """POST /orgs/{org}/rulesets: as a repository's (rest_writes_environments.ruleset_fields); its name
    unique among the organization's rulesets; 201 as GET /orgs/{org}/rulesets/{id} answers it."""
    org_or_404(c, org)
    require_owner(c)
    name, fields, actors = ruleset_fields(request_body(c))

    found, ruleset = change_org(c, org, lambda b, rec: add_ruleset(b, rec, rec["rulesets"], name, fields, actors))
    answer = ruleset_json(c, ruleset, "Organization", found["login"], full=True)
    return created(answer, answer["_links"]["self"]["href"])


def create_org_hook(c: Ctx, org):
    """POST /orgs/{org}/hooks: as a repository's webhook (rest_writes_settings.hook_fields); one per URL."""
    org_or_404(c, org)
    require_owner(c)
    events, active, stored = hook_fields(request_body(c))

    def fn(b, rec):
        if any(h["config"].get("url") == stored["url"] for h in rec["org_hooks"]):
            raise _failed("Hook", "config", "custom", "Hook already exists on this organization")
        when = iso(b.tick())
        hook = {"id": b.new_id(), "name": "web", "events": events, "active": active, "config": stored,
                "created_at": when, "updated_at": when}
        rec["org_hooks"].append(hook)
        return hook
    found, hook = change_org(c, org, fn)
    answer = org_hook_json(c, found["login"], hook)
    return created(answer, answer["url"])
