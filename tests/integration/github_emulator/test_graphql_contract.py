"""The emulator's answers to every document the product sends (tests/contract/product_graphql.py),
over real HTTPS, fit GitHub's schema (tests/contract/graphql.py): with the GraphQL tests' discussions
and projects, repositories found and not found, a comment's replies by node id, the reader token
without read:project, and next pages by the cursors the first pages gave."""

from __future__ import annotations

import pytest

from tests.contract import product_graphql
from tests.contract.graphql import violations
from tests.github_emulator.builder import ORG
from tests.support.graphql_world import FIRST_DISCUSSION, REPO, data, post

SENT = product_graphql.documents()
PROJECT_IDS = ("ownerId", "projectId", "fieldId", "itemId", "contentId")


def project_ids(em, sent: product_graphql.Sent) -> dict:
    """The ids a restore's project mutation names, of the world's: the organization, project 1, its
    Status field (options given) or its Notes field (a text value), its first item, godot #1."""
    q = product_graphql.restore_projects
    project = data(post(em, q.TARGET_PROJECT, {"login": ORG, "number": 1}))["organization"]["projectV2"]
    items = data(post(em, q.TARGET_ITEMS, {"login": ORG, "number": 1, "after": None}))["organization"]["projectV2"]
    fields = {f["name"]: f["id"] for f in project["fields"]["nodes"]}
    ids = {"ownerId": data(post(em, q.OWNER_QUERY, {"login": ORG}))["organization"]["id"],
           "projectId": project["id"], "itemId": items["items"]["nodes"][0]["id"],
           "fieldId": fields["Status" if "singleSelectOptions" in sent.variables else "Notes"],
           "contentId": data(post(em, q.CONTENT_QUERY, {"o": ORG, "n": REPO, "number": 1}))[
               "repository"]["issueOrPullRequest"]["id"]}
    return {k: v for k, v in ids.items() if k in sent.variables}


def realistic(sent: product_graphql.Sent, em) -> dict:
    """The document's variables with the names, numbers and ids the emulator's world holds."""
    variables = dict(sent.variables)
    if "o" in variables:
        variables["o"] = ORG
    if "login" in variables:
        variables["login"] = ORG
    if "n" in variables:
        variables["n"] = REPO
    if "number" in variables and "discussion" in sent.name:
        variables["number"] = FIRST_DISCUSSION
    names = sorted(k for k in variables if k[:1] == "n" and k[1:].isdigit())
    for key, name in zip(names, [REPO, "game", "docs", "no-such-repository"]):
        variables[key] = name
    if "id" in variables:  # a comment's node id, as the discussion query answers it
        discussion = post(em, product_graphql.discussions.DISCUSSION_QUERY,
                          {"o": ORG, "n": REPO, "number": FIRST_DISCUSSION, "after": None}).json()
        variables["id"] = discussion["data"]["repository"]["discussion"]["comments"]["nodes"][-1]["id"]
        if "after" in sent.variables:  # the replies' query pages; the restore's mutations do not
            variables["after"] = None
    if set(PROJECT_IDS) & set(variables):
        variables.update(project_ids(em, sent))
    if variables.get("after"):  # a next page: the cursor the first page gave
        first = post(em, sent.document, dict(variables, after=None)).json()["data"]
        connection = next(iter(_connections(first)), {})
        variables["after"] = (connection.get("pageInfo") or {}).get("endCursor")
    return variables


def _connections(value):
    if isinstance(value, dict):
        if "pageInfo" in value:
            yield value
        for item in value.values():
            yield from _connections(item)


@pytest.mark.parametrize("sent", SENT, ids=[s.name for s in SENT])
def test_the_emulators_answer_to_each_product_document_fits_githubs_schema(em, sent):
    variables = realistic(sent, em)
    for token in ("admin", "reader"):
        response = post(em, sent.document, variables, token=token)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert violations(sent.document, variables, answer) == [], (token, answer)
        if token == "admin":
            assert answer.get("data") and not [e for e in answer.get("errors") or ()
                                               if e.get("type") != "NOT_FOUND"], answer
            if set(PROJECT_IDS) & set(variables):  # a project mutation on the world's own: made
                assert "errors" not in answer, answer
