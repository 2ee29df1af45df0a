"""Every body restore-to-github builds for a repository, checked with jsonschema against the requestBody
schema of its operation in GitHub's pinned REST description (tests/contract: api.github.com.json):
only the fields the operation has (additionalProperties false here: GitHub ignores the others, so a
setting sent to the wrong operation is lost without a word), no null where the description has none,
no deprecated field where a current one says the same, the required ones there."""

from __future__ import annotations

import functools
import itertools
import json

import jsonschema
import pytest

from orgbackup.actions.restore_to_github.access import PROTECTION_NULLABLE, protection_body
from orgbackup.actions.restore_to_github.bodies import no_nulls
from orgbackup.actions.restore_to_github.items import review_comment_body
from orgbackup.actions.restore_to_github.repository import github_asset_name
from orgbackup.actions.restore_to_github.repository_bodies import create_body, update_body
from tests.contract.descriptions import openapi_path

CREATE = ("post", "/orgs/{org}/repos")
UPDATE = ("patch", "/repos/{owner}/{repo}")
PROTECTION = ("put", "/repos/{owner}/{repo}/branches/{branch}/protection")
REVIEW_COMMENT = ("post", "/repos/{owner}/{repo}/pulls/{pull_number}/comments")
REPLY = ("post", "/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies")


@functools.cache
def description() -> dict:
    return json.loads(openapi_path().read_text())


