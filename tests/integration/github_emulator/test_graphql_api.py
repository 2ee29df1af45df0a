"""The emulator's GraphQL requests (tests/github_emulator/graphql_api.py) over real HTTPS POSTs:
the cost and the budget, GitHub's limits (nodes, `first`), not found, a token needed, validation,
the Enterprise path and the faults, variables of the wrong type."""

from __future__ import annotations

import pytest

import requests

from tests.github_emulator.builder import ORG
from tests.support.graphql_world import REPO, data, post


COSTLY = """{ repository(owner: "%s", name: "%s") { discussions(first: 100) { nodes {
  comments(first: 100) { nodes { replies(first: 40) { totalCount } } } } } }
  rateLimit { cost limit remaining used nodeCount resetAt } }""" % (ORG, REPO)


def test_rate_limit_cost_and_remaining(em):
    first = post(em, "{ rateLimit { cost limit remaining used nodeCount resetAt } }")
    assert first.headers["X-RateLimit-Resource"] == "graphql"
    rate = data(first)["rateLimit"]
    assert rate["cost"] == 1 and rate["limit"] == 5000 and rate["used"] == 1 and rate["remaining"] == 4999
    assert rate["nodeCount"] == 0 and rate["resetAt"].endswith("Z")
    assert first.headers["X-RateLimit-Remaining"] == "4999"
    # 1 + 100 + 100*100 requests to fill the connections: 10101 / 100 -> 101 points
    second = post(em, COSTLY)
    rate = data(second)["rateLimit"]
    assert rate["cost"] == 101 and rate["remaining"] == 4999 - 101 and rate["used"] == 102
    assert rate["nodeCount"] == 100 + 100 * 100 + 100 * 100 * 40
    assert second.headers["X-RateLimit-Remaining"] == str(4999 - 101)
    # the REST core budget is separate
    core = requests.get(em.api_url + "/rate_limit", headers={"Authorization": f"token {em.admin_token}"},
                        timeout=30)
    assert core.json()["resources"]["core"]["used"] == 0
    # another identity has its own graphql budget
    assert data(post(em, "{ rateLimit { remaining } }", token="reader"))["rateLimit"]["remaining"] == 4999


@pytest.mark.contract_exempt("sends documents GitHub refuses, to see the emulator refuse them")
def test_too_many_nodes_first_over_100_and_missing_first(em):
    over = post(em, '{ repository(owner: "%s", name: "%s") { discussions(first: 101) { totalCount } } }'
                % (ORG, REPO), path="/api/graphql")
    assert over.status_code == 200
    body = over.json()
    assert "data" not in body
    assert body["errors"][0]["type"] == "EXCESSIVE_PAGINATION"
    assert body["errors"][0]["message"] == ("Requesting 101 records on the `discussions` connection exceeds "
                                            "the `first` limit of 100 records.")
    variables = post(em, 'query($n: Int) { repository(owner: "%s", name: "%s") { discussions(first: $n) '
                         '{ totalCount } } }' % (ORG, REPO), {"n": 101}).json()
    assert variables["errors"][0]["type"] == "EXCESSIVE_PAGINATION"
    for size in (0, -1):  # GitHub documents 1..100: a count asked with `first: 0` is refused too
        below = post(em, 'query($n: Int) { repository(owner: "%s", name: "%s") { discussions(first: $n) '
                         '{ totalCount } } }' % (ORG, REPO), {"n": size}).json()
        assert "data" not in below and below["errors"][0]["message"] == (
            f"`first` on the `discussions` connection must be between 1 and 100, not {size}.")
    missing = post(em, '{ repository(owner: "%s", name: "%s") { discussions { totalCount } } }'
                   % (ORG, REPO)).json()
    assert missing["errors"][0]["message"] == ("You must provide a `first` or `last` value to properly paginate "
                                               "the `discussions` connection.")
    nodes = post(em, COSTLY.replace("first: 40", "first: 60")).json()
    assert nodes["errors"][0]["type"] == "MAX_NODE_LIMIT_EXCEEDED" and "data" not in nodes


