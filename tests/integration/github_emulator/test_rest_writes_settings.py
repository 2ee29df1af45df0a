"""The emulator's write side for a repository's settings (tests/github_emulator/rest_writes_settings.py):
Actions variables, autolinks, deploy keys and webhooks created as GitHub's REST description has
them and read back by the read endpoints; GitHub's refusals (a deploy key in use anywhere on the
host, a second webhook for one URL, a second autolink for one prefix, a variable that exists)."""

from __future__ import annotations

import secrets

import pytest

from tests.github_emulator.builder import ORG
from tests.support.emulator_client import TARGET, Client
from tests.support.ssh_keys import new_public_key

REPO = f"/repos/{TARGET}/assets"


@pytest.mark.contract_exempt("sends refused bodies (a bad key, a template without <num>), to see the 422s")
def test_settings_writes_read_back_with_githubs_refusals(github_emulator, target: Client):
    admin, em = target, github_emulator
    reader = Client(em, em.reader_token)

    # Actions variables: 201 {}, names upper case, 409 for one that exists, PATCH 204.
    assert admin.ok("POST", REPO + "/actions/variables", json={"name": "build_flags", "value": "-O2"}) == {}
    assert admin("POST", REPO + "/actions/variables", json={"name": "BUILD_FLAGS", "value": "x"}).status_code == 409
    assert admin("PATCH", REPO + "/actions/variables/BUILD_FLAGS", json={"value": "-O3"}).status_code == 204
    assert admin("PATCH", REPO + "/actions/variables/NOPE", json={"value": "1"}).status_code == 404
    listed = admin.ok("GET", REPO + "/actions/variables")
    assert [(v["name"], v["value"]) for v in listed["variables"]] == [("BUILD_FLAGS", "-O3")]
    assert reader("POST", REPO + "/actions/variables", json={"name": "A", "value": "1"}).status_code == 403

    # Autolinks: one per key prefix (case-insensitive); the template needs <num>.
    link = admin.ok("POST", REPO + "/autolinks",
                    json={"key_prefix": "JIRA-", "url_template": "https://j.invalid/<num>"})
    assert link["is_alphanumeric"] is True and isinstance(link["id"], int)
    assert admin("POST", REPO + "/autolinks",
                 json={"key_prefix": "jira-", "url_template": "https://x.invalid/<num>"}).status_code == 422
    assert admin("POST", REPO + "/autolinks",
                 json={"key_prefix": "GH-", "url_template": "https://x"}).status_code == 422
    assert [a["key_prefix"] for a in admin.ok("GET", REPO + "/autolinks")] == ["JIRA-"]

    # Deploy keys: an OpenSSH public key (the comment dropped); one in use anywhere on the host: 422.
    key = new_public_key()
    made = admin.ok("POST", REPO + "/keys", json={"title": "deploy", "key": key + " someone@host", "read_only": True})
    assert made["key"] == key and made["read_only"] is True and made["title"] == "deploy"
    again = admin("POST", REPO + "/keys", json={"title": "again", "key": key})
    assert again.status_code == 422 and again.json()["errors"][0]["message"] == "key is already in use"
    in_source = admin.ok("GET", f"/repos/{ORG}/godot/keys")[0]["key"]
    used = admin("POST", REPO + "/keys", json={"title": "copy", "key": in_source})
    assert used.status_code == 422 and "key is already in use" in used.json()["message"]
    assert admin("POST", REPO + "/keys", json={"title": "bad", "key": "ssh-ed25519 bm90IGEga2V5"}).status_code == 422
    assert [k["key"] for k in admin.ok("GET", REPO + "/keys")] == [key]

    # Webhooks: `active` honoured, the secret answered masked, one per URL.
    hook = admin.ok("POST", REPO + "/hooks", json={
        "name": "web", "active": False, "events": ["push", "issues"],
        "config": {"url": "https://ci.invalid/hook", "content_type": "json", "secret": secrets.token_hex(16)}})
    assert hook["active"] is False and hook["config"]["secret"] == "********" and hook["events"] == ["push", "issues"]
    assert admin("POST", REPO + "/hooks", json={"config": {"url": "https://ci.invalid/hook"}}).status_code == 422
    plain = admin.ok("POST", REPO + "/hooks", json={"config": {"url": "https://other.invalid/"}})
    assert plain["active"] is True and plain["events"] == ["push"] and "secret" not in plain["config"]
    listed = admin.ok("GET", REPO + "/hooks")
    assert [(h["config"]["url"], h["active"]) for h in listed] == [("https://ci.invalid/hook", False),
                                                                   ("https://other.invalid/", True)]

    # Topics replace the whole set.
    admin.ok("PUT", REPO + "/topics", json={"names": ["one", "two"]})
    assert admin.ok("PUT", REPO + "/topics", json={"names": ["three"]}) == {"names": ["three"]}
    assert admin.ok("GET", REPO)["topics"] == ["three"]
