"""The emulator's GraphQL mutations (tests/github_emulator/graphql_mutations.py) over HTTPS, with
GitHub's rules: categories pre-exist (GitHub's defaults when discussions are first turned on), a
discussion takes the next number of the issue sequence, replies under a top-level comment, the
answer only in an answerable category, labels of the discussion's repository only, errors in
GitHub's shape, the content-creation limit."""

from __future__ import annotations

import requests

from tests.github_emulator.graphql_mutations import DEFAULT_CATEGORIES
from tests.github_emulator.builder import ORG
from tests.support.emulator_client import TARGET

REPO = """query($o: String!, $n: String!) { repository(owner: $o, name: $n) { id hasDiscussionsEnabled
  discussionCategories(first: 20) { nodes { id name slug isAnswerable } } } }"""
ENABLE = """mutation($id: ID!) { updateRepository(input: {repositoryId: $id, hasDiscussionsEnabled: true}) {
  repository { hasDiscussionsEnabled } } }"""
CREATE = """mutation($r: ID!, $c: ID!, $t: String!, $b: String!) {
  createDiscussion(input: {repositoryId: $r, categoryId: $c, title: $t, body: $b}) { discussion { id number } } }"""
COMMENT = """mutation($d: ID!, $b: String!, $to: ID) {
  addDiscussionComment(input: {discussionId: $d, body: $b, replyToId: $to}) { comment { id replyTo { id } } } }"""
ANSWER = "mutation($id: ID!) { markDiscussionCommentAsAnswer(input: {id: $id}) { discussion { answer { id } } } }"
CLOSE = "mutation($id: ID!) { closeDiscussion(input: {discussionId: $id}) { discussion { closed } } }"
LOCK = "mutation($id: ID!) { lockLockable(input: {lockableId: $id}) { lockedRecord { locked } } }"
LABEL = """mutation($d: ID!, $l: [ID!]!) { addLabelsToLabelable(input: {labelableId: $d, labelIds: $l}) {
  labelable { __typename labels(first: 10) { nodes { id name } } } } }"""
READ = """query($o: String!, $n: String!, $k: Int!) { repository(owner: $o, name: $n) { discussion(number: $k) {
  title closed locked category { name } answer { body }
  comments(first: 10) { nodes { body replies(first: 10) { nodes { body } } } } } } }"""


def ask(em, token, query, **variables):
    response = requests.post(f"{em.api_url}/graphql", json={"query": query, "variables": variables},
                             headers={"Authorization": f"token {token}"}, timeout=30)
    return response


def data(em, query, **variables):
    answer = ask(em, em.admin_token, query, **variables)
    assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
    return answer.json()["data"]


def test_discussions_are_made_as_github_makes_them(github_emulator, target):
    em, admin = github_emulator, target
    repo = data(em, REPO, o=TARGET, n="assets")["repository"]
    assert repo["hasDiscussionsEnabled"] is False and repo["discussionCategories"]["nodes"] == []
    assert data(em, ENABLE, id=repo["id"])["updateRepository"]["repository"]["hasDiscussionsEnabled"] is True
    categories = data(em, REPO, o=TARGET, n="assets")["repository"]["discussionCategories"]["nodes"]
    assert [c["name"] for c in categories] == [name for name, *_ in DEFAULT_CATEGORIES]
    qa = next(c for c in categories if c["slug"] == "q-a")
    general = next(c for c in categories if c["slug"] == "general")
    assert qa["isAnswerable"] and not general["isAnswerable"]

    # One number sequence with the issues.
    assert admin.ok("POST", f"/repos/{TARGET}/assets/issues", json={"title": "first"})["number"] == 1
    made = data(em, CREATE, r=repo["id"], c=qa["id"], t="How?", b="Tell me.")["createDiscussion"]["discussion"]
    assert made["number"] == 2
    assert admin.ok("POST", f"/repos/{TARGET}/assets/issues", json={"title": "third"})["number"] == 3

    first = data(em, COMMENT, d=made["id"], b="Which one?")["addDiscussionComment"]["comment"]
    reply = data(em, COMMENT, d=made["id"], b="This one.", to=first["id"])["addDiscussionComment"]["comment"]
    assert reply["replyTo"]["id"] == first["id"] and first["replyTo"] is None
    nested = ask(em, em.admin_token, COMMENT, d=made["id"], b="x", to=reply["id"]).json()
    assert nested["data"]["addDiscussionComment"] is None and nested["errors"][0]["type"] == "UNPROCESSABLE"
    assert data(em, ANSWER, id=first["id"])["markDiscussionCommentAsAnswer"]["discussion"]["answer"]["id"] == first["id"]
    assert data(em, CLOSE, id=made["id"])["closeDiscussion"]["discussion"]["closed"] is True
    assert data(em, LOCK, id=made["id"])["lockLockable"]["lockedRecord"]["locked"] is True
    read = data(em, READ, o=TARGET, n="assets", k=2)["repository"]["discussion"]
    assert read == {"title": "How?", "closed": True, "locked": True, "category": {"name": "Q&A"},
                    "answer": {"body": "Which one?"},
                    "comments": {"nodes": [{"body": "Which one?", "replies": {"nodes": [{"body": "This one."}]}}]}}

    # GitHub's refusals, in its error shape: no answer outside an answerable category, no such
    # category, no write for a reader.
    other = data(em, CREATE, r=repo["id"], c=general["id"], t="Chat", b="Hi")["createDiscussion"]["discussion"]
    comment = data(em, COMMENT, d=other["id"], b="Hello")["addDiscussionComment"]["comment"]
    refused = ask(em, em.admin_token, ANSWER, id=comment["id"]).json()
    assert refused["data"] == {"markDiscussionCommentAsAnswer": None}
    assert refused["errors"][0]["type"] == "UNPROCESSABLE" and refused["errors"][0]["path"] == [
        "markDiscussionCommentAsAnswer"]
    missing = ask(em, em.admin_token, CREATE, r=repo["id"], c="DIC_nope", t="t", b="b").json()
    assert missing["errors"][0]["type"] == "NOT_FOUND" and "DIC_nope" in missing["errors"][0]["message"]
    reader = ask(em, em.reader_token, CREATE, r=repo["id"], c=qa["id"], t="t", b="b").json()
    assert reader["errors"][0]["type"] == "FORBIDDEN"
    assert em.counters(all=True)["content_created"] >= 9