def test_not_found_repository_and_organization(em):
    body = post(em, '{ repository(owner: "%s", name: "nope") { name } organization(login: "no-org") { login } }'
                % ORG).json()
    assert body["data"] == {"repository": None, "organization": None}
    assert body["errors"] == [
        {"type": "NOT_FOUND", "path": ["repository"], "locations": [{"line": 1, "column": 3}],
         "message": f"Could not resolve to a Repository with the name '{ORG}/nope'."},
        {"type": "NOT_FOUND", "path": ["organization"], "locations": [{"line": 1, "column": 55}],
         "message": "Could not resolve to an Organization with the login of 'no-org'."}]
    missing = post(em, '{ repository(owner: "%s", name: "%s") { discussion(number: 9999) { title } } }'
                   % (ORG, REPO)).json()
    assert missing["data"] == {"repository": {"discussion": None}}
    assert missing["errors"][0]["type"] == "NOT_FOUND"
    assert missing["errors"][0]["path"] == ["repository", "discussion"]


def test_graphql_needs_a_valid_token(em):
    for token in (None, "not-a-valid-token"):
        response = post(em, "{ viewer { login } }", token=token)
        assert response.status_code == 401
        assert response.json()["message"] == "Bad credentials"
    assert data(post(em, "{ viewer { login } }"))["viewer"]["login"] == "emulator-admin"
    assert em.counters()["graphql"] == 3


@pytest.mark.contract_exempt("sends documents GitHub refuses, to see the emulator refuse them")
def test_a_query_that_fails_validation(em):
    response = post(em, '{ repository(owner: "%s", name: "%s") { noSuchField } }' % (ORG, REPO))
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body
    assert "noSuchField" in body["errors"][0]["message"] and body["errors"][0]["locations"]
    syntax = post(em, "{ repository(owner: ").json()
    assert "data" not in syntax and syntax["errors"][0]["message"].startswith("Syntax Error")
    bad_cursor = post(em, '{ repository(owner: "%s", name: "%s") { discussions(first: 1, after: "xyz") '
                          '{ totalCount } } }' % (ORG, REPO)).json()
    assert bad_cursor["errors"][0]["type"] == "INVALID_CURSOR_ARGUMENTS"


def test_enterprise_path_and_faults(em):
    query = '{ repository(owner: "%s", name: "%s") { nameWithOwner } }' % (ORG, REPO)
    assert data(post(em, query, path="/api/graphql"))["repository"]["nameWithOwner"] == f"{ORG}/{REPO}"
    em.set_faults(api_502_fraction=1.0)
    assert post(em, query).status_code == 502
    em.set_faults(secondary_rate_limit=5)
    limited = post(em, query)
    assert limited.status_code == 403 and "secondary rate limit" in limited.json()["message"]
    assert int(limited.headers["Retry-After"]) >= 1
    em.set_faults(rate_limit_exhausted=5)
    exhausted = post(em, query)  # GitHub answers GraphQL's spent budget with HTTP 200 and an error
    assert exhausted.status_code == 200 and exhausted.headers["X-RateLimit-Remaining"] == "0"
    assert exhausted.headers["X-RateLimit-Resource"] == "graphql"
    assert exhausted.json()["errors"][0]["type"] == "RATE_LIMITED" and "data" not in exhausted.json()
    em.set_faults(rate_limit_exhausted=5, graphql_rate_limit_form="RATE_LIMIT")  # GitHub's form from January 2026
    other = post(em, query)
    assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "0" and "data" not in other.json()
    assert other.json()["errors"][0]["type"] == "RATE_LIMIT"
    assert other.json()["errors"][0]["code"] == "graphql_rate_limit"
    assert other.json()["errors"][0]["message"].startswith("API rate limit already exceeded for user ID ")
    for status in ("403", "429"):
        em.set_faults(rate_limit_exhausted=5, graphql_rate_limit_form=status)
        refused = post(em, query)
        assert refused.status_code == int(status) and refused.headers["X-RateLimit-Remaining"] == "0"
    em.set_faults()
    assert data(post(em, query))["repository"]["nameWithOwner"] == f"{ORG}/{REPO}"
    assert em.counters()["graphql"] == em.counters()["api"] == 8


@pytest.mark.contract_exempt("sends documents GitHub refuses, to see the emulator refuse them")
def test_variables_of_the_wrong_type_are_an_error_not_a_crash(em):
    body = post(em, 'query($n: Int) { repository(owner: "%s", name: "%s") { discussions(first: $n) '
                    '{ totalCount } } }' % (ORG, REPO), {"n": "many"}).json()
    assert "data" not in body or body["data"] is None
    assert "$n" in body["errors"][0]["message"]
    broken = requests.post(em.base_url + "/graphql", data=b"{not json",
                           headers={"Authorization": f"bearer {em.admin_token}"}, timeout=30)
    assert broken.status_code == 400 and broken.json()["message"] == "Problems parsing JSON"
