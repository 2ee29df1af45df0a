"""The writes a restore of one repository makes at most: the dry run's counts per part and the
progress total (command.py), from what the backup holds (source.py)."""

from __future__ import annotations

from collections import Counter

from orgbackup.actions.restore_to_github.deleted_heads import head_of_a_closed_pull_is_gone
from orgbackup.actions.restore_to_github.discussions import planned_discussion_writes
from orgbackup.actions.restore_to_github.environments import planned_environment_writes
from orgbackup.actions.restore_to_github.items import pull_fields
from orgbackup.actions.restore_to_github.merged_pulls import is_merged
from orgbackup.actions.restore_to_github.repository_settings import planned_settings_writes
from orgbackup.actions.restore_to_github.rulesets import planned_ruleset_writes
from orgbackup.actions.restore_to_github.source import SourceRepository


# GitHub gives a repository it creates these labels (an organization may set its own instead): each
# one the original lacks is deleted afterwards (repository.py: remove_default_labels).
GITHUB_DEFAULT_LABELS = frozenset({"bug", "documentation", "duplicate", "enhancement", "good first issue",
                                   "help wanted", "invalid", "question", "wontfix"})


def planned_writes(repo: SourceRepository, with_access: bool) -> Counter:
    """The writes a restore of `repo` makes at most (the dry run's counts, the progress total)."""
    discussions = {d.get("number") for d in repo.discussions}  # a gap that was a discussion is that discussion
    items = Counter("discussion" if item.kind == "gap" and item.number in discussions else item.kind
                    for item in repo.items)
    count = Counter(
        repository=1, labels=len(repo.labels), milestones=len(repo.milestones),
        default_labels=len(GITHUB_DEFAULT_LABELS - {str(label.get("name", "")).lower() for label in repo.labels}),
        issues=items["issue"], pulls=items["pull"], placeholders=items["gap"],
        closes=items["gap"] + sum(1 for i in repo.items if i.data.get("state") == "closed"),
        comments=sum(len(i.comments) for i in repo.items),
        review_comments=sum(len(i.review_comments) for i in repo.items),
        reviews=sum(len(i.reviews) for i in repo.items),
        pull_fields=sum(1 for i in repo.items if i.kind == "pull" and pull_fields(i, {})),
        # a merged pull request: the open GitHub refuses, its temporary base's create and delete; a
        # closed one whose head branch is gone: its temporary head's create and delete
        temporary_branch_writes=sum(3 * is_merged(i.data) + 2 * head_of_a_closed_pull_is_gone(i.data, repo.refs)
                                    for i in repo.items if i.kind == "pull"),
        releases=len(repo.releases), assets=sum(len(r.assets) for r in repo.releases),
        settings=1 + int(bool(repo.record.get("archived"))),
    )
    for planned in (planned_settings_writes, planned_environment_writes, planned_ruleset_writes):
        count.update(planned(repo))
    count.update(planned_discussion_writes(repo.discussions, repo.settings))
    if with_access:
        count["protections"] = len(repo.protection)
        count["collaborators"] = len(repo.collaborators)
    return +count
