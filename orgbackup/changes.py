"""What changed on GitHub since a repository's last good run: decided once per run, by id.

Skipping what did not change: the state store (orgbackup/state_store.py, keyed
by repository id) keeps, per repository, `pushed_at`, `updated_at`, `last_run`
(local time of the start of the last successful run) and `activity_mark`
(GitHub's `updated_at` of the most recently updated issue or pull request before
that run, on GitHub's clock).  `change_decisions()` (shared with the
verify-and-repair stage) decides once per run and records the decision in the
same row, so a second caller asks GitHub nothing.  A repository runs when it is
new, its `pushed_at` or `updated_at` changed, its last run is older than
`full_refresh_days` (0: always), or an issue, pull request or comment is newer
than its `activity_mark`.  That last check is one request per repository (when
issues or pulls are backed up), so a re-run with nothing changed costs one API
request per repository.  A run with any problem does not update the state: the
repository runs again next time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from .context import RunContext
from .errors import BackupError
from .state_store import RepoState

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # GitHub's, which github-backup compares as strings


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc)


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


EPOCH = "1970-01-01T00:00:00Z"


def change_reason(state: RepoState | None, repo: dict, *, full_refresh_days: int, now: datetime) -> str | None:
    """Why a repository must run, from what is known without asking GitHub more, or None."""
    if state is None or not state.last_run:
        return "new"
    if repo.get("pushed_at") != state.pushed_at:
        return "pushed"
    if repo.get("updated_at") != state.updated_at:
        return "updated"
    if full_refresh_days == 0:
        return "full refresh (every run)"
    try:
        last = parse_time(state.last_run)
    except ValueError:
        return "unreadable last run time"
    if now - last >= timedelta(days=full_refresh_days):
        return f"full refresh (last run {state.last_run})"
    return None


def latest_activity(issues: list[dict]) -> str | None:
    """The newest `updated_at` among issues (GitHub's clock, compared as strings like GitHub's)."""
    stamps = [i.get("updated_at") for i in issues if i.get("updated_at")]
    return max(stamps) if stamps else None


def activity_reason(mark: str | None, latest: str | None) -> str | None:
    """Issue/pull/comment activity since the mark of the last successful run?"""
    if latest and (mark is None or latest > mark):
        return "issue or pull request activity"
    return None


def change_decisions(ctx: RunContext, org: str, repos: list[dict]) -> dict[str, str | None]:
    """Per repository name: why it must run this time, or None when nothing changed.

    Decided once per run (`ctx.started`) and recorded in the repository's row of
    the state store, so that the github-backup stage and the verify-and-repair
    stage share one answer and one set of API requests.

    When issues or pulls are backed up, every repository costs one request: the
    most recently updated issue or pull request (`issues_updated_since`, sorted by
    update).  Its `updated_at`, on GitHub's clock, becomes the repository's
    `activity_mark` after a successful run, and the next run compares with it, so
    a wrong local clock (or the emulator's simulated one) cannot hide activity.
    """
    store = ctx.state_store()
    decisions: dict[str, str | None] = {}
    todo: list[tuple[dict, RepoState]] = []
    for repo in repos:
        state = store.row_for(org, repo)
        if state.decision_run == ctx.started:
            decisions[repo["name"]] = state.decision_reason
        else:
            todo.append((repo, state))
    ask_github = "issues" in ctx.config.parts or "pulls" in ctx.config.parts
    now = now_utc()

    def decide(item: tuple[dict, RepoState]) -> tuple[dict, str | None, str | None]:
        repo, state = item
        reason = change_reason(state, repo, full_refresh_days=ctx.config.full_refresh_days, now=now)
        latest = None
        if ask_github:
            try:
                newest = ctx.api.issues_updated_since(repo["full_name"], state.activity_mark or EPOCH)
            except BackupError as exc:
                return repo, reason or f"could not ask GitHub for activity ({exc})", None
            latest = latest_activity(newest) or state.activity_mark
            reason = reason or activity_reason(state.activity_mark, latest_activity(newest))
        return repo, reason, latest

    # One small GET per repository, nothing else running on the API meanwhile: twice the
    # concurrency of the github-backup processes, whose requests come in long trains.
    with ThreadPoolExecutor(max_workers=max(1, 2 * ctx.config.concurrency)) as pool:
        for repo, reason, latest in pool.map(decide, todo):
            store.update(org, int(repo["id"]), decision_run=ctx.started, decision_reason=reason,
                         decision_latest=latest)
            decisions[repo["name"]] = reason
    return decisions


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
