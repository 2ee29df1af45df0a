"""The GraphQL tests' own world (tests/integration/github_emulator/test_graphql_*.py): discussions,
categories and projects added to the copied world (the records documented in the design), so the
tests do not depend on what the default world holds; and HTTPS POSTs of a query."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from tests.github_emulator.builder import ORG


REPO = "godot"
FIRST_DISCUSSION = 500
DISCUSSIONS = 7
# updatedAt order differs from the creation (number) order on purpose
UPDATED_DAYS = [3, 9, 1, 7, 5, 2, 8]


def day_time(day: int, hour: int = 0) -> str:
    return f"2024-03-{day:02d}T{hour:02d}:00:00Z"


def discussion_record(i: int) -> dict:
    number = FIRST_DISCUSSION + i
    comments = [{"id": 9000 + 10 * i + k, "body": f"comment {k} on {number}", "author": "bob",
                 "createdAt": day_time(10 + k), "updatedAt": day_time(10 + k),
                 "replies": [{"id": 9500 + 10 * i + k * 3 + r, "body": f"reply {r} to comment {k} on {number}",
                              "author": "alice", "createdAt": day_time(20 + r), "updatedAt": day_time(20 + r)}
                             for r in range(k)]}
                for k in range(3)]
    return {"id": 7000 + i, "number": number, "title": f"Discussion {number}",
            "body": f"Body of {number} ![shot]({{{{WEB}}}}/user-attachments/assets/uuid-{number})",
            "author": "alice", "category": "q-a" if i % 2 == 0 else "general",
            "createdAt": day_time(1 + i), "updatedAt": day_time(UPDATED_DAYS[i], 12), "closed": i == 3, "locked": i == 4,
            "labels": ["bug", "documentation"] if i == 0 else [],
            "answer": comments[1]["id"] if i == 0 else None, "answerChosenAt": day_time(15) if i == 0 else None,
            "comments": comments}


def project_records() -> list:
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
        {"id": 101, "type": "ISSUE", "isArchived": False, "createdAt": day_time(2), "updatedAt": day_time(3),
         "content": {"repo": REPO, "number": 1},
         "values": {"2": "first notes", "3": 3.5, "4": "2024-04-01", "5": "f75ad846", "6": "it-1"}},
        {"id": 102, "type": "PULL_REQUEST", "isArchived": True, "createdAt": day_time(4), "updatedAt": day_time(5),
         "content": {"repo": REPO, "number": 3}, "values": {"5": "47fc9ee4"}},
        {"id": 103, "type": "DRAFT_ISSUE", "isArchived": False, "createdAt": day_time(6), "updatedAt": day_time(7),
         "content": {"title": "A draft", "body": "draft body {{WEB}}/x", "creator": "alice"}, "values": {"6": "it-2"}},
    ]
    return [
        {"id": 1, "number": 1, "title": "Roadmap", "shortDescription": "what comes next",
         "readme": "# Roadmap", "public": True, "closed": False, "createdAt": day_time(1), "updatedAt": day_time(8),
         "creator": "alice", "fields": fields, "items": items},
        {"id": 2, "number": 2, "title": "Archive", "shortDescription": None, "readme": None, "public": False,
         "closed": True, "createdAt": day_time(2), "updatedAt": day_time(2), "creator": "bob",
         "fields": fields[:1], "items": []},
    ]


def add_discussions_and_projects(world_root: Path) -> None:
    """godot's discussions (DISCUSSIONS of them, numbered from FIRST_DISCUSSION) and categories, and the
    organization's projects, in the world at world_root (a running emulator serves them at once)."""
    path = world_root / "world.json"
    world = json.loads(path.read_text())
    repo = world["orgs"][ORG]["repos"][REPO]
    repo.setdefault("settings", {})["has_discussions"] = True
    repo["discussion_categories"] = [
        {"id": 61, "name": "General", "slug": "general", "emoji": ":speech_balloon:",
         "description": "Chat", "isAnswerable": False},
        {"id": 62, "name": "Q&A", "slug": "q-a", "emoji": ":pray:", "description": "Ask", "isAnswerable": True}]
    repo["discussions"] = [discussion_record(i) for i in range(DISCUSSIONS)]
    world["orgs"][ORG]["projects"] = project_records()
    path.write_text(json.dumps(world))


def post(em, query: str, variables: dict | None = None, *, token: str | None = "admin",
         path: str = "/graphql") -> requests.Response:
    """A GraphQL request to the emulator `em` with the admin token, the reader token, another token
    or none."""
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
    """The answer's data, asserting that it has no errors."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]
