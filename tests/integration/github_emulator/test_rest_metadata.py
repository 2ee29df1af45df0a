"""The emulator's metadata endpoints (tests/github_emulator/rest_metadata.py) over real HTTPS:
the repository's settings, reviews, commit comments, access, protection, rulesets, keys,
environments, variables, secrets, autolinks, pages, the organization, its members, teams, hooks;
admin vs reader vs anonymous; both prefixes (root and /api/v3)."""

from __future__ import annotations

import json

import pytest
import requests

from tests.github_emulator.builder import ORG
from tests.support.emulator_client import api, ok


def test_repository_object_has_settings_only_when_fetched_alone(github_emulator):
    em = github_emulator
    repo = ok(em, f"/repos/{ORG}/godot", em.admin_token)
    assert repo["has_discussions"] is True and repo["homepage"] == "https://v-sekai.invalid/godot"
    assert repo["allow_merge_commit"] is False and repo["allow_squash_merge"] is True
    assert repo["allow_auto_merge"] is True and repo["delete_branch_on_merge"] is True
    assert repo["web_commit_signoff_required"] is True
    assert repo["security_and_analysis"]["secret_scanning"]["status"] == "enabled"
    assert repo["topics"] == ["game-engine", "vr"]
    reader = ok(em, f"/repos/{ORG}/godot", em.reader_token)
    assert "security_and_analysis" not in reader and reader["allow_merge_commit"] is False
    listed = {r["name"]: r for r in ok(em, f"/orgs/{ORG}/repos", em.admin_token, params={"per_page": 100})}
    assert "allow_merge_commit" not in listed["godot"] and listed["godot"]["has_discussions"] is True
    assert listed["docs"]["has_discussions"] is False and listed["docs"]["homepage"] is None
    assert listed["v-sekai.github.io"]["has_pages"] is True and listed["godot"]["has_pages"] is False


def test_reviews_of_each_state_and_their_bodies(github_emulator):
    em = github_emulator
    seen = set()
    for n in (3, 7, 11, 15, 19):
        reviews = ok(em, f"/repos/{ORG}/godot/pulls/{n}/reviews")
        pull = ok(em, f"/repos/{ORG}/godot/pulls/{n}")
        for r in reviews:
            assert set(r) >= {"id", "node_id", "user", "body", "state", "html_url", "pull_request_url",
                              "submitted_at", "commit_id", "author_association", "_links"}
            assert r["commit_id"] == pull["head"]["sha"] and r["user"]["login"]
            assert r["html_url"].endswith(f"/pull/{n}#pullrequestreview-{r['id']}")
            assert pull["updated_at"] >= r["submitted_at"]   # a review bumps the pull's updated_at
            seen.add(r["state"])
    assert seen == {"APPROVED", "CHANGES_REQUESTED", "COMMENTED"}
    page = api(em, f"/repos/{ORG}/godot/pulls/7/reviews", params={"per_page": 1})
    assert len(page.json()) == 1 and 'rel="next"' in page.headers["Link"]
    assert api(em, f"/repos/{ORG}/godot/pulls/8/reviews").status_code == 404   # an issue, not a pull


def test_commit_comments_and_the_web_placeholder(github_emulator):
    em = github_emulator
    comments = ok(em, f"/repos/{ORG}/godot/comments")
    assert len(comments) == 3
    assert {"id", "node_id", "body", "path", "line", "position", "commit_id", "user", "created_at",
            "updated_at", "html_url", "url"} <= set(comments[0])
    assert comments[1]["path"] == "core/module_4.cpp" and comments[1]["line"] == 1
    bodies = " ".join(c["body"] for c in comments)
    assert "{{WEB}}" not in bodies and f"{em.base_url}/user-attachments/assets/" in bodies
    for path in ("/issues/2", "/releases"):
        assert "{{WEB}}" not in json.dumps(ok(em, f"/repos/{ORG}/godot{path}"))
    assert ok(em, f"/repos/{ORG}/shared-lib/comments") == []


