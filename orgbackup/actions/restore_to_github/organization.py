"""The organization's own parts, around its repositories: one Step, the report's `(organization)` row.

command.py runs `before` ahead of the repositories and `after` once they are all restored, and
only when the whole organization is restored (no --repo: a project's items and a team's
repositories are the organization's repositories):

  before  what the repositories' own parts point at: with --with-access, the teams (parents first)
          and their members, so that environments' reviewers and rulesets' bypass actors find them
  after   what points at the repositories: projects (v2), whose items are the restored issues and
          pull requests; with --with-access, the teams' repository permissions, the organization's
          Actions variables, rulesets and webhooks

Each part is a class taking this step (its writer `w`, `state`, `key`, `count`, `problem`,
`for_a_person`, `source`, `target`) with a `run()`, and a `planned(source, with_access)` function
giving the dry run's counts; BEFORE and AFTER list them in their order.
"""

from __future__ import annotations

from collections import Counter

from orgbackup.cache.layout import OrgPaths
from orgbackup.actions.restore_to_github.organization_settings import (
    OrganizationRulesets, OrganizationVariables, OrganizationWebhooks, planned_ruleset_writes,
    planned_variable_writes, planned_webhook_writes)
from orgbackup.actions.restore_to_github.projects import ProjectsRestore, planned_project_writes
from orgbackup.actions.restore_to_github.step import Outcome, Step
from orgbackup.actions.restore_to_github.teams import (NOT_AN_OWNER, TeamRepositories, Teams,
                                                       planned_permission_writes, planned_team_writes)

ORGANIZATION = "(organization)"  # the report's row; no repository has this name
KEY_PREFIX = "@organization"     # the state's keys (no repository's name starts with "@")

# (part's name, its class, its dry run's counts, with --with-access only)
BEFORE: list[tuple] = [
    ("teams", Teams, planned_team_writes, True),
]
AFTER: list[tuple] = [
    ("teams' repository permissions", TeamRepositories, planned_permission_writes, True),
    ("organization Actions variables", OrganizationVariables, planned_variable_writes, True),
    ("organization rulesets", OrganizationRulesets, planned_ruleset_writes, True),
    ("organization webhooks", OrganizationWebhooks, planned_webhook_writes, True),
    ("projects", ProjectsRestore, planned_project_writes, False),
]


def planned_organization_writes(source, with_access: bool) -> Counter:
    """The writes the organization's parts make at most (the dry run's counts)."""
    count = Counter()
    for _, _, planned, access_only in BEFORE + AFTER:
        if with_access or not access_only:
            count.update(planned(source))
    return +count


class OrganizationRestore(Step):
    def __init__(self, writer, source, target):
        super().__init__(writer, target, ORGANIZATION, KEY_PREFIX)
        self.source = source
        self.paths = OrgPaths(source.directory)  # organization/, projects/ of the backup

    def before(self) -> Outcome:
        return self._run(BEFORE)

    def after(self) -> Outcome:
        return self._run(AFTER)

    def _run(self, parts) -> Outcome:
        for name, part, _, access_only in parts:
            if access_only and not self.target.with_access:
                continue
            self.guarded(name, part(self).run, lambda status: self.owner_hint(status, access_only))
        return self.outcome

    def owner_hint(self, status: int, access_only: bool) -> str:
        """Why GitHub refuses an access part most often: the token's user does not own the organization."""
        if access_only and status in NOT_AN_OWNER:
            return (f"; GitHub lets only an owner of {self.target.org} do this: run the same command again with "
                    f"an owner's token")
        return ""
