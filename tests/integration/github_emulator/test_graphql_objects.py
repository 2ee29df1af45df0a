"""The emulator's GraphQL objects (tests/github_emulator/graphql_objects.py) over real HTTPS POSTs:
discussions paged and ordered, with their comments, replies, answer, labels and category;
categories and filters; 25 repositories in one query; projects with their fields, items and
values, and the read:project scope the reader lacks. The discussions and projects are the tests'
own (tests/support/graphql_world.py, fixture `em`)."""

from __future__ import annotations

import json

from tests.github_emulator.builder import ORG
from tests.support.graphql_world import (DISCUSSIONS, FIRST_DISCUSSION, REPO, UPDATED_DAYS, data, day_time, post)


PAGE = """query($owner: String!, $name: String!, $after: String, $order: DiscussionOrder!) {
  repository(owner: $owner, name: $name) {
    hasDiscussionsEnabled
    discussions(first: 3, after: $after, orderBy: $order) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { number updatedAt createdAt }
    }
  }
}"""


def _all_pages(em, order: dict) -> list:
    numbers, after, pages = [], None, 0
    while True:
        repo = data(post(em, PAGE, {"owner": ORG, "name": REPO, "after": after, "order": order}))["repository"]
        assert repo["hasDiscussionsEnabled"] is True
        connection = repo["discussions"]
        assert connection["totalCount"] == DISCUSSIONS
        numbers += [n["number"] for n in connection["nodes"]]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            return numbers, pages
        after = connection["pageInfo"]["endCursor"]


def test_discussions_paginate_to_the_end_newest_update_first(em):
    numbers, pages = _all_pages(em, {"field": "UPDATED_AT", "direction": "DESC"})
    by_update = sorted(range(DISCUSSIONS), key=lambda i: UPDATED_DAYS[i], reverse=True)
    assert numbers == [FIRST_DISCUSSION + i for i in by_update]
    assert pages == 3
    # each POST counts once as "api" and once as "graphql"
    assert em.counters()["api"] == em.counters()["graphql"] == 3


def test_discussions_order_by_created_at_and_the_default_order(em):
    numbers, _ = _all_pages(em, {"field": "CREATED_AT", "direction": "ASC"})
    assert numbers == [FIRST_DISCUSSION + i for i in range(DISCUSSIONS)]
    default = data(post(em, f'{{ repository(owner: "{ORG}", name: "{REPO}") '
                            '{ discussions(first: 100) { nodes { number } } } }'))
    updated = data(post(em, f'{{ repository(owner: "{ORG}", name: "{REPO}") '
                            '{ discussions(first: 100, orderBy: {field: UPDATED_AT, direction: DESC}) '
                            '{ nodes { number } } } }'))
    assert default == updated  # GitHub's default order: UPDATED_AT DESC


