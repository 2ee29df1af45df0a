"""The contract's checker (tests/contract/openapi.py, check.py) can fail: a request or an answer that
GitHub's pinned OpenAPI description does not allow is a violation naming the operation and the field;
one it allows passes. It reads the real description (about 2 s to load, once)."""

from __future__ import annotations

import json

import pytest

from tests.contract import check
from tests.contract.openapi import Violation

VARIABLES = "/repos/acme/widgets/actions/variables"


@pytest.fixture(scope="module")
def api():
    return check.openapi()


def exchange(method, path, query=None, body=None, status=200, answer=None):
    return {"kind": "rest", "method": method, "prefix": "/api/v3", "path": path, "raw_path": path,
            "query": query or {}, "body": json.dumps(body).encode() if body is not None else b"",
            "uploads": False, "status": status, "answer": answer}


def violations(api, *args, **kw):
    return check.exchange_violations(exchange(*args, **kw), api)


def test_paths_match_their_operation(api):
    assert api.operation("GET", VARIABLES).name == \
        "actions/list-repo-variables GET /repos/{owner}/{repo}/actions/variables"
    assert api.operation("GET", "/repos/acme/widgets").id == "repos/get"
    assert api.operation("GET", "/repos/acme/widgets/git/ref/heads/feature/x").template == \
        "/repos/{owner}/{repo}/git/ref/{ref}"
    assert api.operation("GET", "/repos/acme/widgets/branches/release/1.0/protection").id == \
        "repos/get-branch-protection"
    assert api.operation("GET", "/repos/acme/widgets/branches/release/1.0").id == "repos/get-branch"
    assert api.operation("GET", "/repos/acme/widgets/no-such-thing") is None


def test_actions_variables_per_page_above_30_is_a_violation(api):
    found = violations(api, "GET", VARIABLES, {"per_page": "100"}, answer={"total_count": 0, "variables": []})
    assert found == [Violation("actions/list-repo-variables GET /repos/{owner}/{repo}/actions/variables",
                               "query.per_page", "100 is more than the maximum 30 (maximum)")]
    assert violations(api, "GET", VARIABLES, {"per_page": "30"}, answer={"total_count": 0, "variables": []}) == []


def test_an_undocumented_query_parameter_or_operation_is_a_violation(api):
    found = violations(api, "GET", VARIABLES, {"sort": "name"}, answer={"total_count": 0, "variables": []})
    assert [(v.field, v.message) for v in found] == [("query.sort", "not a documented query parameter")]
    found = violations(api, "GET", "/repos/acme/widgets/no-such-thing")
    assert [(v.operation, v.field) for v in found] == [("GET /repos/acme/widgets/no-such-thing", "operation")]


def test_a_null_description_creating_a_repository_is_a_violation(api):
    found = violations(api, "POST", "/orgs/acme/repos", body={"name": "widgets", "description": None},
                       status=422, answer={"message": "Validation Failed"})
    assert [(v.operation, v.field) for v in found] == [("repos/create-in-org POST /orgs/{org}/repos",
                                                        "body.description")]
    assert "None is not of type 'string'" in found[0].message
    assert violations(api, "POST", "/orgs/acme/repos", body={"name": "widgets", "description": "ok"},
                      status=422, answer={"message": "Validation Failed"}) == []


def test_unknown_and_deprecated_body_fields_are_violations(api):
    found = violations(api, "POST", "/orgs/acme/repos", body={"name": "w", "has_discussions": True,
                                                              "visibility": "internal"},
                       status=422, answer={"message": "Validation Failed"})
    assert {(v.field, v.message.split(" (")[0]) for v in found} == {
        ("body.has_discussions", "not a documented field"),
        ("body.visibility", "'internal' is not one of ['public', 'private']")}
    found = violations(api, "PUT", "/repos/acme/widgets/branches/main/protection", body={
        "required_status_checks": {"strict": True, "contexts": ["ci"]}, "enforce_admins": True,
        "required_pull_request_reviews": None, "restrictions": None}, answer=None)
    assert ("body.required_status_checks.contexts", "deprecated") in {(v.field, v.message) for v in found}


