"""The emulator's write side for access (tests/github_emulator/rest_writes_access.py): a branch
protection PUT as a restore sends it reads back as GET answers it; a collaborator added."""

from __future__ import annotations

import pytest

from tests.github_emulator import truth
from tests.github_emulator.builder import ORG
from tests.support.emulator_client import TARGET, Client


def protection_body(got: dict) -> dict:
    """A GET .../protection answer as the PUT body a restore sends (GitHub's two shapes differ)."""
    reviews = got.get("required_pull_request_reviews")
    body = {
        "required_status_checks": {k: got["required_status_checks"][k] for k in ("strict", "checks")}
        if got.get("required_status_checks") else None,
        "enforce_admins": got["enforce_admins"]["enabled"],
        "required_pull_request_reviews": {k: v for k, v in reviews.items() if k != "url"} if reviews else None,
        "restrictions": {"users": [u["login"] for u in got["restrictions"]["users"]],
                         "teams": [t["slug"] for t in got["restrictions"]["teams"]]}
        if got.get("restrictions") else None}
    for key in ("required_linear_history", "allow_force_pushes", "allow_deletions", "block_creations",
                "required_conversation_resolution", "lock_branch", "allow_fork_syncing"):
        body[key] = got[key]["enabled"]
    return body


def without_urls(obj):
    if isinstance(obj, dict):
        return {k: without_urls(v) for k, v in obj.items() if not k.endswith("url")}
    if isinstance(obj, list):
        return [without_urls(v) for v in obj]
    return obj


@pytest.mark.contract_exempt("sends malformed protection bodies, to see the 422s")
def test_put_branch_protection_reads_back(github_emulator, world_root):
    em = github_emulator
    admin, reader, anonymous = Client(em, em.admin_token), Client(em, em.reader_token), Client(em, None)
    full = f"{ORG}/godot"
    main = admin.ok("GET", f"/repos/{full}/branches/main/protection")
    assert admin("GET", f"/repos/{full}/branches/develop/protection").json()["message"] == "Branch not protected"

    # what a restore does: GET's answer of one branch PUT back, then GET equals it (but for the URLs)
    both = protection_body(main)
    both["required_status_checks"] = dict(both["required_status_checks"], contexts=["x"])
    assert admin("PUT", f"/repos/{full}/branches/develop/protection", json=both).status_code == 422  # oneOf
    put = admin.ok("PUT", f"/repos/{full}/branches/develop/protection", json=protection_body(main))
    got = admin.ok("GET", f"/repos/{full}/branches/develop/protection")
    assert put == got
    assert got["url"] == f"{em.api_url}/repos/{full}/branches/develop/protection"
    assert got["enforce_admins"] == {"enabled": True, "url": got["url"] + "/enforce_admins"}
    assert without_urls(got) == without_urls(main)
    assert {b["name"] for b in admin.ok("GET", f"/repos/{full}/branches", params={"protected": "true"})} == \
        {"main", "develop"}
    assert truth(world_root)["orgs"][ORG]["repos"]["godot"]["settings"]["protected_branches"] == ["develop", "main"]

    # restrictions and dismissal restrictions (users and teams); contexts without checks; a branch with "/"
    branches = [b["name"] for b in admin.ok("GET", f"/repos/{full}/branches", params={"per_page": 100})]
    slashed = next(b for b in branches if "/" in b)
    body = {"required_status_checks": {"strict": False, "contexts": ["ci/lint", "ci/test"]},
            "enforce_admins": None,
            "required_pull_request_reviews": {"required_approving_review_count": 2, "dismiss_stale_reviews": True,
                                              "dismissal_restrictions": {"users": ["Alice"], "teams": ["engineering"]}},
            "restrictions": {"users": ["bob"], "teams": ["rendering"], "apps": []},
            "allow_force_pushes": True}
    put = admin.ok("PUT", f"/repos/{full}/branches/{slashed}/protection", json=body)
    assert put == admin.ok("GET", f"/repos/{full}/branches/{slashed}/protection")
    assert put["required_status_checks"]["checks"] == [{"context": "ci/lint", "app_id": None},
                                                       {"context": "ci/test", "app_id": None}]
    assert put["enforce_admins"]["enabled"] is False and put["allow_force_pushes"] == {"enabled": True}
    assert put["required_linear_history"] == {"enabled": False} and put["required_signatures"] == {
        "enabled": False, "url": put["url"] + "/required_signatures"}
    reviews = put["required_pull_request_reviews"]
    assert reviews["required_approving_review_count"] == 2 and reviews["require_code_owner_reviews"] is False
    assert [u["login"] for u in reviews["dismissal_restrictions"]["users"]] == ["alice"]
    assert [t["slug"] for t in reviews["dismissal_restrictions"]["teams"]] == ["engineering"]
    assert [u["login"] for u in put["restrictions"]["users"]] == ["bob"]
    assert [t["slug"] for t in put["restrictions"]["teams"]] == ["rendering"] and put["restrictions"]["apps"] == []
    assert put["restrictions"]["url"] == put["url"] + "/restrictions"
    # PUT replaces: nulls switch parts off
    off = admin.ok("PUT", f"/repos/{full}/branches/{slashed}/protection", json={
        "required_status_checks": None, "enforce_admins": False, "required_pull_request_reviews": None,
        "restrictions": None})
    assert "required_status_checks" not in off and "restrictions" not in off
    assert "required_pull_request_reviews" not in off and off["allow_force_pushes"] == {"enabled": False}

    # failures
    four = {k: None for k in ("required_status_checks", "enforce_admins", "required_pull_request_reviews",
                              "restrictions")}
    missing = admin("PUT", f"/repos/{full}/branches/no-such-branch/protection", json=four)
    assert missing.status_code == 404 and missing.json()["message"] == "Branch not found"
    short = admin("PUT", f"/repos/{full}/branches/develop/protection", json={"enforce_admins": True})
    assert short.status_code == 422 and "required_status_checks" in short.json()["message"]
    assert admin("PUT", f"/repos/{full}/branches/develop/protection", json=dict(
        four, required_pull_request_reviews={"required_approving_review_count": 7})).status_code == 422
    assert admin("PUT", f"/repos/{full}/branches/develop/protection", json=dict(
        four, restrictions={"users": ["no-such-user-here"], "teams": []})).status_code == 422
    assert admin("PUT", f"/repos/{full}/branches/develop/protection", json=dict(
        four, enforce_admins="yes")).status_code == 422
    assert admin("PUT", f"/repos/{full}/branches/develop/protection", data=b"{").status_code == 400
    assert reader("PUT", f"/repos/{full}/branches/develop/protection", json=four).status_code == 403
    assert anonymous("PUT", f"/repos/{full}/branches/develop/protection", json=four).status_code == 401
    assert anonymous("PUT", f"/repos/{ORG}/private-tools/branches/main/protection", json=four).status_code == 404
    archived = admin("PUT", f"/repos/{ORG}/old-archive/branches/main/protection", json=four)
    assert archived.status_code == 403 and "archived" in archived.json()["message"]
    empty = admin("PUT", f"/repos/{ORG}/empty/branches/main/protection", json=four)
    assert empty.status_code == 404 and empty.json()["message"] == "Branch not found"
    # none of the refused requests changed anything
    assert without_urls(admin.ok("GET", f"/repos/{full}/branches/develop/protection")) == without_urls(main)


