"""The REST parts against the emulator's documented page limits (orgbackup/github/pages.py,
tests/github_emulator/page_limits.py): Actions variables beyond a page of 30 at each level
(organization, repository, environment), and rulesets beyond a page of 100 answered without a
Link header, all backed up."""

from __future__ import annotations

import pytest

import json
from pathlib import Path

import requests

from orgbackup.backup.parts import organization, repository_settings
from tests.github_emulator.mutate import add_rulesets, add_variables
from tests.support.run_context import ORG, make_context

MANY = 45  # more than the 30 a page of variables holds
RULESETS = 120  # more than the 100 a page of rulesets holds


def read(path: Path):
    return json.loads(Path(path).read_text())


def test_variables_beyond_a_page_of_30_are_kept_at_each_level(github_emulator, world_root, tmp_path, monkeypatch):
    org_added = add_variables(world_root, ORG, MANY, prefix="ORG_BULK")
    repo_added = add_variables(world_root, ORG, MANY, repo="godot", prefix="REPO_BULK")
    env_added = add_variables(world_root, ORG, MANY, repo="godot", environment="staging", prefix="ENV_BULK")
    ctx = make_context(github_emulator, tmp_path, monkeypatch)

    folder = ctx.org_paths(ORG).root / "organization"
    outcome = organization.back_up_organization(ctx, ORG, folder)
    assert not outcome.problems and not outcome.mismatches(), outcome
    saved = {v["name"]: v["value"] for v in read(folder / "actions-variables.json")["variables"]}
    assert org_added.items() <= saved.items() and len(saved) == MANY + 2
    assert outcome.saved["variables"] == outcome.expected["variables"] == MANY + 2

    godot = ctx.api.get(f"repos/{ORG}/godot")
    folder = ctx.org_paths(ORG).root / "settings" / "godot"
    github_emulator.reset_counters()
    outcome = repository_settings.back_up_settings(ctx, ORG, godot, folder)
    assert not outcome.problems and not outcome.mismatches(), outcome
    saved = {v["name"]: v["value"] for v in read(folder / "actions-variables.json")["variables"]}
    assert repo_added.items() <= saved.items() and len(saved) == MANY + 2
    staging = next(e for e in read(folder / "environments.json")["environments"] if e["name"] == "staging")
    assert {v["name"]: v["value"] for v in staging["variables"]} == env_added
    assert outcome.saved["variables"] == MANY + 2 and outcome.saved["environment variables"] == MANY + 1
    # two pages of 30 each (47 and 45): no page asked beyond the count
    routes = github_emulator.routes()
    assert routes["GET list_repo_variables"] == 2 and routes["GET list_environment_variables"] == 1 + 2


def test_rulesets_beyond_a_page_of_100_are_kept_without_a_link_header(github_emulator, world_root, tmp_path,
                                                                       monkeypatch):
    repo_names = add_rulesets(world_root, ORG, RULESETS, repo="game", prefix="Repo bulk")
    org_names = add_rulesets(world_root, ORG, RULESETS, prefix="Org bulk")
    ctx = make_context(github_emulator, tmp_path, monkeypatch)

    folder = ctx.org_paths(ORG).root / "organization"
    outcome = organization.back_up_organization(ctx, ORG, folder)
    assert not outcome.problems and not outcome.mismatches(), outcome
    names = [r["name"] for r in read(folder / "rulesets.json")]
    assert names[1:] == org_names and len(names) == RULESETS + 1

    game = ctx.api.get(f"repos/{ORG}/game")
    folder = ctx.org_paths(ORG).root / "settings" / "game"
    outcome = repository_settings.back_up_settings(ctx, ORG, game, folder)
    assert not outcome.problems and not outcome.mismatches(), outcome
    names = [r["name"] for r in read(folder / "rulesets.json")]
    assert names[:RULESETS] == repo_names and all("rules" in r for r in read(folder / "rulesets.json"))


@pytest.mark.contract_exempt("asks per_page beyond the maxima, to see the emulator cap them")
def test_the_emulator_serves_the_documented_limits(github_emulator, world_root, tmp_path, monkeypatch):
    add_variables(world_root, ORG, MANY, prefix="ORG_BULK")
    add_rulesets(world_root, ORG, RULESETS, repo="game")
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    api = ctx.api.url

    def get(path, **params):
        answer = requests.get(api(path), params=params, headers=ctx.api.authorization(), verify=ctx.api.verify)
        answer.raise_for_status()
        return answer

    variables = get(f"orgs/{ORG}/actions/variables", per_page=100)
    assert len(variables.json()["variables"]) == 30 and variables.json()["total_count"] == MANY + 2
    assert 'rel="next"' in variables.headers["Link"]
    assert len(get(f"orgs/{ORG}/actions/variables").json()["variables"]) == 10  # GitHub's default there
    rulesets = get(f"repos/{ORG}/game/rulesets", per_page=1000)
    assert len(rulesets.json()) == 100 and "Link" not in rulesets.headers
    assert len(get(f"repos/{ORG}/game/rulesets", per_page=100, page=2).json()) == RULESETS - 100  # game: no org ruleset
    assert len(get(f"repos/{ORG}/game/issues", per_page=1000, state="all").json()) <= 100
    assert len(get(f"repos/{ORG}/game/rulesets").json()) == 30