def resolved(node):
    """The schema with its $refs replaced and OpenAPI 3.0's `nullable` as JSON Schema says it."""
    if isinstance(node, list):
        return [resolved(x) for x in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = description()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return resolved(target)
    out = {k: resolved(v) for k, v in node.items()}
    if out.pop("nullable", False) and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def schema_of(operation) -> dict:
    method, path = operation
    body = description()["paths"][path][method]["requestBody"]
    schema = resolved(body["content"]["application/json"]["schema"])
    schema["additionalProperties"] = False
    return schema


def check(operation, body: dict) -> None:
    """`body` as the writer sends it is valid for the operation and uses no deprecated field."""
    schema = schema_of(operation)
    if operation == PROTECTION:
        # The description requires the deprecated contexts; GitHub's server takes contexts or checks,
        # never both (422 "More than one subschema in oneOf matched": google/go-github#2276,
        # ossf/allstar#155): the restore sends checks.
        schema["properties"]["required_status_checks"]["required"] = ["strict"]
    jsonschema.validate(body, schema)
    assert deprecated_fields(body, schema) == [], f"{operation}: deprecated fields sent"


def deprecated_fields(body, schema: dict, prefix: str = "") -> list[str]:
    """The fields of `body` (at any depth) that the schema marks deprecated."""
    found = []
    if isinstance(body, dict):
        for key, value in body.items():
            sub = (schema.get("properties") or {}).get(key) or {}
            if sub.get("deprecated"):
                found.append(prefix + key)
            found += deprecated_fields(value, sub, f"{prefix}{key}.")
    return found


SETTINGS = [
    {},  # a backup without a settings file
    {"description": None, "homepage": None, "visibility": "public", "private": False, "has_discussions": False},
    {"description": "", "homepage": "", "visibility": "internal", "private": True, "has_discussions": True},
    {"description": "An engine", "homepage": "https://x.invalid", "visibility": "private", "private": True,
     "has_issues": False, "has_wiki": False, "has_projects": False, "has_discussions": True,
     "allow_merge_commit": False, "allow_squash_merge": True, "allow_rebase_merge": False, "allow_auto_merge": True,
     "delete_branch_on_merge": True, "allow_update_branch": True, "web_commit_signoff_required": True,
     "squash_merge_commit_title": "COMMIT_OR_PR_TITLE", "squash_merge_commit_message": "COMMIT_MESSAGES",
     "merge_commit_title": "MERGE_MESSAGE", "merge_commit_message": "PR_TITLE", "topics": ["vr"],
     "default_branch": "main", "archived": True, "use_squash_pr_title_as_default": False},
    {"squash_merge_commit_title": None, "merge_commit_message": "SOMETHING_NEW", "allow_update_branch": None,
     "web_commit_signoff_required": False, "has_projects": None},
]
RECORDS = [{}, {"private": True}, {"visibility": "internal", "private": True}, {"visibility": "public"}]


@pytest.mark.parametrize("settings, record", list(itertools.product(SETTINGS, RECORDS)))
def test_the_repository_bodies_are_what_their_operations_take(settings, record):
    body, notices = create_body("game", settings, record, "Target")
    check(CREATE, no_nulls(body))
    assert body["name"] == "game" and body["auto_init"] is False and "has_discussions" not in body
    internal = (settings["visibility"] if "visibility" in settings else record.get("visibility")) == "internal"
    assert body.get("visibility") != "internal"
    if internal:
        assert body["visibility"] == "private" and any("internal became private" in n for n in notices)
    for branch in (None, "main"):
        update, update_notices = update_body(settings, branch)
        check(UPDATE, no_nulls(update))
        assert "has_discussions" not in update and update_notices == []  # GraphQL's (discussions.py)


def test_settings_go_to_the_operation_that_takes_them():
    settings = SETTINGS[3]
    body, _ = create_body("game", settings, {}, "Target")
    update, notices = update_body(settings, "main")
    assert body["description"] == "An engine" and body["visibility"] == "private" and "private" not in body
    assert body["merge_commit_title"] == "MERGE_MESSAGE" and body["allow_auto_merge"] is True
    assert "web_commit_signoff_required" not in body and "allow_update_branch" not in body
    assert update == {"has_issues": False, "has_wiki": False, "has_projects": False, "allow_update_branch": True,
                      "web_commit_signoff_required": True, "default_branch": "main"}
    assert notices == []  # has_discussions: GraphQL's updateRepository sets it (discussions.py)
    # none: description and homepage left out, not null; private from the record
    body, notices = create_body("game", {"description": None, "homepage": None}, {"private": True}, "T")
    assert body == {"name": "game", "has_issues": True, "has_wiki": True, "has_projects": True, "auto_init": False,
                    "private": True} and notices == []


def test_the_old_create_body_fails_the_check():
    """What the restore sent before: description null, visibility internal, fields the create lacks."""
    old = {"name": "game", "description": None, "homepage": None, "private": True, "has_issues": True,
           "has_wiki": True, "has_projects": True, "has_discussions": False, "auto_init": False,
           "visibility": "internal", "allow_update_branch": True, "web_commit_signoff_required": False}
    with pytest.raises(jsonschema.ValidationError):
        check(CREATE, old)
    for key in ("description", "homepage", "has_discussions", "allow_update_branch", "web_commit_signoff_required"):
        with pytest.raises(jsonschema.ValidationError):
            check(CREATE, {"name": "game", key: old[key]})
    with pytest.raises(jsonschema.ValidationError):
        check(UPDATE, {"has_discussions": True})


PROTECTIONS = [
    {},
    {"required_status_checks": {"strict": True, "contexts": ["ci/build"], "url": "u",
                                "checks": [{"context": "ci/build", "app_id": 15368}]},
     "enforce_admins": {"enabled": True, "url": "u"},
     "required_pull_request_reviews": {"dismiss_stale_reviews": True, "required_approving_review_count": 1,
                                       "require_code_owner_reviews": False, "url": "u"},
     "restrictions": {"users": [{"login": "alice"}], "teams": [{"slug": "eng"}], "apps": []},
     "required_linear_history": {"enabled": True}, "allow_force_pushes": {"enabled": False},
     "lock_branch": {"enabled": False}, "required_signatures": {"enabled": True}},
    {"required_status_checks": {"strict": False, "contexts": ["a", "b"]}},
]


@pytest.mark.parametrize("protection", PROTECTIONS)
def test_the_protection_body_is_what_put_takes(protection):
    body = no_nulls(protection_body(protection), PROTECTION_NULLABLE)
    check(PROTECTION, body)
    assert set(PROTECTION_NULLABLE) <= set(body)
    checks = body["required_status_checks"]
    if checks is not None:
        assert "contexts" not in checks and [c["context"] for c in checks["checks"]] == \
            (protection["required_status_checks"]["contexts"])
    with pytest.raises(AssertionError, match="deprecated"):  # the deprecated contexts is no longer what goes
        check(PROTECTION, dict(body, required_status_checks={"strict": True, "contexts": ["x"]}))


COMMENTS = [
    {"id": 1, "path": "a.c", "commit_id": "c" * 40, "line": 3, "side": "RIGHT", "position": 4,
     "original_line": 3, "original_commit_id": "d" * 40},
    {"id": 2, "path": "a.c", "commit_id": "c" * 40, "line": 5, "side": "RIGHT", "start_line": 3,
     "start_side": "RIGHT", "position": 9},
    {"id": 3, "path": "a.c", "commit_id": "c" * 40, "line": None, "side": "LEFT", "position": None,
     "original_line": 7, "original_commit_id": "d" * 40, "original_position": 2},
    {"id": 4, "path": "a.c", "commit_id": "c" * 40, "subject_type": "file", "line": None, "position": None},
    {"id": 5, "path": "a.c", "commit_id": "c" * 40, "position": 2},  # an old comment: position alone
]


@pytest.mark.parametrize("comment", COMMENTS, ids=lambda c: str(c["id"]))
def test_review_comment_bodies_have_the_required_fields_and_not_position_when_line_says_it(comment):
    body = no_nulls(review_comment_body(comment, "text"))
    schema = schema_of(REVIEW_COMMENT)
    jsonschema.validate(body, schema)
    assert {"body", "commit_id", "path"} <= set(body)
    if comment.get("position") is None or comment.get("line") is not None or comment.get("original_line"):
        assert "position" not in body
    if comment["id"] == 3:
        assert body["commit_id"] == "d" * 40 and body["line"] == 7
    check(REPLY, {"body": "text"})  # a reply: its own operation, which takes the body alone
    assert review_comment_body({"id": 6, "path": "a.c", "line": 1}, "text") is None  # no commit: not one


def test_github_renames_asset_names_as_it_does():
    assert github_asset_name("my file (1).zip") == "my.file.1.zip"
    assert github_asset_name("godot-v1.0_x86.tar.gz") == "godot-v1.0_x86.tar.gz"
    assert github_asset_name("a5_ !#$%&'()+,-.0123456789;=@AZ[]^_`az{}~.txt") == "a5_.-.0123456789.AZ._.az.txt"
    assert github_asset_name("tobwen-1.1.0-1~buster_amd64.deb") == "tobwen-1.1.0-1.buster_amd64.deb"
    assert github_asset_name(github_asset_name("my file (1).zip")) == "my.file.1.zip"
