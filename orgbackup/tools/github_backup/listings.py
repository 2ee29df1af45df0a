"""Whole-repository listings in place of github-backup's one request per issue and pull request.

github-backup 0.40.0 asks, for every issue it saves, `issues/N/comments` and
`issues/N/events`, and for every pull request `pulls/N/comments` (L878-886,
L944-952): a repository with 1,500 issues costs 3,000 requests of the hourly
5,000.  GitHub lists each of these for a whole repository, 100 per page:
`issues/comments` (with `since`), `issues/events` and `pulls/comments` (with
`since`).  `listing_retrieve_data(original)` wraps 0.40.0's `retrieve_data`
(the runner installs it) so that the first per-item request of a kind in a
repository fetches that kind's whole listing once, and every per-item request
is answered from it; what github-backup writes keeps its shape (an event of the
repository's listing carries its `issue`, which is dropped).

An incremental run (`args.since`, github-backup's `--incremental`) saves again
only the issues and pull requests updated since; each needs all of its comments:
- comments: the repository's comments updated since, merged by id into the
  comments the previous run saved in the item's file (`comment_data`); an item
  without a saved file asks GitHub for its own comments, as 0.40.0 does.
  A comment deleted on GitHub stays until the next full capture (the stage's
  rotation refreshes every repository in full every BACKUP_FULL_REFRESH_DAYS);
- events: GitHub's repository listing has no `since`, so each item's own.
A listing that fails (any error) is not retried: that kind falls back to 0.40.0's
own per-item requests for the rest of the repository.

Labels: the stage asks GraphQL for the labels of many repositories at once and writes this
repository's to the file LISTED_LABELS_ENV names; 0.40.0's `repos/ORG/NAME/labels` is
answered from it (without the file, asked as 0.40.0 does).

Issues: 0.40.0 lists a repository's open issues and then its closed ones (L851-860), two
requests where `state=all` is one: the open call asks for all, the closed call answers [].

The repository itself: with `-R NAME` 0.40.0 asks `repos/ORG/NAME` (L689-696) for
what the organization's listing already said at the start of the run (the stage
writes that entry to a file, `LISTED_REPOSITORY_ENV` names it):
`listed_retrieve_repositories` answers from the file, or asks as 0.40.0 does
when there is none.
"""

from __future__ import annotations

import json
import os
import re
from typing import Callable

LISTED_REPOSITORY_ENV = "ORGBACKUP_LISTED_REPOSITORY"
LISTED_LABELS_ENV = "ORGBACKUP_LISTED_LABELS"  # the repository's labels, from GraphQL (stages/github_backup_labels.py)
# {repos}/{owner}/{name}/issues/{n}/comments as 0.40.0 builds it (L847, L878)
PER_ITEM = re.compile(r"^(?P<repo>.+/repos/[^/]+/(?P<name>[^/]+))/(?P<kind>issues/\d+/comments|issues/\d+/events"
                      r"|pulls/\d+/comments)$")
NUMBER = re.compile(r"/(?:issues|pulls)/(\d+)(?:/[a-z]+)?$")
# kind: (the repository's listing, where an entry says its item, whether it takes since,
#        the folder of the item's saved file)
LISTINGS = {
    "issues/comments": ("issues/comments", "issue_url", True, "issues"),
    "issues/events": ("issues/events", "issue", False, "issues"),
    "pulls/comments": ("pulls/comments", "pull_request_url", True, "pulls"),
}


def kind_and_number(template: str) -> tuple[str, str, str, int] | None:
    """(repository URL, repository name, kind, number) of a per-item request, else None."""
    match = PER_ITEM.match(template)
    if not match:
        return None
    kind = match["kind"]
    number = int(kind.split("/")[1])
    return match["repo"], match["name"], kind.split("/")[0] + "/" + kind.split("/")[2], number


def item_number(entry: dict, where: str) -> int | None:
    """The issue or pull request a listing's entry belongs to."""
    value = entry.get(where)
    if isinstance(value, dict):
        return value.get("number")
    found = NUMBER.search(value or "")
    return int(found.group(1)) if found else None


def group_by_item(entries: list[dict], where: str) -> dict[int, list[dict]]:
    """{number: entries in the listing's order}; the events' embedded `issue` is dropped."""
    grouped: dict[int, list[dict]] = {}
    for entry in entries:
        number = item_number(entry, where)
        if number is None:
            continue
        if where == "issue":
            entry = {k: v for k, v in entry.items() if k != "issue"}
        grouped.setdefault(number, []).append(entry)
    return grouped


