"""Tests of the GitHub emulator's GraphQL endpoint (tests/github_emulator/graphql_api.py):
real HTTPS POSTs against a started emulator. Each test adds its own discussions, categories
and projects to the copied world (the records documented in the design), so the tests do not
depend on what the default world holds."""
from __future__ import annotations

import json

import pytest
import requests

from tests.github_emulator.builder import ORG

REPO = "godot"
FIRST_DISCUSSION = 500
DISCUSSIONS = 7
# updatedAt order differs from the creation (number) order on purpose
UPDATED_DAYS = [3, 9, 1, 7, 5, 2, 8]


def _time(day: int, hour: int = 0) -> str:
    return f"2024-03-{day:02d}T{hour:02d}:00:00Z"


def _discussion(i: int) -> dict:
    number = FIRST_DISCUSSION + i
    comments = [{"id": 9000 + 10 * i + k, "body": f"comment {k} on {number}", "author": "bob",
                 "createdAt": _time(10 + k), "updatedAt": _time(10 + k),
                 "replies": [{"id": 9500 + 10 * i + k * 3 + r, "body": f"reply {r} to comment {k} on {number}",
                              "author": "alice", "createdAt": _time(20 + r), "updatedAt": _time(20 + r)}
                             for r in range(k)]}
                for k in range(3)]
    return {"id": 7000 + i, "number": number, "title": f"Discussion {number}",
            "body": f"Body of {number} ![shot]({{{{WEB}}}}/user-attachments/assets/uuid-{number})",
            "author": "alice", "category": "q-a" if i % 2 == 0 else "general",
            "createdAt": _time(1 + i), "updatedAt": _time(UPDATED_DAYS[i], 12), "closed": i == 3, "locked": i == 4,
            "labels": ["bug", "documentation"] if i == 0 else [],
            "answer": comments[1]["id"] if i == 0 else None, "answerChosenAt": _time(15) if i == 0 else None,
            "comments": comments}


def _projects() -> list:
    fields = [
        {"id": 1, "name": "Title", "dataType": "TITLE"},
        {"id": 2, "name": "Notes", "dataType": "TEXT"},
        {"id": 3, "name": "Estimate", "dataType": "NUMBER"},
        {"id": 4, "name": "Due", "dataType": "DATE"},
        {"id": 5, "name": "Status", "dataType": "SINGLE_SELECT",
         "options": [{"id": "f75ad846", "name": "Todo", "color": "GRAY", "description": "not started"},
                     {"id": "47fc9ee4", "name": "Done", "color": "GREEN", "description": ""}]},
        {"id": 6, "name": "Sprint", "dataType": "ITERATION",
         "configuration": {"duration": 14, "startDay": 1,
                           "iterations": [{"id": "it-1", "title": "Sprint 1", "startDate": "2024-03-04", "duration": 14},
                                          {"id": "it-2", "title": "Sprint 2", "startDate": "2024-03-18", "duration": 14}]}},
    ]
    items = [
        {"id": 101, "type": "ISSUE", "isArchived": False, "createdAt": _time(2), "updatedAt": _time(3),
         "content": {"repo": REPO, "number": 1},
         "values": {"2": "first notes", "3": 3.5, "4": "2024-04-01", "5": "f75ad846", "6": "it-1"}},
        {"id": 102, "type": "PULL_REQUEST", "isArchived": True, "createdAt": _time(4), "updatedAt": _time(5),
         "content": {"repo": REPO, "number": 3}, "values": {"5": "47fc9ee4"}},
        {"id": 103, "type": "DRAFT_ISSUE", "isArchived": False, "createdAt": _time(6), "updatedAt": _time(7),
         "content": {"title": "A draft", "body": "draft body {{WEB}}/x", "creator": "alice"}, "values": {"6": "it-2"}},
    ]
    return [
        {"id": 1, "number": 1, "title": "Roadmap", "shortDescription": "what comes next",
         "readme": "# Roadmap", "public": True, "closed": False, "createdAt": _time(1), "updatedAt": _time(8),
         "creator": "alice", "fields": fields, "items": items},
        {"id": 2, "number": 2, "title": "Archive", "shortDescription": None, "readme": None, "public": False,
         "closed": True, "createdAt": _time(2), "updatedAt": _time(2), "creator": "bob",
         "fields": fields[:1], "items": []},
    ]


