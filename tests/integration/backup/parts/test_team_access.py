"""A repository's teams from the organization's listings (orgbackup/backup/parts/team_access.py):
the same answer as GitHub's `repos/ORG/NAME/teams`, for a listing per team instead of a request
per repository; nothing at all where it would not be cheaper.  The HTTPS emulator (the pure
parts: tests/unit/backup/parts/test_team_access.py)."""

from __future__ import annotations

from orgbackup.backup.parts import team_access
from tests.support.run_context import ORG, make_context


def test_every_repository_gets_what_github_answers_for_it(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    ctx = make_context(emu, tmp_path, monkeypatch)
    repos = ctx.api.org_repositories(ORG)
    teams = ctx.api.get(f"orgs/{ORG}/teams")
    access = team_access.TeamAccess(ctx.api, ORG, repositories=100)
    emu.reset_counters()
    found = {r["name"]: access.teams_of(r["name"]) for r in repos}
    # one listing of the teams, one of each team's repositories, whatever the number of repositories
    assert emu.routes() == {"GET list_org_teams": 1, "GET list_team_repos": len(teams)}
    assert any(found.values()) and not all(found.values())  # some repositories have teams, some none
    for repo in repos:
        assert found[repo["name"]] == ctx.api.get(f"repos/{ORG}/{repo['name']}/teams"), repo["name"]


def test_not_built_where_not_cheaper_nor_when_a_listing_fails(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    ctx = make_context(emu, tmp_path, monkeypatch)
    emu.reset_counters()
    assert team_access.TeamAccess(ctx.api, ORG, repositories=5).teams_of("godot") is None
    assert emu.routes() == {}
    emu.set_faults(api_502_fraction=1.0)
    try:
        failing = team_access.TeamAccess(ctx.api, ORG, repositories=100)
        assert failing.teams_of("godot") is None
    finally:
        emu.set_faults()
    assert failing.teams_of("docs") is None  # not tried again: each repository asks for itself
