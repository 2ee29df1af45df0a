"""Every metadata part the wrapper captures itself, in one table: what it is called, whose it is
(a repository's or the account's: an organization's or a person's), where it writes, and what tells it to refresh.

The metadata stage (orgbackup/backup/stages/metadata.py) reads only this table; a new part is
one module in this folder and one row here.

Refresh rules (besides "new"):
- mark: GitHub's listing says something of the repository that changes when the part does
  (`mark(repo)`); a different mark refreshes, incrementally where the part can.
- marks: the same, asked of GitHub for many repositories at once (`marks(ctx, org, repos)`).
- forced: this run knows the part changed (`forced(ctx, org, repo)` gives the reason).
- rotation: everything at most BACKUP_FULL_REFRESH_DAYS old, spread over the nights.
- freshness: a part GitHub gives no change signal for (`freshness=True`) is read again, the
  oldest-read first, as far as tonight's share of the API budget goes (planning/freshness.py).
- nightly (organization parts): every night (read more than BACKUP_FRESH_HOURS ago): a handful
  of requests per organization, and the organization's variables, teams, members and hooks
  change without its `updated_at` moving.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from orgbackup.backup.context import RunContext
from orgbackup.backup.parts import (commit_comments, discussions, gists, organization, projects, pull_comments,
                                    repository_settings, reviews)
from orgbackup.backup.parts.common import PartOutcome
from orgbackup.backup.planning.changes import decision_of
from orgbackup.cache.layout import OrgPaths


@dataclass(frozen=True)
class PartCall:
    """One refresh of a repository's part: where, what was last seen, and how much to fetch."""

    ctx: RunContext
    org: str
    repo: dict
    folder: str  # the repository's folder in the cache (its name, or <NAME>~<ID> for an older one)
    paths: OrgPaths
    mark: str | None  # the part's mark of its last refresh
    full: bool  # fetch everything, not only what changed since `mark`
    team_access: object = None  # the night's listing of the teams' repositories (settings)
    listings: object = None  # the night's collaborators and rulesets over GraphQL (settings)


@dataclass(frozen=True)
class RepositoryPart:
    name: str  # its word in BACKUP_PARTS
    back_up: Callable[[PartCall], PartOutcome]
    mark: Callable[[dict], str | None] | None = None
    marks: Callable[[RunContext, str, list[dict]], dict[str, str | None]] | None = None
    forced: Callable[[RunContext, str, dict], str | None] | None = None
    applies: Callable[[dict], bool] = lambda repo: True
    needs: tuple[str, ...] = ()  # other BACKUP_PARTS it reads (reviews: the saved pull requests)
    rotates: bool = True  # False: only when new or `forced` (what it fetches is incremental and complete)
    part_of: str | None = None  # captured for this BACKUP_PARTS word, not for a word of its own
    freshness: bool = False  # read again as the API budget allows: its mark misses some changes


def pushed_or_updated(repo: dict) -> str:
    return f"{repo.get('pushed_at') or ''}|{repo.get('updated_at') or ''}"


def github_backup_ran(ctx: RunContext, org: str, repo: dict) -> str | None:
    """github-backup's change decision of this run said the repository changed (changes.py)."""
    decision = decision_of(ctx, org, repo["name"])
    return "pull requests changed" if decision is not None and decision.reason else None


def has_discussions(repo: dict) -> bool:
    return bool(repo.get("has_discussions"))


REPOSITORY_PARTS: tuple[RepositoryPart, ...] = (
    RepositoryPart(
        "settings",
        # GitHub bumps updated_at when settings change; access (collaborators, teams,
        # protection, keys, environments, variables) does not: freshness (as the API budget
        # allows, the oldest-read first) and the rotation catch it.
        mark=lambda repo: repo.get("updated_at") or "",
        freshness=True,
        back_up=lambda c: repository_settings.back_up_settings(c.ctx, c.org, c.repo, c.paths.settings / c.folder,
                                                               c.team_access, c.listings)),
    RepositoryPart(
        "commit-comments",
        mark=pushed_or_updated,
        back_up=lambda c: commit_comments.back_up_commit_comments(
            c.ctx, c.org, c.repo, c.paths.commit_comments / c.folder / "comments.json")),
    RepositoryPart(
        "reviews",
        needs=("pulls",),
        forced=github_backup_ran,  # only pull requests whose updated_at moved are fetched
        back_up=lambda c: reviews.back_up_reviews(c.ctx, c.org, c.repo, c.paths.reviews / c.folder,
                                                  c.paths.repository_dir(c.folder) / "pulls")),
    RepositoryPart(
        "pull-comments",
        part_of="pulls",  # github-backup's pulls, which 0.40.0 saves without these
        forced=pull_comments.due,  # the repository changed, or the last fetch did not finish
        rotates=False,
        back_up=lambda c: pull_comments.back_up_pull_comments(c.ctx, c.org, c.repo, c.paths.repository_dir(c.folder))),
    RepositoryPart(
        "discussions",
        applies=has_discussions,
        marks=discussions.discussion_marks,  # one GraphQL query per 25 repositories
        back_up=lambda c: discussions.back_up_discussions(c.ctx, c.org, c.repo, c.paths.discussions / c.folder,
                                                          c.mark, full=c.full)),
)


@dataclass(frozen=True)
class OrganizationPart:
    name: str
    back_up: Callable[[RunContext, str, Path, str | None, bool], PartOutcome]  # (ctx, org, folder, mark, full)
    folder: Callable[[OrgPaths], Path]
    # True: refreshes when the organization's updated_at moves, and every night (read more than
    # BACKUP_FRESH_HOURS ago); False: asks GitHub every run (its own listing of what changed)
    mark_of_organization: bool


ORGANIZATION_PARTS: tuple[OrganizationPart, ...] = (
    OrganizationPart("organization", lambda ctx, org, folder, mark, full: organization.back_up_organization(
        ctx, org, folder), folder=lambda paths: paths.organization, mark_of_organization=True),
    # Projects: one GraphQL listing of their updatedAt every run; the rotation fetches all.
    OrganizationPart("projects", lambda ctx, org, folder, mark, full: projects.back_up_projects(
        ctx, org, folder, mark, full=full), folder=lambda paths: paths.projects, mark_of_organization=False),
    # A person's gists (GITHUB_USERS; orgbackup/backup/accounts.py): the listing every run.
    OrganizationPart("gists", lambda ctx, login, folder, mark, full: gists.back_up_gists(
        ctx, login, folder, mark, full=full), folder=lambda paths: paths.gists, mark_of_organization=False),
)

# After all the others: a scan of the files they wrote (stages/metadata.py: run_attachments).
LAST_PART = "attachments"