@pytest.fixture
def em(github_emulator, world_root):
    """The running emulator, its world with this file's discussions and projects."""
    path = world_root / "world.json"
    world = json.loads(path.read_text())
    repo = world["orgs"][ORG]["repos"][REPO]
    repo.setdefault("settings", {})["has_discussions"] = True
    repo["discussion_categories"] = [
        {"id": 61, "name": "General", "slug": "general", "emoji": ":speech_balloon:",
         "description": "Chat", "isAnswerable": False},
        {"id": 62, "name": "Q&A", "slug": "q-a", "emoji": ":pray:", "description": "Ask", "isAnswerable": True}]
    repo["discussions"] = [_discussion(i) for i in range(DISCUSSIONS)]
    world["orgs"][ORG]["projects"] = _projects()
    path.write_text(json.dumps(world))
    github_emulator.reset_counters()
    return github_emulator


def post(em, query: str, variables: dict | None = None, *, token: str | None = "admin",
         path: str = "/graphql") -> requests.Response:
    headers = {}
    if token == "admin":
        headers["Authorization"] = f"bearer {em.admin_token}"
    elif token == "reader":
        headers["Authorization"] = f"token {em.reader_token}"
    elif token:
        headers["Authorization"] = f"bearer {token}"
    return requests.post(em.base_url + path, json={"query": query, "variables": variables or {}},
                         headers=headers, timeout=30)


def data(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


# ---------------------------------------------------------------------- discussions

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
    assert d["answerChosenAt"] == _time(15)
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
    assert godot["totalCount"] == DISCUSSIONS and godot["nodes"] == [{"updatedAt": _time(9, 12)}]
    assert body["data"]["r24"] is None
    [error] = body["errors"]
    assert error["type"] == "NOT_FOUND" and error["path"] == ["r24"] and error["locations"]
    assert error["message"] == f"Could not resolve to a Repository with the name '{ORG}/no-such-repository'."
    assert body["data"]["rateLimit"]["cost"] == 1


# ---------------------------------------------------------------------- projects

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


# ---------------------------------------------------------------------- rate limit

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
    missing = post(em, '{ repository(owner: "%s", name: "%s") { discussions { totalCount } } }'
                   % (ORG, REPO)).json()
    assert missing["errors"][0]["message"] == ("You must provide a `first` or `last` value to properly paginate "
                                               "the `discussions` connection.")
    nodes = post(em, COSTLY.replace("first: 40", "first: 60")).json()
    assert nodes["errors"][0]["type"] == "MAX_NODE_LIMIT_EXCEEDED" and "data" not in nodes


# ---------------------------------------------------------------------- errors and auth


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
    em.set_faults()
    assert data(post(em, query))["repository"]["nameWithOwner"] == f"{ORG}/{REPO}"
    assert em.counters()["graphql"] == em.counters()["api"] == 5


def test_variables_of_the_wrong_type_are_an_error_not_a_crash(em):
    body = post(em, 'query($n: Int) { repository(owner: "%s", name: "%s") { discussions(first: $n) '
                    '{ totalCount } } }' % (ORG, REPO), {"n": "many"}).json()
    assert "data" not in body or body["data"] is None
    assert "$n" in body["errors"][0]["message"]
    broken = requests.post(em.base_url + "/graphql", data=b"{not json",
                           headers={"Authorization": f"bearer {em.admin_token}"}, timeout=30)
    assert broken.status_code == 400 and broken.json()["message"] == "Problems parsing JSON"
