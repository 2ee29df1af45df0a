"""Discussions of a repository (GraphQL): one file per discussion,
`discussions/<REPO>/<number>.json`, with its comments and their replies.

Change detection: a repository's mark is `"<totalCount>:<newest updatedAt>"`
(`discussion_marks`, one query for up to 25 repositories).  A backup walks the
discussions newest-updated first and stops at the first one its saved file
already holds, provided the previous run was complete (its mark says up to which
updatedAt everything was saved); only new or updated discussions are fetched.
Files of discussions deleted on GitHub are kept (a backup never loses data).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from orgbackup.github.api import GitHubError, repositories_query
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.cache.safe_names import is_item_number
from orgbackup.backup.parts.common import PartOutcome

log = logging.getLogger(__name__)

PART = "discussions"
MARK_BATCH = 50  # repositories per mark query (aliases r0..r49): 50 connections of one node, 1 point
PAGE = 50  # discussions per listing page, comments per page, replies per page

# ------------------------------------------------------------------ queries

MARK_FIELDS = ("discussions(first: 1, orderBy: {field: UPDATED_AT, direction: DESC}) "
               "{ totalCount nodes { updatedAt } }")

# Only what decides whether to fetch: 50 discussions cost one point.
LIST_QUERY = """
query($o: String!, $n: String!, $first: Int!, $after: String) {
  repository(owner: $o, name: $n) {
    discussions(first: $first, after: $after, orderBy: {field: UPDATED_AT, direction: DESC}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { number updatedAt }
    }
  }
}
"""

REPLY_FIELDS = "id databaseId body author { login } createdAt updatedAt"

# One discussion with a page of 50 comments, each with its first 50 replies: labels 1 +
# comments 1 + 50 replies connections (GitHub's cost: requests / 100, rounded, at least 1)
# = 1 point; 2,650 nodes at most (GitHub's limit: 500,000).
DISCUSSION_QUERY = """
query($o: String!, $n: String!, $number: Int!, $after: String) {
  repository(owner: $o, name: $n) {
    discussion(number: $number) {
      id number title body url author { login } createdAt updatedAt closed locked
      category { name slug emoji description isAnswerable }
      answer { id } answerChosenAt
      labels(first: 100) { nodes { name } }  # (the first 100: more on one discussion is not seen)
      comments(first: %d, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes {
          %s isAnswer
          replies(first: %d) { totalCount pageInfo { hasNextPage endCursor } nodes { %s } }
        }
      }
    }
  }
}
""" % (PAGE, REPLY_FIELDS, PAGE, REPLY_FIELDS)

# The further replies of a comment with more than 50 (GitHub's node(id:) lookup).
REPLIES_QUERY = """
query($id: ID!, $after: String) {
  node(id: $id) {
    ... on DiscussionComment {
      replies(first: %d, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { %s } }
    }
  }
}
""" % (PAGE, REPLY_FIELDS)


def marks_query(names: list[str]) -> tuple[str, dict]:
    """One query asking each repository's discussion mark under alias r<i> (names as variables)."""
    return repositories_query(MARK_FIELDS, names)


# ------------------------------------------------------------------ marks


def mark_of(connection: dict) -> str:
    """`"<totalCount>:<newest updatedAt>"` of a discussions connection ordered UPDATED_AT DESC."""
    nodes = [n for n in connection.get("nodes") or [] if n]
    return f"{connection.get('totalCount', 0)}:{nodes[0]['updatedAt'] if nodes else ''}"


def parse_mark(mark: str | None) -> tuple[int, str | None] | None:
    """(totalCount, newest updatedAt or None) of a mark; None for no mark or one not of this form."""
    if not mark or ":" not in mark:
        return None
    total, _, newest = mark.partition(":")
    if not total.isdigit():
        return None
    return int(total), newest or None


