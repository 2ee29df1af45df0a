"""The emulator's write side for environments and rulesets (tests/github_emulator/rest_writes_environments.py):
made as GitHub's REST description has them and read back by the read endpoints the backup uses;
GitHub's refusals (a reviewer or team that does not exist, a branch policy with both or neither, a
field the PUT does not take, a variable that exists, a ruleset name the repository has)."""

from __future__ import annotations

import pytest

from tests.github_emulator.mutate import write_world
from tests.support.emulator_client import TARGET, Client

REPO = f"/repos/{TARGET}/assets"


@pytest.mark.contract_exempt("sends refused bodies (an unknown field, both branch policies), to see the 422s")
def test_environments_and_rulesets_read_back_with_githubs_refusals(github_emulator, world_root, target: Client):
    admin, em = target, github_emulator
    reader = Client(em, em.reader_token)

    def give_target_a_team(b):
        b.world["orgs"][TARGET].setdefault("teams", []).append(
            {"id": 4242, "slug": "ops", "name": "Ops", "description": "", "privacy": "closed", "parent": None,
             "members": [], "repos": {}})
    write_world(world_root, give_target_a_team)
    alice = admin.ok("GET", "/users/alice")["id"]

    # An environment: reviewers by id, answered as GET .../environments has them; PUT again replaces.
    made = admin.ok("PUT", REPO + "/environments/production", json={
        "wait_timer": 5, "prevent_self_review": True, "reviewers": [{"type": "User", "id": alice},
                                                                    {"type": "Team", "id": 4242}],
        "deployment_branch_policy": {"protected_branches": True, "custom_branch_policies": False}})
    rules = {rule["type"]: rule for rule in made["protection_rules"]}
    assert rules["wait_timer"]["wait_timer"] == 5 and rules["required_reviewers"]["prevent_self_review"] is True
    assert [(r["type"], r["reviewer"].get("login") or r["reviewer"]["slug"])
            for r in rules["required_reviewers"]["reviewers"]] == [("User", "alice"), ("Team", "ops")]
    assert admin.ok("PUT", REPO + "/environments/Production", json={"deployment_branch_policy": None})["name"] \
        == "production"
    listed = admin.ok("GET", REPO + "/environments")
    assert listed["total_count"] == 1 and listed["environments"][0]["protection_rules"] == []
    assert listed["environments"][0]["deployment_branch_policy"] is None
    for refused in ({"reviewers": [{"type": "Team", "id": 1}]}, {"reviewers": [{"type": "User", "id": 3}]},
                    {"deployment_branch_policy": {"protected_branches": True, "custom_branch_policies": True}},
                    {"wait_timer": 43201}, {"can_admins_bypass": True}):
        assert admin("PUT", REPO + "/environments/qa", json=refused).status_code == 422, refused
    assert reader("PUT", REPO + "/environments/qa", json={}).status_code == 403
    assert admin("PUT", REPO + "/environments/qa").status_code == 200  # the body is optional

    # Its variables: 201 {}, 409 for one there, PATCH 204; none for an environment not there.
    path = REPO + "/environments/production/variables"
    assert admin.ok("POST", path, json={"name": "deploy_url", "value": "https://a.invalid"}) == {}
    assert admin("POST", path, json={"name": "DEPLOY_URL", "value": "x"}).status_code == 409
    assert admin("PATCH", path + "/DEPLOY_URL", json={"value": "https://b.invalid"}).status_code == 204
    assert [(v["name"], v["value"]) for v in admin.ok("GET", path)["variables"]] == [
        ("DEPLOY_URL", "https://b.invalid")]
    assert admin("POST", REPO + "/environments/nope/variables", json={"name": "A", "value": "1"}).status_code == 404

    # A ruleset: 201 as GET .../rulesets/{id} answers it; a name the repository has (any case): 422.
    body = {"name": "Release tags", "target": "tag", "enforcement": "active",
            "conditions": {"ref_name": {"include": ["refs/tags/v*"], "exclude": []}},
            "rules": [{"type": "deletion"}],
            "bypass_actors": [{"actor_id": 4242, "actor_type": "Team", "bypass_mode": "always"},
                              {"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "pull_request"}]}
    ruleset = admin.ok("POST", REPO + "/rulesets", json=body)
    assert ruleset["source_type"] == "Repository" and ruleset["source"] == f"{TARGET}/assets"
    assert admin.ok("GET", f"{REPO}/rulesets/{ruleset['id']}") == ruleset
    assert {k: ruleset[k] for k in body} == body
    taken = admin("POST", REPO + "/rulesets", json=dict(body, name="release TAGS"))
    assert taken.status_code == 422 and "Name must be unique" in taken.json()["message"]
    assert admin("POST", REPO + "/rulesets", json=dict(body, name="Other", bypass_actors=[
        {"actor_id": 1, "actor_type": "Team"}])).status_code == 422  # no such team in the organization
    assert admin("POST", REPO + "/rulesets", json={"name": "No enforcement"}).status_code == 422
    assert [r["name"] for r in admin.ok("GET", REPO + "/rulesets")] == ["Release tags"]