def test_mutations_count_against_the_content_creation_limit(github_emulator, target):
    em = github_emulator
    repo = data(em, REPO, o=TARGET, n="assets")["repository"]
    em.set_faults(content_creation_per_minute=2)
    assert ask(em, em.admin_token, ENABLE, id=repo["id"]).status_code == 200
    qa = next(c for c in data(em, REPO, o=TARGET, n="assets")["repository"]["discussionCategories"]["nodes"]
              if c["slug"] == "q-a")
    assert ask(em, em.admin_token, CREATE, r=repo["id"], c=qa["id"], t="one", b="b").status_code == 200
    limited = ask(em, em.admin_token, CREATE, r=repo["id"], c=qa["id"], t="two", b="b")
    assert limited.status_code == 403 and "secondary rate limit" in limited.json()["message"]
    assert int(limited.headers["Retry-After"]) >= 1
    assert data(em, REPO, o=TARGET, n="assets")["repository"]["id"] == repo["id"]  # queries are not limited
    em.set_faults()
    assert ask(em, em.admin_token, CREATE, r=repo["id"], c=qa["id"], t="two", b="b").status_code == 200


def test_labels_are_added_to_a_discussion_as_github_adds_them(github_emulator, target):
    em, admin = github_emulator, target
    repo = data(em, REPO, o=TARGET, n="assets")["repository"]
    data(em, ENABLE, id=repo["id"])
    general = next(c for c in data(em, REPO, o=TARGET, n="assets")["repository"]["discussionCategories"]["nodes"]
                   if c["slug"] == "general")
    made = data(em, CREATE, r=repo["id"], c=general["id"], t="Labelled", b="b")["createDiscussion"]["discussion"]
    labels = {label["name"]: label["node_id"] for label in admin.ok("GET", f"/repos/{TARGET}/assets/labels")}
    assert {"bug", "question"} <= set(labels)  # GitHub's defaults of a new repository

    added = data(em, LABEL, d=made["id"], l=[labels["question"], labels["bug"]])["addLabelsToLabelable"]["labelable"]
    assert added == {"__typename": "Discussion", "labels": {"nodes": [
        {"id": labels["question"], "name": "question"}, {"id": labels["bug"], "name": "bug"}]}}
    again = data(em, LABEL, d=made["id"], l=[labels["bug"]])["addLabelsToLabelable"]["labelable"]
    assert again == added  # one it has already is kept once
    read = data(em, READ.replace("title ", "title labels(first: 10) { nodes { name } } "), o=TARGET, n="assets",
                k=made["number"])["repository"]["discussion"]
    assert read["labels"] == {"nodes": [{"name": "question"}, {"name": "bug"}]}

    # A label of another repository, a label or a discussion that does not exist: refused, nothing added.
    foreign = admin.ok("GET", f"/repos/{ORG}/godot/labels")[0]["node_id"]
    refused = ask(em, em.admin_token, LABEL, d=made["id"], l=[labels["invalid"], foreign]).json()
    assert refused["data"] == {"addLabelsToLabelable": None}
    assert refused["errors"][0]["type"] == "UNPROCESSABLE" and refused["errors"][0]["path"] == ["addLabelsToLabelable"]
    for labelable, label in ((made["id"], "LA_nope"), ("D_nope", labels["bug"])):
        missing = ask(em, em.admin_token, LABEL, d=labelable, l=[label]).json()
        assert missing["errors"][0]["type"] == "NOT_FOUND" and "_nope" in missing["errors"][0]["message"]
    reader = ask(em, em.reader_token, LABEL, d=made["id"], l=[labels["invalid"]]).json()
    assert reader["errors"][0]["type"] == "FORBIDDEN"
    read = data(em, READ.replace("title ", "title labels(first: 10) { nodes { name } } "), o=TARGET, n="assets",
                k=made["number"])["repository"]["discussion"]
    assert read["labels"] == {"nodes": [{"name": "question"}, {"name": "bug"}]}
