"""The organization's projects (Projects v2, GraphQL): one file per project,
`projects/<number>.json`, with its fields (options, iterations) and every item
with its content and field values.

Change detection: `project_marks` gives number -> updatedAt for every project (one
query per 100 projects); the part's mark is that map as JSON (`marks_text`), so the
stage calls `back_up_projects` when `marks_text(project_marks(...))` differs from the
mark it kept.  A backup fetches only the projects whose saved file is missing or holds
another updatedAt.  Files of projects deleted on GitHub are kept.

A token without `read:project` (a classic token) gets INSUFFICIENT_SCOPES with
`organization.projectsV2 = null`: the part is skipped with that reason.
"""

from __future__ import annotations

import json
from pathlib import Path

from orgbackup.github.api import GitHubError, GraphQLError
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.cache.safe_names import is_item_number
from orgbackup.backup.parts.common import NOT_PERMITTED_TYPES, PartOutcome

PART = "projects"
PROJECTS_PAGE = 100
ITEMS_PAGE = 100
VALUES_PER_ITEM = 50  # GitHub allows 50 fields per project, so 50 values hold them all

MARKS_QUERY = """
query($login: String!, $after: String) {
  organization(login: $login) {
    projectsV2(first: %d, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { number updatedAt }
    }
  }
}
""" % PROJECTS_PAGE

FIELD_NAME = "field { ... on ProjectV2FieldCommon { name } }"

# A page of items: 100 items x 50 field values = 5,100 nodes at most (GitHub's limit is
# 500,000 per query); its cost, as GitHub computes it (requests needed to fill every
# connection / 100, rounded, at least 1): fields 1 + items 1 + 100 fieldValues = 1 point
# of the 5,000 an hour.
ITEMS_SELECTION = """
items(first: %d, after: $after) {
  totalCount
  pageInfo { hasNextPage endCursor }
  nodes {
    id type isArchived createdAt updatedAt
    content {
      __typename
      ... on DraftIssue { title body }
      ... on Issue { number title url repository { nameWithOwner } }
      ... on PullRequest { number title url repository { nameWithOwner } }
    }
    fieldValues(first: %d) {
      totalCount
      pageInfo { hasNextPage }
      nodes {
        __typename
        ... on ProjectV2ItemFieldTextValue { text %s }
        ... on ProjectV2ItemFieldNumberValue { number %s }
        ... on ProjectV2ItemFieldDateValue { date %s }
        ... on ProjectV2ItemFieldSingleSelectValue { name optionId %s }
        ... on ProjectV2ItemFieldIterationValue { title iterationId startDate duration %s }
      }
    }
  }
}
""" % ((ITEMS_PAGE, VALUES_PER_ITEM) + (FIELD_NAME,) * 5)

FIELDS_SELECTION = """
fields(first: 100) {
  totalCount
  nodes {
    __typename
    ... on ProjectV2Field { id name dataType }
    ... on ProjectV2SingleSelectField { id name dataType options { id name color description } }
    ... on ProjectV2IterationField {
      id name dataType
      configuration { duration startDay iterations { id title startDate duration } }
    }
  }
}
"""

# The first page: the project, its fields and 100 items; then further pages of items only.
PROJECT_QUERY = """
query($login: String!, $number: Int!, $after: String) {
  organization(login: $login) {
    projectV2(number: $number) {
      id number title shortDescription readme public closed url createdAt updatedAt
      %s
      %s
    }
  }
}
""" % (FIELDS_SELECTION, ITEMS_SELECTION)

ITEMS_QUERY = """
query($login: String!, $number: Int!, $after: String) {
  organization(login: $login) {
    projectV2(number: $number) {
      %s
    }
  }
}
""" % ITEMS_SELECTION

# GitHub's value type -> the key the saved file uses for its value.
VALUE_KEYS = {
    "ProjectV2ItemFieldTextValue": "text",
    "ProjectV2ItemFieldNumberValue": "number",
    "ProjectV2ItemFieldDateValue": "date",
    "ProjectV2ItemFieldSingleSelectValue": "name",
    "ProjectV2ItemFieldIterationValue": "title",
}
VALUE_EXTRAS = ("optionId", "iterationId", "startDate", "duration")


# ------------------------------------------------------------------ marks


def marks_text(marks: dict[int, str]) -> str:
    """The part's mark: {number: updatedAt} as JSON (keys sorted, so equal maps give equal text)."""
    return json.dumps({str(number): updated for number, updated in marks.items()}, sort_keys=True)


def parse_marks(mark: str | None) -> dict[int, str]:
    """{number: updatedAt} of a mark; {} for none or one not of this form."""
    try:
        data = json.loads(mark) if mark else {}
        return {int(number): str(updated) for number, updated in data.items()}
    except (ValueError, TypeError, AttributeError):
        return {}


def list_projects(api, org: str) -> tuple[dict[int, str], int]:
    """({number: updatedAt}, totalCount); GitHubError / GraphQLError as GitHub answered."""
    marks: dict[int, str] = {}
    total = 0
    after = None
    while True:
        data = api.graphql(MARKS_QUERY, {"login": org, "after": after})
        connection = (data.get("organization") or {}).get("projectsV2")
        if connection is None:
            raise GraphQLError([{"type": "NOT_FOUND", "message": f"no projects of {org} in the answer"}], data)
        total = connection.get("totalCount", 0)
        for node in connection.get("nodes") or []:
            if node:
                marks[node["number"]] = node["updatedAt"]
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            return marks, total
        after = page["endCursor"]


