"""A repository's teams from the organization's listings (orgbackup/backup/parts/team_access.py):
the pure parts (permissions, when it is worth it, the teams of each repository)."""

from __future__ import annotations

from orgbackup.backup.parts import team_access


def test_pure_parts():
    assert team_access.rest_permission({"pull": True, "triage": True, "push": True}) == "push"
    assert team_access.rest_permission({"pull": True}) == "pull"
    assert team_access.rest_permission({}) is None
    assert not team_access.worth_it(10)
    assert team_access.worth_it(100) and team_access.worth_it(100, teams=40)
    assert not team_access.worth_it(100, teams=60)
    teams = [{"slug": "core", "name": "Core"}, {"slug": "art", "name": "Art"}]
    repositories_of = {"core": [{"name": "godot", "permissions": {"pull": True, "push": True}}],
                       "art": [{"name": "godot", "permissions": {"pull": True}},
                               {"name": "assets", "permissions": {"pull": True, "admin": True}}]}
    assert team_access.teams_by_repository(teams, repositories_of) == {
        "godot": [{"slug": "core", "name": "Core", "permission": "push", "permissions": {"pull": True, "push": True}},
                  {"slug": "art", "name": "Art", "permission": "pull", "permissions": {"pull": True}}],
        "assets": [{"slug": "art", "name": "Art", "permission": "admin",
                    "permissions": {"pull": True, "admin": True}}]}