def merged_by_id(saved: list[dict], changed: list[dict]) -> list[dict]:
    """The saved entries with the changed ones replacing theirs by id, in the order of
    creation (as an item's own listing gives them)."""
    by_id = {c.get("id"): c for c in saved}
    by_id.update({c.get("id"): c for c in changed})
    return sorted(by_id.values(), key=lambda c: (c.get("created_at") or "", c.get("id") or 0))


def saved_comments(output_directory: str, name: str, folder: str, number: int) -> list[dict] | None:
    """`comment_data` of the item's file that the previous run wrote, None without one."""
    path = os.path.join(output_directory, "repositories", name, folder, f"{number}.json")
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f).get("comment_data")
    except (OSError, ValueError, AttributeError):
        return None
    return data if isinstance(data, list) else None


def listing_retrieve_data(original: Callable) -> Callable:
    """0.40.0's `retrieve_data(args, template, query_args=None, single_request=False)`,
    answering per-item comments and events from the repository's listings (see the top)."""
    listings: dict[tuple[str, str], dict[int, list[dict]] | None] = {}

    def listing(args, repo: str, kind: str) -> dict[int, list[dict]] | None:
        key = (repo, kind)
        if key not in listings:
            path, where, takes_since, _ = LISTINGS[kind]
            query = {"since": args.since} if takes_since and args.since else None
            try:
                listings[key] = group_by_item(original(args, f"{repo}/{path}", query), where)
            except Exception:  # noqa: BLE001 -- any failure: 0.40.0's per-item requests, which report it
                listings[key] = None
        return listings[key]

    both_states: set[tuple[str, str | None]] = set()  # issue listings asked once with state=all

    def retrieve_data(args, template, query_args=None, single_request=False):
        if template.endswith("/issues") and query_args and query_args.get("state") in ("open", "closed"):
            # 0.40.0 lists open and then closed issues (L851-860): one listing of both instead
            key = (template, query_args.get("since"))
            if query_args["state"] == "closed" and key in both_states:
                return []  # the open call's listing had them
            if query_args["state"] == "open":
                answer = original(args, template, dict(query_args, state="all"), single_request)
                both_states.add(key)
                return answer
        if template.endswith("/labels") and not query_args and not single_request:
            listed = listed_labels()
            if listed is not None:
                return listed
        found = None if query_args or single_request else kind_and_number(template)
        if found is None:
            return original(args, template, query_args, single_request)
        repo, name, kind, number = found
        takes_since = LISTINGS[kind][2]
        if args.since and not takes_since:
            return original(args, template, query_args, single_request)
        saved = None
        if args.since:
            saved = saved_comments(args.output_directory, name, LISTINGS[kind][3], number)
            if saved is None:  # not captured before: all of its own
                return original(args, template, query_args, single_request)
        grouped = listing(args, repo, kind)
        if grouped is None:
            return original(args, template, query_args, single_request)
        return merged_by_id(saved or [], grouped.get(number, []))

    return retrieve_data


def listed_labels() -> list[dict] | None:
    """The labels in the file LISTED_LABELS_ENV names (this run's repository's), or None."""
    path = os.environ.get(LISTED_LABELS_ENV)
    try:
        with open(path or "", encoding="utf-8") as f:
            listed = json.load(f)
    except (OSError, ValueError):
        return None
    return listed if isinstance(listed, list) else None


def listed_retrieve_repositories(original: Callable) -> Callable:
    """0.40.0's `retrieve_repositories(args, authenticated_user)`: for `-R NAME`, the entry of the
    organization's listing in the file LISTED_REPOSITORY_ENV names (when it is that repository)."""

    def retrieve_repositories(args, authenticated_user):
        path = os.environ.get(LISTED_REPOSITORY_ENV)
        if path and args.repository and not (args.all_starred or args.include_gists or args.include_starred_gists):
            try:
                with open(path, encoding="utf-8") as f:
                    listed = json.load(f)
            except (OSError, ValueError):
                listed = None
            if isinstance(listed, dict) and listed.get("name") == args.repository:
                return [listed]
        return original(args, authenticated_user)

    return retrieve_repositories
