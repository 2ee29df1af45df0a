"""The `commit-comments` part: a repository's commit comments, the current list as GitHub
gives it, in CACHE/<ORG>/commit-comments/<REPO>.json (older snapshots keep what was deleted)."""

from __future__ import annotations

from pathlib import Path

from orgbackup.backup.planning.changes import known_empty
from orgbackup.github.api import GitHubError
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.backup.parts.common import PartOutcome
from orgbackup.backup.parts.repository_settings import full_name_of

PART = "commit-comments"


def back_up_commit_comments(ctx, org: str, repo: dict, folder_file: Path) -> PartOutcome:
    """commit-comments/<REPO>.json (`folder_file`) from GET /repos/{o}/{r}/comments."""
    outcome = PartOutcome(PART, org, repo["name"])
    try:
        # GitHub said this run there are none (changes.py's count): the answer without asking.
        comments = [] if known_empty(ctx, org, repo, "commit_comments") else list(ctx.api.paginate(f"repos/{full_name_of(org, repo)}/comments"))
    except GitHubError as exc:
        outcome.refused_or_failed(exc, "comments")
        return outcome
    write_json_atomically(Path(folder_file), comments)
    outcome.count("commit comments", len(comments), len(comments))
    return outcome