ADMIN_ONLY = [
    f"/repos/{ORG}/godot/collaborators", f"/repos/{ORG}/godot/teams", f"/repos/{ORG}/godot/branches/main/protection",
    f"/repos/{ORG}/godot/keys", f"/repos/{ORG}/godot/actions/variables", f"/repos/{ORG}/godot/actions/secrets",
    f"/repos/{ORG}/godot/environments/production/variables", f"/repos/{ORG}/godot/autolinks",
    f"/orgs/{ORG}/hooks", f"/orgs/{ORG}/rulesets", f"/orgs/{ORG}/actions/variables", f"/orgs/{ORG}/actions/secrets",
    f"/orgs/{ORG}/outside_collaborators",
]
READER_SEES = [
    f"/repos/{ORG}/godot/environments", f"/repos/{ORG}/v-sekai.github.io/pages", f"/repos/{ORG}/godot/pulls/7/reviews",
    f"/repos/{ORG}/godot/comments", f"/repos/{ORG}/godot/rulesets", f"/orgs/{ORG}/members", f"/orgs/{ORG}/teams",
    f"/orgs/{ORG}/teams/engineering", f"/orgs/{ORG}/teams/engineering/members", f"/orgs/{ORG}/teams/engineering/repos",
]


def test_admin_only_endpoints_answer_403_to_a_reader_and_404_to_anonymous(github_emulator):
    em = github_emulator
    for path in ADMIN_ONLY:
        assert api(em, path, em.admin_token).status_code == 200, path
        reader = api(em, path, em.reader_token)
        assert reader.status_code == 403, path
        assert reader.json()["message"].startswith("Must have admin rights to"), path
        assert api(em, path).status_code == 404, path
    for path in READER_SEES:
        assert api(em, path, em.reader_token).status_code == 200, path
    for path in (f"/repos/{ORG}/private-tools/environments", f"/repos/{ORG}/private-tools/comments"):
        assert api(em, path).status_code == 404 and api(em, path, em.reader_token).status_code == 200


def test_collaborators_and_repository_teams(github_emulator):
    em = github_emulator
    people = {p["login"]: p for p in ok(em, f"/repos/{ORG}/godot/collaborators", em.admin_token,
                                        params={"affiliation": "all"})}
    assert {k: p["role_name"] for k, p in people.items()} == {"alice": "admin", "bob": "write", "dave": "triage"}
    assert people["bob"]["permissions"] == {"admin": False, "maintain": False, "push": True, "triage": True,
                                            "pull": True}
    outside = ok(em, f"/repos/{ORG}/godot/collaborators", em.admin_token, params={"affiliation": "outside"})
    assert [p["login"] for p in outside] == ["dave"]
    teams = {t["slug"]: t for t in ok(em, f"/repos/{ORG}/godot/teams", em.admin_token)}
    assert {s: t["permission"] for s, t in teams.items()} == {"engineering": "push", "rendering": "maintain"}
    assert teams["rendering"]["parent"]["slug"] == "engineering"
    assert ok(em, f"/repos/{ORG}/empty/collaborators", em.admin_token) == []


def test_branch_protection_and_rulesets(github_emulator):
    em = github_emulator
    base = f"/repos/{ORG}/godot"
    branches = ok(em, f"{base}/branches", params={"per_page": 100})
    assert {b["name"] for b in branches if b["protected"]} == {"main"}
    assert [b["name"] for b in ok(em, f"{base}/branches", params={"protected": "true"})] == ["main"]
    assert "main" not in {b["name"] for b in ok(em, f"{base}/branches", params={"protected": "false",
                                                                                 "per_page": 100})}
    protection = ok(em, f"{base}/branches/main/protection", em.admin_token)
    assert protection["url"].endswith("/branches/main/protection")
    assert protection["required_pull_request_reviews"]["required_approving_review_count"] == 1
    assert protection["enforce_admins"]["enabled"] is True and protection["enforce_admins"]["url"]
    assert protection["required_status_checks"]["contexts"] == ["ci/build"]
    for branch, message in (("develop", "Branch not protected"), ("feature/pr-3", "Branch not protected"),
                            ("nope", "Branch not found")):
        r = api(em, f"{base}/branches/{branch}/protection", em.admin_token)
        assert (r.status_code, r.json()["message"]) == (404, message), branch

    listed = ok(em, f"{base}/rulesets", em.reader_token)
    assert [(r["name"], r["source_type"]) for r in listed] == [
        ("Release tags", "Repository"), ("Protect default branches", "Organization")]
    own = ok(em, f"{base}/rulesets", params={"includes_parents": "false"})
    assert [r["name"] for r in own] == ["Release tags"] and "rules" not in own[0]
    full_admin = ok(em, f"{base}/rulesets/{own[0]['id']}", em.admin_token)
    full_reader = ok(em, f"{base}/rulesets/{own[0]['id']}", em.reader_token)
    assert full_admin["target"] == "tag" and {r["type"] for r in full_admin["rules"]} == {"deletion", "update"}
    assert full_admin["bypass_actors"] and "bypass_actors" not in full_reader
    assert full_reader["conditions"] == full_admin["conditions"]
    assert ok(em, f"/repos/{ORG}/docs/rulesets") == []           # the org ruleset targets godot* only
    org_rules = ok(em, f"/orgs/{ORG}/rulesets", em.admin_token)
    assert [r["name"] for r in org_rules] == ["Protect default branches"]
    org_full = ok(em, f"/orgs/{ORG}/rulesets/{org_rules[0]['id']}", em.admin_token)
    assert org_full["rules"] == [{"type": "deletion"}, {"type": "non_fast_forward"}]
    assert api(em, f"/orgs/{ORG}/rulesets/1", em.admin_token).status_code == 404