def discussion_marks(ctx, org: str, repos: list[dict]) -> dict[str, str | None]:
    """Repository name -> discussion mark, for change detection.

    A repository whose listing says `has_discussions` false is not asked (mark None).
    A repository GraphQL gives nothing for (NOT_FOUND: not visible to the token, or gone)
    is absent.  Raises GitHubError when a whole query fails (network, 5xx, bad token)."""
    marks: dict[str, str | None] = {}
    asked = []
    for repo in repos:
        if repo.get("has_discussions"):
            asked.append(repo["name"])
        else:
            marks[repo["name"]] = None
    for name, node in ctx.api.repositories(org, asked, MARK_FIELDS, MARK_BATCH, threads=ctx.config.concurrency).items():
        if node.get("discussions") is not None:
            marks[name] = mark_of(node["discussions"])
    return marks


# ------------------------------------------------------------------ shaping


def login_of(actor: dict | None) -> str | None:
    return actor.get("login") if actor else None


def reply_record(node: dict) -> dict:
    return {"id": node["id"], "databaseId": node.get("databaseId"), "body": node.get("body"),
            "author": login_of(node.get("author")), "createdAt": node.get("createdAt"),
            "updatedAt": node.get("updatedAt")}


def comment_record(node: dict, replies: list[dict], replies_total: int) -> dict:
    record = reply_record(node)
    record["isAnswer"] = bool(node.get("isAnswer"))
    record["replies"] = [reply_record(r) for r in replies]
    # Beyond the design's shape: what GitHub counted, so a later run can check the file.
    record["repliesTotalCount"] = replies_total
    return record


def discussion_record(node: dict, comments: list[dict], comments_total: int) -> dict:
    """The saved file of one discussion (the design's shape) from GitHub's node and its
    already shaped comments."""
    category = node.get("category") or {}
    answer = node.get("answer")
    return {
        "id": node.get("id"),  # beyond the design's shape: the node id the answer's and comments' ids go with
        "number": node["number"], "title": node.get("title"), "body": node.get("body"),
        "url": node.get("url"), "author": login_of(node.get("author")),
        "createdAt": node.get("createdAt"), "updatedAt": node.get("updatedAt"),
        "closed": node.get("closed"), "locked": node.get("locked"),
        "category": {k: category.get(k) for k in ("name", "slug", "emoji", "description", "isAnswerable")},
        "answer": {"id": answer["id"]} if answer else None,
        "answerChosenAt": node.get("answerChosenAt"),
        "labels": [label["name"] for label in (node.get("labels") or {}).get("nodes") or [] if label],
        "comments": comments,
        "commentsTotalCount": comments_total,
    }


def saved_discussions(folder: Path) -> dict[int, dict]:
    """number -> saved file content; an unreadable file counts as not saved (it is fetched again)."""
    saved = {}
    if not folder.is_dir():
        return saved
    for path in folder.glob("*.json"):
        if not path.stem.isdigit():
            continue
        try:
            saved[int(path.stem)] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return saved


def needs_fetch(number: int, updated: str, saved: dict[int, dict]) -> bool:
    return (saved.get(number) or {}).get("updatedAt") != updated


# ------------------------------------------------------------------ fetching


def list_changed(api, org: str, name: str, saved: dict[int, dict], previous: tuple | None,
                 full: bool) -> tuple[dict, list[int], set[int], bool]:
    """Walk the discussions newest-updated first: (first page's connection, numbers to fetch,
    numbers seen, whether the walk saw all of them)."""
    newest_complete = previous[1] if previous and not full else None
    first_page = None
    to_fetch: list[int] = []
    seen: set[int] = set()
    after = None
    while True:
        data = api.graphql(LIST_QUERY, {"o": org, "n": name, "first": PAGE, "after": after})
        connection = ((data.get("repository") or {}).get("discussions")) or {}
        if first_page is None:
            first_page = connection
        for node in connection.get("nodes") or []:
            if not node:
                continue
            number, updated = node["number"], node["updatedAt"]
            seen.add(number)
            if needs_fetch(number, updated, saved) or full:
                to_fetch.append(number)
            elif newest_complete is not None and updated <= newest_complete:
                # Saved as it is now, and the previous complete run saved everything older.
                return first_page, to_fetch, seen, False
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            return first_page, to_fetch, seen, True
        after = page["endCursor"]


