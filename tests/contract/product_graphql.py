"""Every GraphQL document the product (orgbackup/) can send, built the way it builds them, with
realistic variables; and the call sites in orgbackup/ that send GraphQL, found by reading the
source, so that a new query the enumeration does not cover fails a test
(tests/unit/contract/test_graphql_documents.py).

A call site is `<module>:<the expression passed>` for `.graphql(QUERY, ...)`,
`.repositories(owner, names, FIELDS, ...)` and `repositories_query(FIELDS, names)`.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from orgbackup.actions.restore_to_github import discussion_queries as restore_discussions
from orgbackup.actions.restore_to_github import project_queries as restore_projects
from orgbackup.backup.parts import discussions, projects, settings_listings
from orgbackup.backup.stages import github_backup_labels
from orgbackup.backup.planning import changes
from orgbackup.github.api import repositories_query

PACKAGE = Path(__file__).resolve().parents[2] / "orgbackup"
ORG = "V-Sekai"
CURSOR = "Y3Vyc29yOnYyOpK5MjAyNC0wMS0wMVQwMDowMDowMCswMDowMM4AAAAB"  # an opaque cursor as GitHub gives them


@dataclass(frozen=True)
class Sent:
    """One document the product sends, with one realistic set of variables."""
    name: str
    document: str
    variables: dict


def batch(fields: str, count: int) -> tuple[str, dict]:
    """The product's batched repository query (GitHubAPI.repositories) for `count` repositories."""
    document, variables = repositories_query(fields, [f"repo-{i}" for i in range(count)])
    return document, dict(variables, o=ORG)


def documents() -> list[Sent]:
    """Every document, with 1 repository, the product's batch and 100 repositories a batch."""
    sent = []
    # (name, fields, the product's batch, the largest batch checked: 100 where the fields are small
    # enough for it; the settings listings ask 200 nodes a repository, so only their own batch)
    for name, fields, product_batch, largest in (
            ("change check", changes.ACTIVITY_FIELDS, changes.ACTIVITY_BATCH, 100),
            ("discussion marks", discussions.MARK_FIELDS, discussions.MARK_BATCH, 100),
            ("settings listings", settings_listings.LISTING_FIELDS, settings_listings.BATCH, settings_listings.BATCH),
            ("labels listing", github_backup_labels.LABELS_FIELDS, github_backup_labels.BATCH, 100)):
        for count in sorted({1, product_batch, largest}):
            sent.append(Sent(f"{name}, {count} repositories", *batch(fields, count)))
    for after in (None, CURSOR):
        page = "first page" if after is None else "next page"
        sent += [
            Sent(f"discussions listing, {page}", discussions.LIST_QUERY,
                 {"o": ORG, "n": "godot", "first": discussions.PAGE, "after": after}),
            Sent(f"one discussion, {page}", discussions.DISCUSSION_QUERY,
                 {"o": ORG, "n": "godot", "number": 7, "after": after}),
            Sent(f"projects listing, {page}", projects.MARKS_QUERY, {"login": ORG, "after": after}),
            Sent(f"one project, {page}", projects.PROJECT_QUERY, {"login": ORG, "number": 1, "after": after}),
            Sent(f"a project's items, {page}", projects.ITEMS_QUERY, {"login": ORG, "number": 1, "after": after}),
        ]
    sent.append(Sent("a comment's further replies", discussions.REPLIES_QUERY, {"id": "DC_kwDOAbc", "after": CURSOR}))
    return sent + restore_documents() + restore_project_documents()


def restore_documents() -> list[Sent]:
    """What restore-to-github sends of discussions (orgbackup/actions/restore_to_github/discussions.py)."""
    q = restore_discussions
    repo, discussion, comment = "R_kgDOAbc", "D_kwDOAbc", "DC_kwDOAbc"
    sent = [
        Sent("restore: the target's discussions", q.TARGET_QUERY, {"o": ORG, "n": "godot"}),
        Sent("restore: discussions on or off", q.SET_DISCUSSIONS, {"id": repo, "on": True}),
        Sent("restore: a discussion", q.CREATE_DISCUSSION,
             {"repositoryId": repo, "categoryId": "DIC_kwDOAbc", "title": "How do I build?", "body": "text"}),
        Sent("restore: a discussion comment", q.ADD_COMMENT, {"discussionId": discussion, "body": "text", "replyToId": None}),
        Sent("restore: a discussion reply", q.ADD_COMMENT, {"discussionId": discussion, "body": "text", "replyToId": comment}),
        Sent("restore: an answer", q.MARK_ANSWER, {"id": comment}),
        Sent("restore: a discussion closed", q.CLOSE_DISCUSSION, {"id": discussion}),
        Sent("restore: a discussion locked", q.LOCK_DISCUSSION, {"id": discussion}),
        Sent("restore: a discussion's labels", q.ADD_LABELS,
             {"labelableId": discussion, "labelIds": ["LA_kwDOAbc1", "LA_kwDOAbc2"]}),
    ]
    for after in (None, CURSOR):
        page = "first page" if after is None else "next page"
        sent += [Sent(f"restore: finding a discussion, {page}", q.FIND_DISCUSSIONS, {"o": ORG, "n": "godot", "after": after}),
                 Sent(f"restore: finding a discussion comment, {page}", q.FIND_COMMENTS,
                      {"o": ORG, "n": "godot", "number": 131, "after": after})]
    return sent


