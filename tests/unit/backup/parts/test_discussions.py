"""The GraphQL parts' queries and the discussions part (orgbackup/backup/parts/discussions.py),
pure: every query (discussions' and projects') valid against the emulator's subset of GitHub's
schema and costing one point, the marks' query and marks, a discussion node's file shape."""

from __future__ import annotations

import json

from graphql import build_schema, parse, validate

from orgbackup.backup.parts import discussions as disc
from orgbackup.backup.parts import projects as proj
from tests.github_emulator.graphql_schema import SDL
from tests.support.run_context import ORG


SCHEMA = build_schema(SDL)


def valid(query: str, schema=SCHEMA) -> list[str]:
    return [e.message for e in validate(schema, parse(query))]


def test_every_query_is_valid_against_githubs_schema_subset():
    for query in (disc.LIST_QUERY, disc.DISCUSSION_QUERY, proj.MARKS_QUERY, proj.PROJECT_QUERY,
                  proj.ITEMS_QUERY, disc.marks_query(["a", "b"])[0]):
        assert valid(query) == []
    assert valid(disc.REPLIES_QUERY) == []  # further replies: GitHub's node(id:) lookup


def test_every_query_costs_one_point_and_stays_far_below_the_node_limit():
    """As the emulator prices them (GitHub's documented rule), before anything runs."""
    from tests.github_emulator import graphql_api

    marks, names = disc.marks_query([f"repo-{k}" for k in range(disc.MARK_BATCH)])
    asked = [(marks, dict(names, o=ORG)),
             (disc.LIST_QUERY, {"o": ORG, "n": "godot", "first": disc.PAGE, "after": None}),
             (disc.DISCUSSION_QUERY, {"o": ORG, "n": "godot", "number": 1, "after": None}),
             (proj.MARKS_QUERY, {"login": ORG, "after": None}),
             (proj.PROJECT_QUERY, {"login": ORG, "number": 1, "after": None}),
             (proj.ITEMS_QUERY, {"login": ORG, "number": 1, "after": None})]
    for query, variables in asked:
        prepared = graphql_api.prepare(json.dumps({"query": query, "variables": variables}).encode())
        assert prepared.answer is None  # no error answer: it may run
        assert prepared.cost == 1 and prepared.node_count <= 6000


def test_marks_query_asks_each_repository_under_an_alias_with_its_name_as_a_variable():
    query, variables = disc.marks_query(["godot", 'we"ird', "docs"])
    assert variables == {"n0": "godot", "n1": 'we"ird', "n2": "docs"}
    assert "godot" not in query and "weird" not in query and 'we"ird' not in query
    assert "query($o: String!, $n0: String!, $n1: String!, $n2: String!)" in query
    for i in range(3):
        assert f"r{i}: repository(owner: $o, name: $n{i})" in query
    assert query.count("orderBy: {field: UPDATED_AT, direction: DESC}") == 3


def test_mark_is_total_and_newest_update_and_parses_back():
    connection = {"totalCount": 4, "nodes": [{"updatedAt": "2024-02-01T00:00:00Z"}]}
    assert disc.mark_of(connection) == "4:2024-02-01T00:00:00Z"
    assert disc.mark_of({"totalCount": 0, "nodes": []}) == "0:"
    assert disc.parse_mark("4:2024-02-01T00:00:00Z") == (4, "2024-02-01T00:00:00Z")
    assert disc.parse_mark("0:") == (0, None)
    assert disc.parse_mark(None) is None
    assert disc.parse_mark("garbage") is None
    assert disc.parse_mark("x:2024") is None


def test_discussion_node_becomes_the_designs_file_shape():
    reply = {"id": "DC_2", "databaseId": 2, "body": "gcc", "author": None,
             "createdAt": "t2", "updatedAt": "t2"}
    comment = dict(reply, id="DC_1", databaseId=1, body="Which compiler?", author={"login": "alice"},
                   isAnswer=True)
    node = {"id": "D_7", "number": 7, "title": "Build?", "body": "fails", "url": "https://h/o/r/discussions/7",
            "author": {"login": "bob"}, "createdAt": "t0", "updatedAt": "t3", "closed": False, "locked": True,
            "category": {"name": "Q&A", "slug": "q-a", "emoji": ":pray:", "description": "Ask", "isAnswerable": True},
            "answer": {"id": "DC_1"}, "answerChosenAt": "t4",
            "labels": {"totalCount": 1, "nodes": [{"name": "bug"}]}}
    record = disc.discussion_record(node, [disc.comment_record(comment, [reply], 1)], 1)
    assert record == {
        "id": "D_7", "number": 7, "title": "Build?", "body": "fails", "url": "https://h/o/r/discussions/7", "author": "bob",
        "createdAt": "t0", "updatedAt": "t3", "closed": False, "locked": True,
        "category": {"name": "Q&A", "slug": "q-a", "emoji": ":pray:", "description": "Ask", "isAnswerable": True},
        "answer": {"id": "DC_1"}, "answerChosenAt": "t4", "labels": ["bug"],
        "comments": [{"id": "DC_1", "databaseId": 1, "body": "Which compiler?", "author": "alice",
                      "createdAt": "t2", "updatedAt": "t2", "isAnswer": True, "repliesTotalCount": 1,
                      "replies": [{"id": "DC_2", "databaseId": 2, "body": "gcc", "author": None,
                                   "createdAt": "t2", "updatedAt": "t2"}]}],
        "commentsTotalCount": 1}
    assert disc.discussion_record(dict(node, answer=None, author=None), [], 0)["answer"] is None