def test_keys_environments_variables_secrets_autolinks_pages(github_emulator):
    em = github_emulator
    base = f"/repos/{ORG}/godot"
    keys = ok(em, f"{base}/keys", em.admin_token)
    assert [(k["title"], k["read_only"]) for k in keys] == [("ci-readonly", True), ("release-bot", False)]
    assert all(k["key"].startswith("ssh-ed25519 AAAA") and k["verified"] for k in keys)
    envs = ok(em, f"{base}/environments", em.reader_token)
    assert envs["total_count"] == 2 and [e["name"] for e in envs["environments"]] == ["production", "staging"]
    prod = envs["environments"][0]
    assert [r["type"] for r in prod["protection_rules"]] == ["wait_timer", "required_reviewers"]
    assert prod["protection_rules"][0]["wait_timer"] == 5
    assert {r["type"] for r in prod["protection_rules"][1]["reviewers"]} == {"User", "Team"}
    assert prod["deployment_branch_policy"] == {"protected_branches": True, "custom_branch_policies": False}
    assert envs["environments"][1]["deployment_branch_policy"] is None
    page = api(em, f"{base}/environments", params={"per_page": 1, "page": 2})
    assert page.json()["total_count"] == 2 and [e["name"] for e in page.json()["environments"]] == ["staging"]
    assert 'rel="prev"' in page.headers["Link"]
    variables = ok(em, f"{base}/environments/production/variables", em.admin_token)
    assert variables["total_count"] == 1 and variables["variables"][0]["name"] == "DEPLOY_URL"
    assert ok(em, f"{base}/environments/staging/variables", em.admin_token) == {"total_count": 0, "variables": []}
    assert api(em, f"{base}/environments/nope/variables", em.admin_token).status_code == 404
    repo_vars = ok(em, f"{base}/actions/variables", em.admin_token)
    assert repo_vars["total_count"] == 2 and set(repo_vars["variables"][0]) == {"name", "value", "created_at",
                                                                                "updated_at"}
    assert {v["name"]: v["value"] for v in repo_vars["variables"]} == {"BUILD_FLAGS": "-O2", "SCONS_CACHE": "/cache"}
    secrets = ok(em, f"{base}/actions/secrets", em.admin_token)
    assert secrets["total_count"] == 2 and all(set(s) == {"name", "created_at", "updated_at"}
                                               for s in secrets["secrets"])
    assert [a["key_prefix"] for a in ok(em, f"{base}/autolinks", em.admin_token)] == ["GH-", "JIRA-"]
    pages = ok(em, f"/repos/{ORG}/v-sekai.github.io/pages")
    assert pages["source"] == {"branch": "main", "path": "/"} and pages["status"] == "built"
    assert pages["html_url"] == "https://v-sekai.github.io/"
    assert api(em, f"{base}/pages", em.admin_token).status_code == 404
    assert ok(em, f"/repos/{ORG}/empty/environments") == {"total_count": 0, "environments": []}