def restore_project_documents() -> list[Sent]:
    """What restore-to-github sends of projects (orgbackup/actions/restore_to_github/projects.py)."""
    q = restore_projects
    project, field, item = "PVT_kwDOAbc", "PVTSSF_lADOAbc", "PVTI_lADOAbc"
    options = [{"name": "Todo", "color": "GRAY", "description": "Not started"},
               {"name": "Done", "color": "GREEN", "description": ""}]
    iterations = {"duration": 14, "startDate": "2024-03-04",
                  "iterations": [{"title": "Sprint 1", "startDate": "2024-03-04", "duration": 14},
                                 {"title": "Sprint 2", "startDate": "2024-03-18", "duration": 14}]}
    sent = [
        Sent("restore: the target organization's id", q.OWNER_QUERY, {"login": ORG}),
        Sent("restore: a made project", q.TARGET_PROJECT, {"login": ORG, "number": 1}),
        Sent("restore: an item's issue or pull request", q.CONTENT_QUERY, {"o": ORG, "n": "godot", "number": 1}),
        Sent("restore: a project", q.CREATE_PROJECT, {"ownerId": "O_kgDOAbc", "title": "Roadmap"}),
        Sent("restore: a project's settings", q.UPDATE_PROJECT,
             {"projectId": project, "readme": "# Roadmap", "shortDescription": "What comes next", "public": True}),
        Sent("restore: a project closed", q.UPDATE_PROJECT, {"projectId": project, "closed": True}),
        Sent("restore: a project field", q.CREATE_FIELD, {"projectId": project, "dataType": "TEXT", "name": "Risk"}),
        Sent("restore: a single select field", q.CREATE_FIELD,
             {"projectId": project, "dataType": "SINGLE_SELECT", "name": "Size", "singleSelectOptions": options}),
        Sent("restore: an iteration field", q.CREATE_FIELD,
             {"projectId": project, "dataType": "ITERATION", "name": "Cycle", "iterationConfiguration": iterations}),
        Sent("restore: the Status field's options", q.UPDATE_FIELD, {"fieldId": field, "singleSelectOptions": options}),
        Sent("restore: GitHub's default Status deleted", q.DELETE_FIELD, {"fieldId": field}),
        Sent("restore: a project item", q.ADD_ITEM, {"projectId": project, "contentId": "I_kwDOAbc"}),
        Sent("restore: a draft issue", q.ADD_DRAFT_ISSUE, {"projectId": project, "title": "A draft", "body": "text"}),
        Sent("restore: an item archived", q.ARCHIVE_ITEM, {"projectId": project, "itemId": item}),
        Sent("restore: an item's field value", q.SET_VALUE,
             {"projectId": project, "itemId": item, "fieldId": "PVTF_lADOAbc", "value": {"text": "notes"}}),
    ]
    for after in (None, CURSOR):
        page = "first page" if after is None else "next page"
        sent += [Sent(f"restore: finding a project, {page}", q.FIND_PROJECTS, {"login": ORG, "after": after}),
                 Sent(f"restore: a made project's items, {page}", q.TARGET_ITEMS,
                      {"login": ORG, "number": 1, "after": after})]
    return sent


