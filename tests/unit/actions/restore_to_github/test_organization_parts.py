"""What the organization's access parts plan from a backup's organization/ folder: teams parents first
(a child listed ahead of its parent, a parent of another organization's, a loop), the dry run's counts
of each part, and none of them without --with-access."""

from __future__ import annotations

import json
from pathlib import Path

from orgbackup.actions.restore_to_github.organization import planned_organization_writes
from orgbackup.actions.restore_to_github.source import SourceOrganization
from orgbackup.actions.restore_to_github.teams import backed_up_teams


def team(team_id: int, slug: str, parent: int | None, members: int = 0, repositories: int = 0) -> dict:
    return {"id": team_id, "slug": slug, "name": slug.title(), "privacy": "closed",
            "parent": {"id": parent, "slug": f"team-{parent}"} if parent else None,
            "members": [{"login": f"user{i}", "role": "member"} for i in range(members)],
            "repositories": [{"name": f"repo{i}", "permission": "write"} for i in range(repositories)]}


def organization(tmp_path: Path, **files) -> SourceOrganization:
    folder = tmp_path / "acme" / "organization"
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / f"{name.replace('_', '-')}.json").write_text(json.dumps(content))
    return SourceOrganization(org="acme", directory=tmp_path / "acme", manifest={}, attachments={})


def test_teams_come_parents_first_whatever_the_listing_order(tmp_path):
    source = organization(tmp_path, teams=[team(3, "grandchild", 2), team(2, "child", 1), team(1, "root", None),
                                           team(4, "elsewhere", 99), team(5, "loop-a", 6), team(6, "loop-b", 5)])
    order = [t["slug"] for t in backed_up_teams(source)]
    assert order.index("root") < order.index("child") < order.index("grandchild")
    assert set(order) == {"root", "child", "grandchild", "elsewhere", "loop-a", "loop-b"}


def test_the_dry_run_counts_each_part_only_with_access(tmp_path):
    source = organization(
        tmp_path, teams=[team(1, "root", None, members=2, repositories=3), team(2, "child", 1, members=1)],
        actions_variables={"total_count": 2, "variables": [{"name": "A", "value": "1", "visibility": "all"},
                                                           {"name": "B", "value": "2", "visibility": "private"}]},
        actions_secrets={"total_count": 1, "secrets": [{"name": "S"}]},
        rulesets=[{"id": 7, "name": "Main", "enforcement": "active"}],
        hooks=[{"id": 8, "name": "web", "config": {"url": "https://x.invalid"}}, {"id": 9, "name": "travis"}])
    assert planned_organization_writes(source, with_access=True) == {
        "teams": 2, "team members": 3, "team repositories": 3, "actions variables": 2, "rulesets": 1, "webhooks": 1}
    assert planned_organization_writes(source, with_access=False) == {}
    assert planned_organization_writes(organization(tmp_path / "empty"), with_access=True) == {}
