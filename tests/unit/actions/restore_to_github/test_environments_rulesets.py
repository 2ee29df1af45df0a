"""The pure body builders of environments (PUT .../environments/{name}) and rulesets (POST
.../rulesets): GET's shapes of the backup turned into what GitHub's writes take; bypass actors
mapped to the target or left out; only a repository's own rulesets planned."""

from __future__ import annotations

import json
from pathlib import Path

from orgbackup.actions.restore_to_github.environments import (environment_body, planned_environment_writes,
                                                               reviewers_of)
from orgbackup.actions.restore_to_github.rulesets import (bypass_actors_in_target, planned_ruleset_writes,
                                                          ruleset_body)
from orgbackup.actions.restore_to_github.source import read_repository

PRODUCTION = {
    "id": 11, "name": "production", "url": "https://x.invalid", "can_admins_bypass": True,
    "protection_rules": [
        {"id": 1, "node_id": "n", "type": "wait_timer", "wait_timer": 5},
        {"id": 2, "node_id": "n", "type": "required_reviewers", "prevent_self_review": True,
         "reviewers": [{"type": "User", "reviewer": {"login": "alice", "id": 101}},
                       {"type": "Team", "reviewer": {"slug": "engineering", "id": 202, "name": "Engineering"}}]},
        {"id": 3, "node_id": "n", "type": "branch_policy"}],
    "deployment_branch_policy": {"protected_branches": True, "custom_branch_policies": False},
    "variables": [{"name": "DEPLOY_URL", "value": "https://deploy.invalid"}]}


def test_an_environment_becomes_the_put_body_with_the_targets_reviewer_ids():
    assert reviewers_of(PRODUCTION) == [("User", "alice"), ("Team", "engineering")]
    reviewers = [{"type": "User", "id": 9}, {"type": "Team", "id": 8}]
    assert environment_body(PRODUCTION, reviewers) == {
        "wait_timer": 5, "prevent_self_review": True, "reviewers": reviewers,
        "deployment_branch_policy": {"protected_branches": True, "custom_branch_policies": False}}


def test_an_environment_without_rules_says_none_with_null():
    bare = {"name": "staging", "protection_rules": [], "deployment_branch_policy": None}
    assert reviewers_of(bare) == []
    assert environment_body(bare, []) == {"wait_timer": 0, "prevent_self_review": False, "reviewers": None,
                                          "deployment_branch_policy": None}


RULESET = {"id": 7, "name": "Release tags", "target": "tag", "source_type": "Repository", "source": "acme/tool",
           "enforcement": "active", "node_id": "n", "_links": {}, "current_user_can_bypass": "always",
           "conditions": {"ref_name": {"include": ["refs/tags/v*"], "exclude": []}},
           "rules": [{"type": "deletion"}, {"type": "update", "parameters": {"update_allows_fetch_and_merge": False}}],
           "bypass_actors": [{"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "pull_request"}]}


def test_a_ruleset_becomes_the_post_body_without_its_read_only_fields():
    actors = [{"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "pull_request"}]
    assert ruleset_body(RULESET, actors) == {
        "name": "Release tags", "target": "tag", "enforcement": "active", "conditions": RULESET["conditions"],
        "rules": RULESET["rules"], "bypass_actors": actors}
    # A backup read by a token that may not edit it has no bypass actors: none are sent.
    assert "bypass_actors" not in ruleset_body(dict(RULESET, conditions=None), None)
    assert "conditions" not in ruleset_body(dict(RULESET, conditions=None), None)


def test_bypass_actors_are_mapped_to_the_target_or_left_out():
    actors = [{"actor_id": 1, "actor_type": "OrganizationAdmin", "bypass_mode": "always"},
              {"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "pull_request"},
              {"actor_id": None, "actor_type": "DeployKey", "bypass_mode": "always"},
              {"actor_id": 31, "actor_type": "Team", "bypass_mode": "always"},
              {"actor_id": 32, "actor_type": "Team"},
              {"actor_id": 33, "actor_type": "Team", "bypass_mode": "always"},
              {"actor_id": 77, "actor_type": "Integration", "bypass_mode": "exempt"},
              {"actor_id": 88, "actor_type": "User", "bypass_mode": "always"}]
    in_target = {"engineering": 900}
    kept, left_out = bypass_actors_in_target(actors, team_slugs={31: "engineering", 32: "rendering"},
                                             team_id=in_target.get, same_host=True)
    assert kept == [actors[0], actors[1], actors[2], {"actor_id": 900, "actor_type": "Team", "bypass_mode": "always"},
                    actors[6], actors[7]]
    assert left_out == ["team rendering (no such team in the target organization)",
                        "team id 33 (no such team in the target organization)"]
    kept, left_out = bypass_actors_in_target(actors[6:], team_slugs={}, team_id=in_target.get, same_host=False)
    assert kept == [] and left_out == ["app id 77 (an id of the original's GitHub)",
                                       "user id 88 (an id of the original's GitHub)"]


def write(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))


def test_only_the_repositorys_own_rulesets_and_the_environments_are_planned(tmp_path):
    org = tmp_path / "acme"
    (org / "github-backup" / "repositories" / "tool").mkdir(parents=True)
    assert planned_environment_writes(read_repository(org, "tool", {})) == {}  # none in the backup
    folder = org / "settings" / "tool"
    write(folder / "rulesets.json", [RULESET, dict(RULESET, id=8, name="Org's", source_type="Organization")])
    write(folder / "environments.json", {"total_count": 3, "environments": [
        PRODUCTION, dict(PRODUCTION, name="staging", variables=[]), dict(PRODUCTION, name="qa", variables=None)]})
    repo = read_repository(org, "tool", {})
    assert planned_ruleset_writes(repo) == {"rulesets": 1}
    assert planned_environment_writes(repo) == {"environments": 3, "environment variables": 1}