# Each call site in orgbackup/ -> the documents above it can send.
COVERED = {
    # GitHubAPI.repositories
    "orgbackup.github.api:query": ["change check", "discussion marks", "settings listings", "labels listing"],
    "orgbackup.backup.parts.settings_listings:LISTING_FIELDS": ["settings listings"],
    "orgbackup.backup.stages.github_backup_labels:LABELS_FIELDS": ["labels listing"],
    "orgbackup.backup.planning.changes:ACTIVITY_FIELDS": ["change check"],
    "orgbackup.backup.parts.discussions:MARK_FIELDS": ["discussion marks"],
    "orgbackup.backup.parts.discussions:LIST_QUERY": ["discussions listing"],
    "orgbackup.backup.parts.discussions:DISCUSSION_QUERY": ["one discussion"],
    "orgbackup.backup.parts.discussions:REPLIES_QUERY": ["a comment's further replies"],
    "orgbackup.backup.parts.projects:MARKS_QUERY": ["projects listing"],
    "orgbackup.backup.parts.projects:query": ["one project", "a project's items"],  # PROJECT_QUERY or ITEMS_QUERY
    # restore-to-github's discussions (TargetWriter.graphql for the mutations)
    "orgbackup.actions.restore_to_github.discussions:TARGET_QUERY": ["restore: the target's discussions"],
    "orgbackup.actions.restore_to_github.discussions:SET_DISCUSSIONS": ["restore: discussions on or off"],
    "orgbackup.actions.restore_to_github.discussions:CREATE_DISCUSSION": ["restore: a discussion"],
    "orgbackup.actions.restore_to_github.discussions:ADD_COMMENT": ["restore: a discussion comment",
                                                                    "restore: a discussion reply"],
    # discussion_once (MARK_ANSWER, ADD_LABELS, CLOSE_DISCUSSION, LOCK_DISCUSSION)
    "orgbackup.actions.restore_to_github.discussions:document": [
        "restore: an answer", "restore: a discussion's labels", "restore: a discussion closed",
        "restore: a discussion locked"],
    # restore-to-github's projects
    "orgbackup.actions.restore_to_github.projects:OWNER_QUERY": ["restore: the target organization's id"],
    "orgbackup.actions.restore_to_github.projects:TARGET_PROJECT": ["restore: a made project"],
    "orgbackup.actions.restore_to_github.projects:CONTENT_QUERY": ["restore: an item's issue or pull request"],
    "orgbackup.actions.restore_to_github.projects:CREATE_PROJECT": ["restore: a project"],
    "orgbackup.actions.restore_to_github.projects:CREATE_FIELD": [
        "restore: a project field", "restore: a single select field", "restore: an iteration field"],
    "orgbackup.actions.restore_to_github.projects:UPDATE_FIELD": ["restore: the Status field's options"],
    "orgbackup.actions.restore_to_github.projects:ADD_ITEM": ["restore: a project item"],
    "orgbackup.actions.restore_to_github.projects:ADD_DRAFT_ISSUE": ["restore: a draft issue"],
    # ProjectsRestore.once (UPDATE_PROJECT, DELETE_FIELD), item_once (SET_VALUE, ARCHIVE_ITEM)
    "orgbackup.actions.restore_to_github.projects:document": [
        "restore: a project's settings", "restore: a project closed", "restore: GitHub's default Status deleted",
        "restore: an item archived", "restore: an item's field value"],
    # graphql_nodes, the restore's paged reads: discussions.find_marked (FIND_DISCUSSIONS, FIND_COMMENTS),
    # projects (FIND_PROJECTS, TARGET_ITEMS)
    "orgbackup.github.pages:document": [
        "restore: finding a discussion", "restore: finding a discussion comment",
        "restore: finding a project", "restore: a made project's items"],
}


def call_sites() -> dict[str, list[str]]:
    """`module:expression` -> ["path:line", ...] for every call in orgbackup/ that sends GraphQL."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            position = {"graphql": 0, "repositories": 2, "repositories_query": 0}.get(called)
            if position is None or (called == "repositories" and len(node.args) < 3):
                continue  # the state store's repositories(login) is no GraphQL
            if called == "graphql" and isinstance(node.func, ast.Name):
                continue
            argument = node.args[position] if len(node.args) > position else None
            key = f"{module}:{ast.unparse(argument) if argument is not None else '?'}"
            if key == "orgbackup.github.api:fields":  # GitHubAPI.repositories passing its callers' fields on
                continue
            found.setdefault(key, []).append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def module_documents() -> dict[str, str]:
    """`module.NAME` -> text of every module-level string in orgbackup/ that is a GraphQL operation
    (it starts with `query` or `mutation`) or a selection the batched query asks (`..._FIELDS`
    naming a connection)."""
    import importlib

    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        text = path.read_text(encoding="utf-8")
        if "query" not in text and "_FIELDS" not in text:
            continue
        loaded = importlib.import_module(module)
        for name, value in vars(loaded).items():
            if not isinstance(value, str) or name.startswith("__"):
                continue
            stripped = value.lstrip()
            if stripped.startswith(("query", "mutation")) or (name.endswith("_FIELDS") and "(first:" in value):
                found[f"{module}.{name}"] = value
    return found