def test_a_field_of_one_branch_of_a_oneof_is_checked_against_that_branch(api):
    """A ruleset's rules are a oneOf, each rule with its own `parameters`: one rule's documented
    parameter passes, a parameter no rule documents is a violation."""
    def ruleset(parameters):
        return violations(api, "POST", "/repos/acme/widgets/rulesets", status=422, answer={"message": "x"}, body={
            "name": "tags", "enforcement": "active", "rules": [{"type": "deletion"},
                                                               {"type": "update", "parameters": parameters}]})
    assert [v for v in ruleset({"update_allows_fetch_and_merge": False}) if v.field.startswith("body.rules")] == []
    found = ruleset({"update_allows_fetch_and_merge": False, "no_such_parameter": True})
    assert ("body.rules[].parameters.no_such_parameter", "not a documented field") in {
        (v.field, v.message) for v in found}


def test_a_wrong_answer_type_is_a_violation_and_a_right_one_passes(api):
    good = {"total_count": 1, "variables": [{"name": "A", "value": "1", "created_at": "2024-01-01T00:00:00Z",
                                              "updated_at": "2024-01-01T00:00:00Z"}]}
    assert violations(api, "GET", VARIABLES, answer=good) == []
    bad = {"total_count": "1", "variables": [{**good["variables"][0], "value": 1}]}
    found = violations(api, "GET", VARIABLES, answer=bad)
    assert {(v.field, v.message) for v in found} == {
        ("answer.total_count", "'1' is not of type 'integer' (type)"),
        ("answer.variables[].value", "1 is not of type 'string' (type)")}
    missing = {"total_count": 1, "variables": [{"name": "A"}]}
    assert {v.field for v in violations(api, "GET", VARIABLES, answer=missing)} == {"answer.variables[]"}


def test_an_undocumented_success_status_is_a_violation(api):
    found = violations(api, "GET", VARIABLES, status=201, answer={})
    assert [(v.field, v.message) for v in found] == [("status", "201 is not a documented answer")]


def test_known_violations_are_allowed_by_operation_and_field():
    entry = {"operation": "made/up", "field": "query.per_page", "reason": "r", "finding": "f"}
    check.KNOWN.append(entry)
    try:
        assert check.known(Violation("made/up GET /x", "query.per_page", "m")) is entry
        assert check.known(Violation("made/up GET /x", "query.page", "m")) is None
    finally:
        check.KNOWN.remove(entry)


def test_operations_used_are_in_the_pinned_description(api):
    ops = {op.name for candidates in api.by_shape.values() for _, op in candidates}
    used = check.used_operations()
    assert used, "tests/contract/operations_used.json is missing or empty"
    assert used <= ops, sorted(used - ops)


def test_known_violations_say_why_and_where():
    for entry in check.KNOWN:
        assert set(entry) == {"operation", "field", "reason", "finding"} and all(entry.values()), entry


def test_refresh_names_what_changed(tmp_path):
    from tests.contract.openapi import OpenApi
    from tests.contract.refresh import changes

    def description(per_page_max, params, required):
        op = {"operationId": "x/list", "parameters": [
            {"name": name, "in": "query", "description": f"(max {per_page_max})" if name == "per_page" else "",
             "schema": {"type": "integer"}} for name in params],
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "required": required, "properties": {"a": {"type": "string"}}}}}},
            "responses": {"200": {"description": "ok"}}}
        path = tmp_path / f"d{per_page_max}{len(params)}.json"
        path.write_text(json.dumps({"openapi": "3.0.3", "paths": {"/x/{id}": {"post": op}, "/gone": {"get": op}}}))
        return OpenApi(path)

    old = description(100, ["per_page", "page"], [])
    new = description(30, ["per_page", "since"], ["a"])
    del new.by_shape[("get", 1)]
    assert changes(old, new, ["x/list POST /x/{id}", "x/list GET /gone"]) == {
        "x/list POST /x/{id}": ["query parameter removed: page", "query parameter added: since",
                                "query.per_page: maximum 100 -> 30", "body.a: now required"],
        "x/list GET /gone": ["operation removed"]}
