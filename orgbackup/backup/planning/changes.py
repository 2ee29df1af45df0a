"""What changed on GitHub since a repository's last good run: decided once per run, by id.

Skipping what did not change: the state store (orgbackup/cache/state_store.py, keyed
by repository id) keeps, per repository, `pushed_at`, `updated_at`, `last_run`
(local time of the start of the last successful run) and `activity_mark`
(GitHub's `updated_at` of the most recently updated issue or pull request before
that run, on GitHub's clock).  `decisions_of()` decides once per run and organization
and keeps the decisions in memory (`RunContext.decisions`): every stage that asks
gets the same answer and GitHub is asked once; the state store gets them as a record.  A repository runs when it is
new, its `pushed_at` or `updated_at` changed, its last run is older than
`full_refresh_days` (0: always), or an issue, pull request or comment is newer
than its `activity_mark`.  That last check asks GitHub's GraphQL API for the
newest issue and pull request of 50 repositories per query (`newest_activity`,
BACKUP_CONCURRENCY queries at once), so a re-run with nothing changed costs one
request per 50 repositories; a
repository the query does not answer for is asked over REST (one request).  A
run with any problem does not update the state: the repository runs again next
time.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from dataclasses import dataclass, field

from orgbackup.backup.context import RunContext
from orgbackup.errors import BackupError
from orgbackup.github.api import GitHubError
from orgbackup.cache.state_store import RepoState
from orgbackup.times import now_utc, parse_time

log = logging.getLogger(__name__)

EPOCH = "1970-01-01T00:00:00Z"


def change_reason(state: RepoState | None, repo: dict, *, full_refresh_days: int, now: datetime) -> str | None:
    """Why a repository must run, from what is known without asking GitHub more, or None."""
    if state is None or not state.last_run:
        return "new"
    if repo.get("pushed_at") != state.pushed_at:
        return "pushed"
    if repo.get("updated_at") != state.updated_at:
        return "updated"
    # github-backup's parts GitHub gives no change signal for (a label or milestone edited)
    # are fetched again at least every `full_refresh_days`, spread over the nights by
    # repository id: a first run's thousand repositories do not all fall due a week later.
    due = rotation_reason(state.last_run, int(repo.get("id") or state.repo_id or 0), days=full_refresh_days,
                          now=now)
    return f"full refresh ({due}; last run {state.last_run})" if due else None


def latest_activity(issues: list[dict]) -> str | None:
    """The newest `updated_at` among issues (GitHub's clock, compared as strings like GitHub's)."""
    stamps = [i.get("updated_at") for i in issues if i.get("updated_at")]
    return max(stamps) if stamps else None


# Per repository: the newest issue and pull request (the activity check) and how many items
# of each listing it has (a part GitHub says is empty is not asked for, on a first run too).
# A count is asked with `first: 1` (GitHub refuses `first` outside 1..100, 0 included; the one
# node is not read).  50 repositories ask 500 connections: 5 points of GitHub's GraphQL budget
# per query, 500 nodes (GitHub's limit: 500,000).
COUNTED = {"milestones": "milestones", "labels": "labels", "releases": "releases",
           "deploy_keys": "deployKeys", "environments": "environments", "rulesets": "rulesets",
           "commit_comments": "commitComments", "branch_protection_rules": "branchProtectionRules"}
ACTIVITY_FIELDS = (
    "issues(first: 1, orderBy: {field: UPDATED_AT, direction: DESC}) { totalCount nodes { updatedAt } } "
    "pullRequests(first: 1, orderBy: {field: UPDATED_AT, direction: DESC}) { totalCount nodes { updatedAt } } "
    + " ".join(f"{field}(first: 1) {{ totalCount }}" for field in COUNTED.values()))
ACTIVITY_BATCH = 50


def newest_update(node: dict) -> str | None:
    """The newest `updatedAt` of a repository's answer to ACTIVITY_FIELDS (None: no issue, no pull)."""
    stamps = [n["updatedAt"] for part in ("issues", "pullRequests")
              for n in (node.get(part) or {}).get("nodes") or [] if n and n.get("updatedAt")]
    return max(stamps) if stamps else None


def content_counts(node: dict) -> dict[str, int]:
    """{kind: totalCount} of a repository's answer to ACTIVITY_FIELDS (kinds GitHub answered)."""
    fields = {"issues": "issues", "pulls": "pullRequests", **COUNTED}
    return {kind: int(node[field]["totalCount"]) for kind, field in fields.items()
            if isinstance(node.get(field), dict) and "totalCount" in node[field]}


def newest_activity(ctx: RunContext, org: str, names: list[str]) -> dict[str, dict]:
    """Name -> its answer to ACTIVITY_FIELDS, for the repositories GraphQL answered; {} when
    GraphQL cannot be asked at all (the REST check per repository then decides)."""
    try:
        found = ctx.api.repositories(org, names, ACTIVITY_FIELDS, ACTIVITY_BATCH, threads=ctx.config.concurrency)
    except GitHubError as exc:
        log.info("activity of %s over GraphQL failed (%s): asking each repository over REST", org, exc)
        return {}
    return {name: node for name, node in found.items() if "issues" in node and "pullRequests" in node}