def project_marks(ctx, org: str) -> dict[int, str] | None:
    """Project number -> updatedAt; None when the token may not see the projects
    (back_up_projects records the reason). Raises GitHubError for other failures."""
    try:
        return list_projects(ctx.api, org)[0]
    except GraphQLError as exc:
        if exc.types & NOT_PERMITTED_TYPES:
            return None
        raise


# ------------------------------------------------------------------ shaping


def field_record(node: dict) -> dict | None:
    if not node or "name" not in node:
        return None  # a field type the query has no fragment for
    record = {"id": node.get("id"), "name": node["name"], "dataType": node.get("dataType")}
    if "options" in node:
        record["options"] = [{k: o.get(k) for k in ("id", "name", "color", "description")}
                             for o in node["options"] or []]
    if "configuration" in node:
        record["configuration"] = node["configuration"]
    return record


def content_record(node: dict | None) -> dict | None:
    if not node:
        return None  # REDACTED: the token may not see what the item points at
    kind = node.get("__typename")
    if kind == "DraftIssue":
        return {"type": kind, "title": node.get("title"), "body": node.get("body")}
    return {"type": kind, "number": node.get("number"), "title": node.get("title"), "url": node.get("url"),
            "repository": (node.get("repository") or {}).get("nameWithOwner")}


def value_record(node: dict) -> dict | None:
    """{"field": name, <text|number|date|name|title>: value} (+ option / iteration ids);
    None for a value type the query has no fragment for (GitHub then sends only __typename)."""
    key = VALUE_KEYS.get(node.get("__typename")) if node else None
    if key is None:
        return None
    record = {"field": (node.get("field") or {}).get("name"), key: node.get(key)}
    record.update({k: node[k] for k in VALUE_EXTRAS if k in node})
    return record


def item_record(node: dict) -> dict:
    values = node.get("fieldValues") or {}
    return {
        "id": node["id"], "type": node.get("type"), "isArchived": node.get("isArchived"),
        "createdAt": node.get("createdAt"), "updatedAt": node.get("updatedAt"),
        "content": content_record(node.get("content")),
        "fieldValues": [v for v in (value_record(n) for n in values.get("nodes") or []) if v],
    }


def project_record(node: dict, items: list[dict], items_total: int) -> dict:
    fields = node.get("fields") or {}
    record = {k: node.get(k) for k in ("number", "title", "shortDescription", "readme", "public", "closed",
                                       "url", "createdAt", "updatedAt")}
    record["fields"] = [f for f in (field_record(n) for n in fields.get("nodes") or []) if f]
    record["items"] = items
    record["itemsTotalCount"] = items_total
    record["fieldsTotalCount"] = fields.get("totalCount", len(record["fields"]))
    return record


# ------------------------------------------------------------------ fetching


def fetch_project(api, org: str, number: int, outcome: PartOutcome) -> dict | None:
    """The saved-file shape of one project with every item; None if it is gone."""
    project = None
    items: list[dict] = []
    total = 0
    after = None
    while True:
        query = PROJECT_QUERY if project is None else ITEMS_QUERY
        data = api.graphql(query, {"login": org, "number": number, "after": after})
        node = (data.get("organization") or {}).get("projectV2")
        if node is None:
            return None
        project = project or node
        connection = node.get("items") or {}
        total = connection.get("totalCount", 0)
        for item in connection.get("nodes") or []:
            if not item:
                continue
            if ((item.get("fieldValues") or {}).get("pageInfo") or {}).get("hasNextPage"):
                outcome.problem(f"project {number}: item {item['id']} has more than {VALUES_PER_ITEM} field values")
            items.append(item_record(item))
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            break
        after = page["endCursor"]
    return project_record(project, items, total)


def saved_project(folder: Path, number: int) -> dict | None:
    try:
        return json.loads((folder / f"{number}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def back_up_projects(ctx, org: str, folder: Path, mark: str | None, *, full: bool = False) -> PartOutcome:
    """Save the organization's new and changed projects into `folder` (CACHE/<ORG>/projects).

    A project is fetched when its file is missing, unreadable or holds another updatedAt
    than GitHub lists (a file is written whole, so its updatedAt says what it holds);
    `full` fetches every project again.  `mark` (the previous outcome's mark) is not
    needed for that and only taken for the stage's uniform call.  Never raises for
    GitHub's answers: refusals are `skipped`, other failures `problems`."""
    folder = Path(folder)
    outcome = PartOutcome(PART, org, None)
    try:
        marks_now, total = list_projects(ctx.api, org)
    except GitHubError as exc:
        outcome.refused_or_failed(exc, "listing")
        return outcome

    held = {}
    fetched = 0
    for number in [n for n in marks_now if not is_item_number(n)]:  # it names the file
        outcome.problem(f"project numbered {number!r} in GitHub's answer is no number: not saved")
        del marks_now[number]
    for number, updated in sorted(marks_now.items()):
        record = saved_project(folder, number)
        if full or record is None or record.get("updatedAt") != updated:
            try:
                fresh = fetch_project(ctx.api, org, number, outcome)
            except GitHubError as exc:
                outcome.problem(f"project {number} could not be fetched: {exc}")
                fresh = None
            else:
                if fresh is None:
                    outcome.problem(f"project {number} vanished while it was backed up")
                else:
                    write_json_atomically(folder / f"{number}.json", fresh)
                    fetched += 1
            record = fresh or record
        if record is not None:
            held[number] = record
    outcome.count("fetched", fetched)  # what this run asked for (not compared)
    outcome.count("projects", len(held), total)
    for record in held.values():
        outcome.count("items", len(record.get("items") or []), record.get("itemsTotalCount"))
        outcome.count("fields", len(record.get("fields") or []), record.get("fieldsTotalCount"))
    if not outcome.problems:
        outcome.mark = marks_text(marks_now)
    return outcome