def all_replies(api, comment: dict) -> list[dict]:
    """Every reply of a comment node: its first 50 came with it, the rest page by node(id:)."""
    connection = comment.get("replies") or {}
    replies = [r for r in connection.get("nodes") or [] if r]
    page = connection.get("pageInfo") or {}
    while page.get("hasNextPage"):
        data = api.graphql(REPLIES_QUERY, {"id": comment["id"], "after": page["endCursor"]})
        connection = (data.get("node") or {}).get("replies") or {}
        replies += [r for r in connection.get("nodes") or [] if r]
        page = connection.get("pageInfo") or {}
    return replies


def fetch_discussion(api, org: str, name: str, number: int) -> dict | None:
    """The saved-file shape of one discussion, every comment and reply; None if it is gone."""
    node = None
    comments: list[dict] = []
    total = 0
    after = None
    while True:
        data = api.graphql(DISCUSSION_QUERY, {"o": org, "n": name, "number": number, "after": after})
        page_node = (data.get("repository") or {}).get("discussion")
        if page_node is None:
            return None
        node = node or page_node
        connection = page_node.get("comments") or {}
        total = connection.get("totalCount", 0)
        for comment in connection.get("nodes") or []:
            if comment:
                replies = all_replies(api, comment)
                comments.append(comment_record(comment, replies, (comment.get("replies") or {}).get("totalCount", 0)))
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            break
        after = page["endCursor"]
    return discussion_record(node, comments, total)


def back_up_discussions(ctx, org: str, repo: dict, folder: Path, mark: str | None, *,
                        full: bool = False) -> PartOutcome:
    """Save the repository's new and updated discussions into `folder`
    (CACHE/<ORG>/discussions/<REPO>); `mark` is the mark of the last complete run (None:
    walk them all and fetch whatever the folder lacks or holds outdated; `full`: fetch every
    discussion again). Never raises for GitHub's answers: refusals are `skipped`,
    other failures `problems`."""
    name = repo["name"]
    folder = Path(folder)
    outcome = PartOutcome(PART, org, name)
    saved = saved_discussions(folder)
    try:
        first_page, to_fetch, seen, walked_all = list_changed(ctx.api, org, name, saved, parse_mark(mark), full)
    except GitHubError as exc:
        outcome.refused_or_failed(exc, "listing")
        return outcome

    for number in to_fetch:
        if not is_item_number(number):  # it names the file: GitHub's numbers are numbers
            outcome.problem(f"discussion numbered {number!r} in GitHub's answer is no number: not saved")
            continue
        try:
            record = fetch_discussion(ctx.api, org, name, number)
        except GitHubError as exc:
            outcome.problem(f"discussion #{number} could not be fetched: {exc}")
            continue
        if record is None:
            outcome.problem(f"discussion #{number} vanished while it was backed up")
            continue
        write_json_atomically(folder / f"{number}.json", record)
        saved[number] = record
    outcome.count("fetched", len(to_fetch))  # what this run asked for (not compared)

    total = first_page.get("totalCount", 0)
    # Live discussions saved: exact when the walk saw them all; otherwise the files, which
    # may include discussions deleted on GitHub (kept), at most GitHub's count.
    held = len(seen & saved.keys()) if walked_all else min(len(saved), total)
    outcome.count("discussions", held, total)
    for number in sorted(saved):
        if walked_all and number not in seen:
            continue  # deleted on GitHub: its file stays, it counts no more
        record = saved[number]
        comments = record.get("comments") or []
        outcome.count("comments", len(comments), record.get("commentsTotalCount", len(comments)))
        for comment in comments:
            replies = comment.get("replies") or []
            outcome.count("replies", len(replies), comment.get("repliesTotalCount", len(replies)))
    if not outcome.problems:
        outcome.mark = mark_of(first_page)
    return outcome