def test_organization_object_members_and_outside_collaborators(github_emulator):
    em = github_emulator
    admin = ok(em, f"/orgs/{ORG}", em.admin_token)
    reader = ok(em, f"/orgs/{ORG}", em.reader_token)
    assert admin["billing_email"] == "billing@v-sekai.invalid"
    assert admin["default_repository_permission"] == "read"
    assert admin["members_can_create_repositories"] is False and admin["two_factor_requirement_enabled"] is True
    assert admin["total_private_repos"] == 1 and admin["plan"]["name"]
    for key in ("billing_email", "default_repository_permission", "two_factor_requirement_enabled", "plan"):
        assert key not in reader
    assert reader["blog"] == admin["blog"] == "https://v-sekai.invalid" and reader["location"]
    members = {role: [m["login"] for m in ok(em, f"/orgs/{ORG}/members", em.reader_token, params={"role": role})]
               for role in ("admin", "member", "all")}
    assert members == {"admin": ["alice"], "member": ["bob", "carol"], "all": ["alice", "bob", "carol"]}
    assert [u["login"] for u in ok(em, f"/orgs/{ORG}/outside_collaborators", em.admin_token)] == ["dave"]
    page = api(em, f"/orgs/{ORG}/members", em.reader_token, params={"per_page": 2})
    assert len(page.json()) == 2 and 'rel="last"' in page.headers["Link"]


def test_teams_with_parent_members_and_repositories(github_emulator):
    em = github_emulator
    teams = {t["slug"]: t for t in ok(em, f"/orgs/{ORG}/teams", em.reader_token)}
    assert set(teams) == {"engineering", "rendering", "docs-team"}
    assert teams["rendering"]["parent"]["slug"] == "engineering" and teams["engineering"]["parent"] is None
    assert {"id", "node_id", "name", "slug", "description", "privacy", "permission", "members_url",
            "repositories_url", "html_url", "url"} <= set(teams["engineering"])
    one = ok(em, f"/orgs/{ORG}/teams/rendering", em.reader_token)
    assert one["members_count"] == 1 and one["repos_count"] == 1 and one["organization"]["login"] == ORG
    assert api(em, f"/orgs/{ORG}/teams/nope", em.reader_token).status_code == 404
    roles = {role: [m["login"] for m in ok(em, f"/orgs/{ORG}/teams/engineering/members", em.reader_token,
                                           params={"role": role})] for role in ("maintainer", "member", "all")}
    assert roles == {"maintainer": ["alice"], "member": ["bob"], "all": ["alice", "bob"]}
    repos = {r["name"]: r for r in ok(em, f"/orgs/{ORG}/teams/engineering/repos", em.reader_token)}
    assert {n: r["role_name"] for n, r in repos.items()} == {"godot": "write", "game": "write",
                                                             "private-tools": "read"}
    assert repos["godot"]["permissions"]["push"] is True and repos["private-tools"]["permissions"]["push"] is False
    assert repos["godot"]["full_name"] == f"{ORG}/godot"


def test_organization_hooks_variables_and_secrets(github_emulator):
    em = github_emulator
    hooks = ok(em, f"/orgs/{ORG}/hooks", em.admin_token)
    assert len(hooks) == 2 and all(h["type"] == "Organization" and h["config"]["url"] for h in hooks)
    assert [h["active"] for h in hooks] == [True, False]
    variables = ok(em, f"/orgs/{ORG}/actions/variables", em.admin_token)
    assert variables["total_count"] == 2
    assert {v["name"]: (v["value"], v["visibility"]) for v in variables["variables"]} == {
        "DEPLOY_ENV": ("production", "all"), "GODOT_VERSION": ("4.2", "selected")}
    selected = ok(em, f"/orgs/{ORG}/actions/variables/GODOT_VERSION/repositories", em.admin_token)
    assert selected["total_count"] == 2 and sorted(r["name"] for r in selected["repositories"]) == ["game", "godot"]
    assert api(em, f"/orgs/{ORG}/actions/variables/DEPLOY_ENV/repositories", em.admin_token).status_code == 409
    secrets = ok(em, f"/orgs/{ORG}/actions/secrets", em.admin_token)
    assert [s["name"] for s in secrets["secrets"]] == ["SIGNING_KEY", "DOCKER_PASSWORD"]
    assert all("value" not in s for s in secrets["secrets"])
    assert ok(em, "/orgs/other-deps/teams", em.admin_token) == []
    assert ok(em, "/orgs/other-deps/hooks", em.admin_token) == []


@pytest.mark.parametrize("prefix", ["", "/api/v3"])
def test_endpoints_at_both_prefixes(github_emulator, prefix):
    em = github_emulator
    url = f"{em.base_url}{prefix}/repos/{ORG}/godot/pulls/3/reviews"
    r = requests.get(url, timeout=30)
    assert r.status_code == 200 and r.json()[0]["pull_request_url"].startswith(f"{em.base_url}{prefix}/repos/")