def test_put_collaborator(github_emulator, world_root, target):
    em, admin = github_emulator, target
    reader, anonymous = Client(em, em.reader_token), Client(em, None)
    full = f"{ORG}/game"
    assert admin.ok("GET", f"/repos/{full}/collaborators") == []

    invited = admin("PUT", f"/repos/{full}/collaborators/Carol", json={"permission": "triage"})
    assert invited.status_code == 201, invited.text
    invitation = invited.json()
    assert invitation["invitee"]["login"] == "carol" and invitation["inviter"]["login"] == "emulator-admin"
    assert invitation["permissions"] == "triage" and invitation["repository"]["full_name"] == full
    assert invitation["expired"] is False and invitation["id"] and invitation["created_at"]
    # default permission push; the emulator makes them collaborators at once
    assert admin("PUT", f"/repos/{full}/collaborators/bob").status_code == 201
    people = {p["login"]: p for p in admin.ok("GET", f"/repos/{full}/collaborators")}
    assert {k: p["role_name"] for k, p in people.items()} == {"carol": "triage", "bob": "write"}
    assert people["bob"]["permissions"] == {"admin": False, "maintain": False, "push": True, "triage": True,
                                            "pull": True}

    # already a collaborator: 204 without a body, the permission updated
    again = admin("PUT", f"/repos/{full}/collaborators/carol", json={"permission": "maintain"})
    assert again.status_code == 204 and again.content == b""
    assert {p["login"]: p["role_name"] for p in admin.ok("GET", f"/repos/{full}/collaborators")} == \
        {"carol": "maintain", "bob": "write"}
    assert truth(world_root)["orgs"][ORG]["repos"]["game"]["settings"]["collaborators"] == \
        {"carol": "maintain", "bob": "write"}

    # into the restored organization: dave is no member there, so he becomes an outside collaborator
    assert admin("PUT", f"/repos/{TARGET}/assets/collaborators/dave", json={"permission": "admin"}).status_code == 201
    assert [u["login"] for u in admin.ok("GET", f"/orgs/{TARGET}/outside_collaborators")] == ["dave"]
    assert [u["login"] for u in admin.ok("GET", f"/repos/{TARGET}/assets/collaborators",
                                         params={"affiliation": "outside"})] == ["dave"]
    t = truth(world_root)["orgs"][TARGET]
    assert t["organization"]["outside_collaborators"] == ["dave"]
    assert t["repos"]["assets"]["settings"]["collaborators"] == {"dave": "admin"}

    # failures
    unknown = admin("PUT", f"/repos/{full}/collaborators/no-such-user-here", json={"permission": "push"})
    assert unknown.status_code == 404
    bad = admin("PUT", f"/repos/{full}/collaborators/alice", json={"permission": "owner"})
    assert bad.status_code == 422 and "permission" in bad.json()["message"]
    assert reader("PUT", f"/repos/{full}/collaborators/alice").status_code == 403
    assert anonymous("PUT", f"/repos/{full}/collaborators/alice").status_code == 401
    assert anonymous("PUT", f"/repos/{ORG}/private-tools/collaborators/alice").status_code == 404
    assert admin("PUT", f"/repos/{ORG}/no-such-repo/collaborators/alice").status_code == 404
    assert {p["login"] for p in admin.ok("GET", f"/repos/{full}/collaborators")} == {"carol", "bob"}
