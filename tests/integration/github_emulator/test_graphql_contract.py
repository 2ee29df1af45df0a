"""The emulator's answers to every document the product sends (tests/contract/product_graphql.py),
over real HTTPS, fit GitHub's schema (tests/contract/graphql.py): with the GraphQL tests' discussions
and projects, repositories found and not found, a comment's replies by node id, the reader token
without read:project, next pages by the cursors the first pages gave, and each restore mutation
given ids of the kind it takes (a repository's, a category's, a discussion's, a comment's, labels'),
so that its answer is a success, checked field by field; and the check finds a wrong answer."""

from __future__ import annotations

import pytest
from graphql import parse
from graphql.language import ArgumentNode, ObjectFieldNode, VariableNode, Visitor, visit

from tests.contract import product_graphql
from tests.contract.graphql import path_text, violations
from tests.github_emulator.builder import ORG
from tests.support.graphql_world import FIRST_DISCUSSION, REPO, data, post

SENT = product_graphql.documents()
MUTATIONS = [s for s in SENT if s.document.lstrip().startswith("mutation")]

# The kind of node id each argument or input field of the product's documents takes.
ID_KINDS = {"repositoryId": "repository", "categoryId": "category", "discussionId": "discussion",
            "lockableId": "discussion", "labelableId": "discussion", "replyToId": "comment",
            "id": "comment", "labelIds": "labels"}  # `id`: markDiscussionCommentAsAnswer's, node(id:)'s

WORLD_IDS = """query($o: String!, $n: String!, $k: Int!) { repository(owner: $o, name: $n) {
  id discussionCategories(first: 10) { nodes { id } } labels(first: 2) { nodes { id } }
  discussion(number: $k) { id comments(first: 10) { nodes { id } } } } }"""


def passed_to(document: str) -> dict[str, str]:
    """Variable name -> the argument or input field the document passes it to."""
    found: dict[str, str] = {}

    class Arguments(Visitor):
        def enter(self, node, *_):
            if isinstance(node, (ArgumentNode, ObjectFieldNode)) and isinstance(node.value, VariableNode):
                found[node.value.name.value] = node.name.value
    visit(parse(document), Arguments())
    return found


def world_ids(em) -> dict:
    """A node id of each kind in the GraphQL tests' world: godot, its first category, two of its labels,
    its first discussion and that discussion's last top-level comment (in an answerable category)."""
    repo = data(post(em, WORLD_IDS, {"o": ORG, "n": REPO, "k": FIRST_DISCUSSION}))["repository"]
    return {"repository": repo["id"], "category": repo["discussionCategories"]["nodes"][0]["id"],
            "labels": [label["id"] for label in repo["labels"]["nodes"]],
            "discussion": repo["discussion"]["id"], "comment": repo["discussion"]["comments"]["nodes"][-1]["id"]}


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
    ids = {name: ID_KINDS[argument] for name, argument in passed_to(sent.document).items()
           if name in variables and argument in ID_KINDS}
    if ids:
        found = world_ids(em)
        variables.update({name: found[kind] for name, kind in ids.items()})
        if "after" in sent.variables:  # the replies' query pages by a comment's id; the restore's mutations do not
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
        if token == "admin" and sent in MUTATIONS:  # made: the payload checked, not an error's null
            assert "errors" not in answer and all(answer["data"].values()), answer
        elif token == "admin":
            assert answer.get("data") and not [e for e in answer.get("errors") or ()
                                               if e.get("type") != "NOT_FOUND"], answer


def leaves(value, path=()):
    """The path of every value in an answer that is neither an object nor a list nor null."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, path + (index,))
    elif value is not None:
        yield path


def replaced(value, path: tuple, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


@pytest.mark.parametrize("sent", MUTATIONS, ids=[s.name for s in MUTATIONS])
def test_a_wrong_value_anywhere_in_a_mutations_answer_is_found(em, sent):
    """Each field of the emulator's success answer, given a value of another type, is a violation
    (a string a number, a number or a boolean a string): the success answers above are checked
    field by field, not only their error shape."""
    variables = realistic(sent, em)
    answer = data(post(em, sent.document, variables))
    paths = list(leaves(answer))
    assert paths and all(len(path) >= 2 for path in paths), answer  # the payload's fields, not a null
    for path in paths:
        old = answer
        for step in path:
            old = old[step]
        wrong = 12345 if isinstance(old, str) else "12345"
        found = violations(sent.document, variables, {"data": replaced(answer, path, wrong)})
        assert found and found[0].startswith(path_text(("data",) + path) + ":"), (path, found)