@dataclass(frozen=True)
class Decision:
    """Whether a repository runs this time, and what GitHub said of it while deciding."""

    reason: str | None  # why it must run; None: nothing changed
    latest: str | None = None  # the newest issue or pull request activity (the next activity mark)
    counts: dict[str, int] = field(default_factory=dict)  # GitHub's count of each listing ({}: not asked)


def decision_of(ctx: RunContext, org: str, name: str) -> Decision | None:
    """This run's decision for a repository (None: not decided this run)."""
    return ctx.decisions.get(org, {}).get(name)


def known_empty(ctx: RunContext, org: str, repo: dict, kind: str) -> bool:
    """GitHub said this run that the repository has no `kind` (issues, pulls, labels, ...)."""
    if "id" not in repo:  # not a repository of GitHub's listing: nothing is known of it
        return False
    decision = decision_of(ctx, org, repo["name"])
    return decision is not None and decision.counts.get(kind) == 0


def activity_reason(mark: str | None, latest: str | None) -> str | None:
    """Issue/pull/comment activity since the mark of the last successful run?"""
    if latest and (mark is None or latest > mark):
        return "issue or pull request activity"
    return None


def change_decisions(ctx: RunContext, org: str, repos: list[dict]) -> dict[str, str | None]:
    """Per repository name: why it must run this time, or None when nothing changed."""
    return {name: decision.reason for name, decision in decisions_of(ctx, org, repos).items()}


def decisions_of(ctx: RunContext, org: str, repos: list[dict]) -> dict[str, Decision]:
    """Per repository name: its Decision, made once per run (kept in `ctx.decisions`, so the
    stages share one answer and one set of API requests) and recorded in the state store.

    When issues or pulls are backed up, every repository costs one request: the
    most recently updated issue or pull request (`issues_updated_since`, sorted by
    update).  Its `updated_at`, on GitHub's clock, becomes the repository's
    `activity_mark` after a successful run, and the next run compares with it, so
    a wrong local clock (or the emulator's simulated one) cannot hide activity.
    """
    store = ctx.state_store()
    known = ctx.decisions.setdefault(org, {})
    todo = [(repo, store.row_for(org, repo)) for repo in repos if repo["name"] not in known]
    ask_github = "issues" in ctx.config.parts or "pulls" in ctx.config.parts
    now = now_utc()
    batched = newest_activity(ctx, org, [repo["name"] for repo, _ in todo]) if ask_github and todo else {}

    def decide(item: tuple[dict, RepoState]) -> tuple[dict, str | None, str | None, dict]:
        repo, state = item
        reason = change_reason(state, repo, full_refresh_days=ctx.config.full_refresh_days, now=now)
        latest, counts = None, {}
        if ask_github:
            if repo["name"] in batched:
                newest = newest_update(batched[repo["name"]])
                counts = content_counts(batched[repo["name"]])
            else:
                try:
                    newest = latest_activity(
                        ctx.api.issues_updated_since(repo["full_name"], state.activity_mark or EPOCH))
                except BackupError as exc:
                    return repo, reason or f"could not ask GitHub for activity ({exc})", None, {}
            latest = newest or state.activity_mark
            reason = reason or activity_reason(state.activity_mark, newest)
        return repo, reason, latest, counts

    # The REST checks (repositories GraphQL did not answer for), nothing else on the API meanwhile.
    with ThreadPoolExecutor(max_workers=ctx.config.api_threads_alone) as pool:
        for repo, reason, latest, counts in pool.map(decide, todo):
            store.update(org, int(repo["id"]), decision_run=ctx.started, decision_reason=reason,
                         decision_latest=latest, decision_counts=json.dumps(counts) if counts else None)
            known[repo["name"]] = Decision(reason, latest, counts)
    return {repo["name"]: known[repo["name"]] for repo in repos}


def rotation_reason(refreshed: str | None, slot: int, *, days: int, now: datetime) -> str | None:
    """Why a part refreshed on a rotation must refresh now, or None.

    Every item is at most `days` old, and the refreshes are spread evenly over the
    nights: an item whose `slot` (its id) falls on tonight refreshes even when
    younger, so a first run's thousand repositories do not all fall due on the
    same night a week later (`days` 0: every run)."""
    if not refreshed:
        return "new"
    if days <= 0:
        return "every run"
    try:
        last = parse_time(refreshed[:19] + "Z")
    except ValueError:
        return "unreadable refresh time"
    if now - last >= timedelta(days=days):
        return f"older than {days} days"
    tonight = now.date()
    if (tonight.toordinal() - slot) % days == 0 and last.date() < tonight:
        return "rotation"
    return None