def test_a_discussion_with_its_comments_replies_answer_labels_and_category(em):
    query = """query($number: Int!) { repository(owner: "%s", name: "%s") { discussion(number: $number) {
      id databaseId number title body url closed locked upvoteCount createdAt updatedAt answerChosenAt
      author { login }
      category { id name slug emoji description isAnswerable }
      answer { id body isAnswer }
      labels(first: 10) { totalCount nodes { name color } }
      comments(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes {
        id databaseId body author { login } createdAt updatedAt isAnswer url
        replies(first: 10) { totalCount nodes { id databaseId body author { login } replyTo { id } } } } } } } }
    """ % (ORG, REPO)
    d = data(post(em, query, {"number": FIRST_DISCUSSION}))["repository"]["discussion"]
    assert d["number"] == FIRST_DISCUSSION and d["databaseId"] == 7000 and d["id"]
    attachment = f"{em.base_url}/user-attachments/assets/uuid-{FIRST_DISCUSSION}"
    assert d["body"] == f"Body of {FIRST_DISCUSSION} ![shot]({attachment})"  # {{WEB}} replaced
    assert d["url"] == f"{em.base_url}/{ORG}/{REPO}/discussions/{FIRST_DISCUSSION}"
    assert d["author"] == {"login": "alice"}
    assert d["category"]["slug"] == "q-a" and d["category"]["isAnswerable"] is True
    assert d["category"]["emoji"] == ":pray:"
    assert d["labels"]["totalCount"] == 2
    assert [n["name"] for n in d["labels"]["nodes"]] == ["bug", "documentation"]
    assert d["labels"]["nodes"][0]["color"] == "d73a4a"  # the repository's label record
    comments = d["comments"]
    assert comments["totalCount"] == 3 and comments["pageInfo"]["hasNextPage"] is True
    assert [c["body"] for c in comments["nodes"]] == [f"comment {k} on {FIRST_DISCUSSION}" for k in (0, 1)]
    second = comments["nodes"][1]
    assert d["answer"] == {"id": second["id"], "body": second["body"], "isAnswer": True}
    assert [c["isAnswer"] for c in comments["nodes"]] == [False, True]
    assert d["answerChosenAt"] == day_time(15)
    assert second["replies"]["totalCount"] == 1
    reply = second["replies"]["nodes"][0]
    assert reply["body"] == f"reply 0 to comment 1 on {FIRST_DISCUSSION}"
    assert reply["replyTo"] == {"id": second["id"]}
    assert reply["author"] == {"login": "alice"} and reply["databaseId"] == 9500 + 3
    # the rest of the comments from the cursor
    rest = data(post(em, """query($after: String) { repository(owner: "%s", name: "%s") {
        discussion(number: %d) { comments(first: 10, after: $after) { totalCount nodes { body replies(first: 5) {
        totalCount nodes { body } } } pageInfo { hasNextPage } } } } }""" % (ORG, REPO, FIRST_DISCUSSION),
        {"after": comments["pageInfo"]["endCursor"]}))["repository"]["discussion"]["comments"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert [c["body"] for c in rest["nodes"]] == [f"comment 2 on {FIRST_DISCUSSION}"]
    assert rest["nodes"][0]["replies"]["totalCount"] == 2
    other = data(post(em, '{ repository(owner: "%s", name: "%s") { discussion(number: %d) '
                          '{ closed locked answer { id } answerChosenAt category { slug } } } }'
                 % (ORG, REPO, FIRST_DISCUSSION + 3)))["repository"]["discussion"]
    assert other == {"closed": True, "locked": False, "answer": None, "answerChosenAt": None,
                     "category": {"slug": "general"}}


def test_discussion_categories_and_filters(em):
    repo = data(post(em, '{ repository(owner: "%s", name: "%s") { discussionCategories(first: 10) '
                         '{ totalCount nodes { id name slug isAnswerable } } } }' % (ORG, REPO)))["repository"]
    categories = repo["discussionCategories"]
    assert categories["totalCount"] == 2
    qa = next(c for c in categories["nodes"] if c["slug"] == "q-a")
    found = data(post(em, 'query($c: ID) { repository(owner: "%s", name: "%s") { all: discussions(first: 10) '
                          '{ totalCount } qa: discussions(first: 10, categoryId: $c) { totalCount } '
                          'answered: discussions(first: 10, answered: true) { nodes { number } } } }' % (ORG, REPO),
                      {"c": qa["id"]}))["repository"]
    assert found["all"]["totalCount"] == DISCUSSIONS and found["qa"]["totalCount"] == 4
    assert found["answered"]["nodes"] == [{"number": FIRST_DISCUSSION}]


def test_a_repository_without_discussions(em):
    repo = data(post(em, '{ repository(owner: "%s", name: "docs") { nameWithOwner hasDiscussionsEnabled '
                         'discussions(first: 10) { totalCount nodes { number } pageInfo { hasNextPage endCursor } } } }'
                     % ORG))["repository"]
    assert repo == {"nameWithOwner": f"{ORG}/docs", "hasDiscussionsEnabled": False,
                    "discussions": {"totalCount": 0, "nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}


def test_25_repositories_in_one_query_with_aliases(em):
    names = sorted(json.loads((em.root / "world.json").read_text())["orgs"][ORG]["repos"])
    wanted = [names[i % len(names)] for i in range(24)] + ["no-such-repository"]
    parts = [f'r{i}: repository(owner: "{ORG}", name: "{name}") {{ ...Mark }}' for i, name in enumerate(wanted)]
    query = ("query { %s rateLimit { cost } }\n"
             "fragment Mark on Repository { name discussions(first: 1) { totalCount nodes { updatedAt } } }"
             % "\n".join(parts))
    response = post(em, query)
    assert response.status_code == 200
    body = response.json()
    for i, name in enumerate(wanted[:24]):
        assert body["data"][f"r{i}"]["name"] == name
    godot = body["data"][f"r{wanted.index(REPO)}"]["discussions"]
    assert godot["totalCount"] == DISCUSSIONS and godot["nodes"] == [{"updatedAt": day_time(9, 12)}]
    assert body["data"]["r24"] is None
    [error] = body["errors"]
    assert error["type"] == "NOT_FOUND" and error["path"] == ["r24"] and error["locations"]
    assert error["message"] == f"Could not resolve to a Repository with the name '{ORG}/no-such-repository'."
    assert body["data"]["rateLimit"]["cost"] == 1


PROJECTS = """query($org: String!) { organization(login: $org) {
  login
  projectsV2(first: 10) { totalCount nodes {
    number title shortDescription readme public closed url createdAt updatedAt creator { login }
    fields(first: 20) { totalCount nodes {
      __typename
      ... on ProjectV2FieldCommon { id name dataType }
      ... on ProjectV2SingleSelectField { options { id name color description } }
      ... on ProjectV2IterationField { configuration { duration startDay iterations { id title startDate duration } } } } }
    items(first: 20) { totalCount nodes {
      id type isArchived createdAt updatedAt
      content {
        __typename
        ... on DraftIssue { title body creator { login } }
        ... on Issue { number title url repository { nameWithOwner } }
        ... on PullRequest { number title url repository { nameWithOwner } } }
      fieldValues(first: 20) { totalCount nodes {
        __typename
        ... on ProjectV2ItemFieldTextValue { text field { ...FieldName } }
        ... on ProjectV2ItemFieldNumberValue { number field { ...FieldName } }
        ... on ProjectV2ItemFieldDateValue { date field { ...FieldName } }
        ... on ProjectV2ItemFieldSingleSelectValue { name optionId field { ...FieldName } }
        ... on ProjectV2ItemFieldIterationValue { title iterationId startDate duration field { ...FieldName } } } } } } } } } }
fragment FieldName on ProjectV2FieldConfiguration { ... on ProjectV2FieldCommon { name } }
"""


def _values(item: dict) -> dict:
    out = {}
    for v in item["fieldValues"]["nodes"]:
        name = v["field"]["name"]
        out[name] = {k: x for k, x in v.items() if k not in ("field", "__typename")}
    return out


def test_projects_with_fields_items_and_field_values(em):
    org = data(post(em, PROJECTS, {"org": ORG}))["organization"]
    assert org["login"] == ORG
    projects = org["projectsV2"]
    assert projects["totalCount"] == 2
    assert [p["number"] for p in projects["nodes"]] == [2, 1]  # GitHub's default: NUMBER DESC
    roadmap = projects["nodes"][1]
    assert roadmap["url"] == f"{em.base_url}/orgs/{ORG}/projects/1"
    assert roadmap["creator"] == {"login": "alice"} and roadmap["public"] is True and roadmap["closed"] is False
    fields = {f["name"]: f for f in roadmap["fields"]["nodes"]}
    assert roadmap["fields"]["totalCount"] == 6
    assert {n: (f["__typename"], f["dataType"]) for n, f in fields.items()} == {
        "Title": ("ProjectV2Field", "TITLE"), "Notes": ("ProjectV2Field", "TEXT"),
        "Estimate": ("ProjectV2Field", "NUMBER"), "Due": ("ProjectV2Field", "DATE"),
        "Status": ("ProjectV2SingleSelectField", "SINGLE_SELECT"),
        "Sprint": ("ProjectV2IterationField", "ITERATION")}
    assert [o["name"] for o in fields["Status"]["options"]] == ["Todo", "Done"]
    assert fields["Status"]["options"][0] == {"id": "f75ad846", "name": "Todo", "color": "GRAY",
                                              "description": "not started"}
    assert fields["Sprint"]["configuration"]["iterations"][1] == {
        "id": "it-2", "title": "Sprint 2", "startDate": "2024-03-18", "duration": 14}
    items = roadmap["items"]["nodes"]
    assert roadmap["items"]["totalCount"] == 3
    assert [i["type"] for i in items] == ["ISSUE", "PULL_REQUEST", "DRAFT_ISSUE"]
    issue, pull, draft = items
    assert issue["content"]["__typename"] == "Issue" and issue["content"]["number"] == 1
    assert issue["content"]["url"] == f"{em.base_url}/{ORG}/{REPO}/issues/1"
    assert issue["content"]["repository"] == {"nameWithOwner": f"{ORG}/{REPO}"}
    assert pull["content"]["__typename"] == "PullRequest" and pull["content"]["url"].endswith("/pull/3")
    assert pull["isArchived"] is True
    assert draft["content"] == {"__typename": "DraftIssue", "title": "A draft",
                                "body": f"draft body {em.base_url}/x", "creator": {"login": "alice"}}
    values = _values(issue)
    assert values == {"Title": {"text": issue["content"]["title"]}, "Notes": {"text": "first notes"},
                      "Estimate": {"number": 3.5}, "Due": {"date": "2024-04-01"},
                      "Status": {"name": "Todo", "optionId": "f75ad846"},
                      "Sprint": {"title": "Sprint 1", "iterationId": "it-1", "startDate": "2024-03-04", "duration": 14}}
    assert _values(pull) == {"Title": {"text": pull["content"]["title"]},
                             "Status": {"name": "Done", "optionId": "47fc9ee4"}}
    assert _values(draft)["Title"] == {"text": "A draft"}
    assert _values(draft)["Sprint"]["title"] == "Sprint 2"
    assert issue["fieldValues"]["totalCount"] == 6
    # one project by number; an unknown number
    one = data(post(em, '{ organization(login: "%s") { projectV2(number: 1) { title items(first: 1) '
                        '{ pageInfo { hasNextPage } } } } }' % ORG.lower()))
    assert one["organization"]["projectV2"] == {"title": "Roadmap", "items": {"pageInfo": {"hasNextPage": True}}}
    missing = post(em, '{ organization(login: "%s") { projectV2(number: 99) { title } } }' % ORG).json()
    assert missing["data"] == {"organization": {"projectV2": None}}
    assert missing["errors"][0]["type"] == "NOT_FOUND"


def test_projects_need_read_project_scope_the_reader_lacks(em):
    response = post(em, '{ organization(login: "%s") { login projectsV2(first: 10) { totalCount } } '
                        'repository(owner: "%s", name: "private-tools") { isPrivate discussions(first: 1) '
                        '{ totalCount } } }' % (ORG, ORG), token="reader")
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["organization"] == {"login": ORG, "projectsV2": None}
    assert body["data"]["repository"] == {"isPrivate": True, "discussions": {"totalCount": 0}}  # reader reads private
    [error] = body["errors"]
    assert error["type"] == "INSUFFICIENT_SCOPES" and error["path"] == ["organization", "projectsV2"]
    assert "read:project" in error["message"]
    # discussions are readable with the reader token
    assert data(post(em, '{ repository(owner: "%s", name: "%s") { discussions(first: 1) { totalCount } } }'
                     % (ORG, REPO), token="reader"))["repository"]["discussions"]["totalCount"] == DISCUSSIONS
