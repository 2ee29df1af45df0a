"""Pull request conversation comments, which github-backup 0.40.0 drops when issues and pulls are
both backed up: pulls/<N>.conversation.json beside github-backup's pulls/<N>.json.

For a repository that changed (this run's decision), or whose last fetch did not finish: one
paginated request of the repository's issue comments since the last fetch; those on pull
requests are merged by id into pulls/<N>.conversation.json (never dropping a saved one). The
`since` of the next fetch is the newest `updated_at` seen, on GitHub's clock, kept in the
repository's row of the state store (`comments_since`, `comments_ok`).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from orgbackup.backup.parts.common import PartOutcome
from orgbackup.backup.planning.changes import decision_of, known_empty
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.cache.state_store import RepoState
from orgbackup.errors import BackupError

log = logging.getLogger(__name__)

PART = "pull-comments"
COUNTED = "conversation_comments"  # what the part counts: the comments pulls/*.conversation.json hold
_ISSUE_NUMBER = re.compile(r"/issues/(\d+)$")


def issue_number(comment: dict) -> int | None:
    match = _ISSUE_NUMBER.search(comment.get("issue_url") or "")
    return int(match.group(1)) if match else None


def merge_comments(saved: list[dict], new: list[dict]) -> list[dict]:
    """By comment id, the newer version winning; nothing saved is ever dropped; sorted by id."""
    by_id = {c["id"]: c for c in saved}
    for comment in new:
        old = by_id.get(comment["id"])
        if old is None or (comment.get("updated_at") or "") >= (old.get("updated_at") or ""):
            by_id[comment["id"]] = comment
    return [by_id[i] for i in sorted(by_id)]


def save_pull_comments(repo_dir: Path, comments: list[dict], *, issues_saved: bool) -> tuple[int, bool]:
    """Merge the comments on pull requests into pulls/N.conversation.json.

    Returns (comments saved, complete): not complete when a comment's issue is
    neither a saved pull request nor a saved issue (github-backup did not save
    it yet), so that the next fetch starts from the same point again.
    """
    pulls_dir = repo_dir / "pulls"
    by_number: dict[int, list[dict]] = {}
    complete = True
    for comment in comments:
        number = issue_number(comment)
        if number is None:
            continue
        is_pull = (pulls_dir / f"{number}.json").exists() or "/pull/" in (comment.get("html_url") or "")
        if is_pull:
            by_number.setdefault(number, []).append(comment)
        elif issues_saved and not (repo_dir / "issues" / f"{number}.json").exists():
            complete = False
    saved = 0
    for number, new in by_number.items():
        pulls_dir.mkdir(parents=True, exist_ok=True)
        path = pulls_dir / f"{number}.conversation.json"
        old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
        write_json_atomically(path, merge_comments(old, new))
        saved += len(new)
    return saved, complete


def comment_entry(state: RepoState) -> dict | None:
    """What the state store remembers of the last conversation-comment fetch."""
    if state.comments_ok is None:
        return None
    return {"since": state.comments_since, "ok": bool(state.comments_ok)}


def fetch_pull_comments(ctx, repo: dict, repo_dir: Path, entry: dict, outcome: PartOutcome) -> dict:
    """One paginated request of the repository's issue comments since the last fetch; returns the new entry."""
    since = entry.get("since")
    try:
        comments = ctx.api.issue_comments_since(repo["full_name"], since)
    except BackupError as exc:
        outcome.problem(f"could not read pull request conversation comments: {exc}")
        return {**entry, "ok": False}
    saved, complete = save_pull_comments(repo_dir, comments, issues_saved="issues" in ctx.config.parts)
    log.info("%s/%s: %d new or edited conversation comment(s) on pull requests", outcome.org, outcome.repo, saved)
    if not complete:
        return {**entry, "ok": False}
    stamps = [c.get("updated_at") for c in comments if c.get("updated_at")]
    newest = max(stamps + ([since] if since else [])) if stamps or since else None
    return {"since": newest, "ok": True}


def due(ctx, org: str, repo: dict) -> str | None:
    """Why the repository's comments are fetched tonight: it changed, or the last fetch did not
    finish (None: neither; the comments a run saw stay until the repository changes)."""
    decision = decision_of(ctx, org, repo["name"])
    if decision is not None and decision.reason:
        return "the repository changed"
    entry = comment_entry(ctx.state_store().row_for(org, repo))
    return None if entry and entry["ok"] else "the last fetch did not finish"


def back_up_pull_comments(ctx, org: str, repo: dict, repo_dir: Path) -> PartOutcome:
    """The conversation comments of `repo`'s pull requests, new or edited since the last fetch."""
    outcome = PartOutcome(PART, org, repo["name"])
    store = ctx.state_store()
    entry = comment_entry(store.row_for(org, repo)) or {}
    if known_empty(ctx, org, repo, "pulls"):  # GitHub said this run: no pull request, no comment on one
        new = {"since": entry.get("since"), "ok": True}
    else:
        new = fetch_pull_comments(ctx, repo, repo_dir, entry, outcome)
    store.update(org, int(repo["id"]), comments_since=new.get("since"), comments_ok=1 if new.get("ok") else 0)
    outcome.count(COUNTED, conversation_comments_on_disk(repo_dir / "pulls"))
    return outcome


def conversation_comments_on_disk(pulls_dir: Path) -> int:
    count = 0
    for path in pulls_dir.glob("*.conversation.json") if pulls_dir.is_dir() else []:
        try:
            count += len(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            pass
    return count
