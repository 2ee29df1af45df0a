"""The emulator's write side for an organization (tests/github_emulator/rest_writes_org.py): teams,
their memberships and repository permissions, the organization's Actions variables, rulesets and
webhooks, made as GitHub's REST description has them and read back by the read endpoints the backup
uses; GitHub's refusals (a second team of a name, a parent of nowhere, a user GitHub does not know,
a bad permission, a variable that exists), and a member's token that owns nothing refused them all."""

from __future__ import annotations

import pytest

from tests.github_emulator.mutate import write_world
from tests.support.emulator_client import TARGET, Client

ORG = f"/orgs/{TARGET}"


@pytest.mark.contract_exempt("sends refused bodies (a bad permission, a bad visibility), to see the 422s")
def test_organization_writes_read_back_with_githubs_refusals(github_emulator, world_root, target: Client):
    admin, em = target, github_emulator

    def members(o):  # alice is a member of the target, carol is not
        o["members"] = [{"login": "alice", "role": "member"}]
    write_world(world_root, lambda b: members(b.world["orgs"][TARGET]))

    # Teams: the slug made of the name, the creator its maintainer, a parent by id, one name once.
    parent = admin.ok("POST", ORG + "/teams", json={"name": "Docs Team!", "description": "d", "privacy": "closed"})
    assert parent["slug"] == "docs-team" and parent["parent"] is None and parent["members_count"] == 1
    child = admin.ok("POST", ORG + "/teams", json={"name": "Child", "parent_team_id": parent["id"],
                                                   "notification_setting": "notifications_disabled"})
    assert child["parent"]["slug"] == "docs-team" and child["privacy"] == "closed"
    assert child["notification_setting"] == "notifications_disabled"
    assert admin("POST", ORG + "/teams", json={"name": "docs team!"}).status_code == 422
    assert admin("POST", ORG + "/teams", json={"name": "Orphan", "parent_team_id": 999999}).status_code == 422
    assert admin("POST", ORG + "/teams", json={"name": "Hidden", "privacy": "secret",
                                               "parent_team_id": parent["id"]}).status_code == 422

    # Memberships: a member active, one outside the organization invited, one unknown 404.
    team = ORG + "/teams/docs-team"
    assert admin.ok("PUT", team + "/memberships/alice", json={"role": "maintainer"})["state"] == "active"
    assert admin.ok("PUT", team + "/memberships/carol", json={"role": "member"})["state"] == "pending"
    assert admin("PUT", team + "/memberships/nobody-here", json={"role": "member"}).status_code == 404
    assert admin("PUT", team + "/memberships/alice", json={"role": "owner"}).status_code == 422
    listed = {m["login"] for m in admin.ok("GET", team + "/members", params={"role": "maintainer"})}
    assert listed == {"alice", "emulator-admin"}
    assert admin.ok("GET", team + "/members", params={"role": "member"}) == []  # carol: not until she accepts

    # Repository permissions: GitHub's five; a repository of the organization only.
    assert admin("PUT", team + f"/repos/{TARGET}/assets", json={"permission": "maintain"}).status_code == 204
    assert admin("PUT", team + f"/repos/{TARGET}/assets", json={"permission": "write"}).status_code == 422
    assert admin("PUT", team + "/repos/V-Sekai/godot", json={"permission": "pull"}).status_code == 422
    repos = admin.ok("GET", team + "/repos")
    assert [(r["name"], r["role_name"]) for r in repos] == [("assets", "maintain")]

    # Actions variables: visibility required; selected ones name the organization's repositories.
    assets_id = admin.ok("GET", f"/repos/{TARGET}/assets")["id"]
    assert admin.ok("POST", ORG + "/actions/variables", json={"name": "a", "value": "1", "visibility": "all"}) == {}
    assert admin("POST", ORG + "/actions/variables", json={"name": "A", "value": "2",
                                                            "visibility": "all"}).status_code == 409
    assert admin("POST", ORG + "/actions/variables", json={"name": "B", "value": "2"}).status_code == 422
    assert admin.ok("POST", ORG + "/actions/variables", json={
        "name": "B", "value": "2", "visibility": "selected", "selected_repository_ids": [assets_id]}) == {}
    assert admin("PATCH", ORG + "/actions/variables/A", json={"value": "3", "visibility": "private"}).status_code == 204
    variables = admin.ok("GET", ORG + "/actions/variables")["variables"]
    assert [(v["name"], v["value"], v["visibility"]) for v in variables] == [("A", "3", "private"),
                                                                             ("B", "2", "selected")]
    assert "selected_repositories_url" in variables[1]

    # Rulesets (a team bypass actor of this organization) and webhooks (one per URL), read back.
    ruleset = admin.ok("POST", ORG + "/rulesets", json={
        "name": "Main", "enforcement": "active", "rules": [{"type": "deletion"}],
        "bypass_actors": [{"actor_id": parent["id"], "actor_type": "Team", "bypass_mode": "always"}]})
    assert ruleset["source_type"] == "Organization"
    assert admin("POST", ORG + "/rulesets", json={"name": "main", "enforcement": "active"}).status_code == 422
    assert admin.ok("GET", ORG + f"/rulesets/{ruleset['id']}")["bypass_actors"][0]["actor_id"] == parent["id"]
    hook = admin.ok("POST", ORG + "/hooks", json={"name": "web", "active": False, "events": ["team"],
                                                  "config": {"url": "https://hooks.invalid/org", "content_type": "json"}})
    assert hook["type"] == "Organization" and hook["active"] is False
    assert admin("POST", ORG + "/hooks", json={"config": {"url": "https://hooks.invalid/org"}}).status_code == 422
    assert [h["config"]["url"] for h in admin.ok("GET", ORG + "/hooks")] == ["https://hooks.invalid/org"]

    # A member who administers repositories but owns nothing: 403 for each, nothing made.
    member = Client(em, em.add_token("alice", admin=True, owner=False))
    for method, path, body in (("POST", ORG + "/teams", {"name": "Mine"}),
                               ("PUT", team + "/memberships/alice", {"role": "member"}),
                               ("POST", ORG + "/actions/variables", {"name": "C", "value": "1", "visibility": "all"}),
                               ("POST", ORG + "/rulesets", {"name": "Mine", "enforcement": "active"}),
                               ("POST", ORG + "/hooks", {"config": {"url": "https://hooks.invalid/mine"}}),
                               ("GET", ORG + "/hooks", None)):
        assert member(method, path, json=body).status_code == 403, (method, path)
    assert [t["slug"] for t in admin.ok("GET", ORG + "/teams")] == ["docs-team", "child"]
