"""The pure parts of restore-to-github's discussions: the category a discussion goes into, the
provenance header, the planned writes, the answer, the labels' ids, a body found by its marker."""

from __future__ import annotations

from orgbackup.actions.restore_to_github import bodies
from orgbackup.actions.restore_to_github.discussions import (answer_id, author_of, category_for, comment_header,
                                                              discussion_header, find_marked_node, label_ids,
                                                              planned_discussion_writes)

TARGET = [{"id": "DIC_1", "name": "General", "slug": "general"},
          {"id": "DIC_2", "name": "Q&A", "slug": "q-a"},
          {"id": "DIC_3", "name": "Show and tell", "slug": "show-and-tell"}]


def test_a_category_is_found_by_name_whatever_its_case_then_by_slug():
    assert category_for({"name": "q&a", "slug": "questions"}, TARGET)["id"] == "DIC_2"
    assert category_for({"name": "GENERAL", "slug": "q-a"}, TARGET)["id"] == "DIC_1"  # the name first
    assert category_for({"name": "Show & Tell", "slug": "show-and-tell"}, TARGET)["id"] == "DIC_3"
    assert category_for({"name": "Proposals", "slug": "proposals"}, TARGET) is None
    assert category_for({}, TARGET) is None and category_for(None, TARGET) is None
    assert category_for({"name": "", "slug": ""}, [{"id": "x", "name": "", "slug": ""}]) is None


DISCUSSION = {"id": "D_1", "number": 131, "title": "How do I build?", "body": "scons fails", "author": "bob",
              "createdAt": "2024-03-01T10:20:30Z", "category": {"name": "Q&A", "slug": "q-a"},
              "closed": True, "locked": False, "answer": {"id": "DC_3"}, "labels": ["bug", "Docs"],
              "comments": [{"id": "DC_1", "body": "Which compiler?", "author": "alice", "isAnswer": False,
                            "createdAt": "2024-03-01T11:00:00Z",
                            "replies": [{"id": "DC_2", "body": "gcc", "author": None}]},
                           {"id": "DC_3", "body": "Install it.", "author": "carol", "isAnswer": True, "replies": []}]}


def test_the_header_names_the_author_date_category_and_origin():
    header = discussion_header(DISCUSSION, "V-Sekai", "godot")
    assert header == ("*@bob started discussion #131 in Q&A on 2024-03-01 10:20 UTC "
                      "(restored from a backup of V-Sekai/godot)*")
    assert comment_header(DISCUSSION["comments"][0], False) == "*@alice commented on 2024-03-01 11:00 UTC*"
    assert comment_header(DISCUSSION["comments"][0]["replies"][0], True) == "*@ghost replied on an unknown date*"
    assert author_of({"author": {"login": "dave"}}) == "dave" and author_of({}) == "ghost"
    body = bodies.with_header("discussion", DISCUSSION["id"], header, DISCUSSION["body"])
    assert body.startswith("<!-- orgbackup:discussion:D_1 --> *@bob")
    assert bodies.strip_provenance(body) == "scons fails"


def test_the_planned_writes_count_every_discussion_comment_reply_and_state():
    locked = dict(DISCUSSION, number=132, closed=False, locked=True, answer=None, labels=[],
                  comments=[dict(DISCUSSION["comments"][1], isAnswer=False)])
    planned = planned_discussion_writes([DISCUSSION, locked], {})
    assert planned == {"discussion_settings": 1, "discussions": 2, "discussion_comments": 3, "discussion_replies": 1,
                       "answers": 1, "discussion_labels": 1, "discussion_closings": 1, "discussion_locks": 1}
    assert planned_discussion_writes([], {"has_discussions": True}) == {"discussion_settings": 1}
    assert planned_discussion_writes([], {"has_discussions": False}) == {}


def test_the_answer_is_the_answers_id_or_the_comment_marked_so():
    assert answer_id(DISCUSSION) == "DC_3"
    assert answer_id(dict(DISCUSSION, answer=None)) == "DC_3"  # isAnswer
    assert answer_id(dict(DISCUSSION, answer=None, comments=[])) is None


def test_labels_are_the_targets_of_the_same_name_whatever_its_case():
    target = [{"name": "bug", "node_id": "LA_1"}, {"name": "docs", "node_id": "LA_2"},
              {"name": "wontfix", "node_id": "LA_3"}]
    assert label_ids(DISCUSSION["labels"], target) == (["LA_1", "LA_2"], [])
    assert label_ids(["Bug", "Proposal", "wontfix"], target) == (["LA_1", "LA_3"], ["Proposal"])
    assert label_ids(["bug"], []) == ([], ["bug"])


def test_a_created_body_is_found_by_its_marker_only():
    nodes = [None, {"id": "x", "body": "someone's own"},
             {"id": "y", "body": bodies.marker("discussion-comment", "DC_10") + " *@a commented*"},
             {"id": "z", "body": bodies.marker("discussion-comment", "DC_1") + " *@a commented*"}]
    assert find_marked_node(nodes, "discussion-comment", "DC_1")["id"] == "z"
    assert find_marked_node(nodes, "discussion-reply", "DC_1") is None
