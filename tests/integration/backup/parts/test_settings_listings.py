"""Collaborators and the rulesets' ids over GraphQL for many repositories at once
(orgbackup/backup/parts/settings_listings.py): the settings saved are those REST's
per-repository listings give, for fewer requests; a custom role or a refusal goes to REST.
Against the HTTPS emulator, both ways compared file by file."""

from __future__ import annotations

import json
from pathlib import Path

from orgbackup.backup.parts import repository_settings, settings_listings
from tests.github_emulator.mutate import write_world
from tests.support.run_context import ORG, make_context

COMPARED = ("collaborators.json", "rulesets.json")


def back_up(ctx, root: Path, with_listings: bool) -> dict:
    repos = ctx.api.org_repositories(ORG)
    listings = None
    if with_listings:
        listings = settings_listings.SettingsListings(ctx.api, ORG)
        listings.names = [r["name"] for r in repos]
    return {repo["name"]: repository_settings.back_up_settings(ctx, ORG, repo, root / repo["name"], None, listings)
            for repo in repos}


def files(root: Path) -> dict:
    return {(folder.name, name): json.loads((folder / name).read_text())
            for folder in sorted(root.iterdir()) for name in COMPARED if (folder / name).is_file()}


def collaborators_shape(people: list[dict]) -> list:
    """What a collaborator's entry says of access (REST's simple-user fields aside)."""
    return [(p["login"], p["id"], p["node_id"], p["role_name"], p["permissions"]) for p in people]


def every_repository_under_an_organization_ruleset(b) -> None:
    org = b.world["orgs"][ORG]
    org["rulesets"].append(dict(org["rulesets"][0], id=b.new_id(), name="No force-push anywhere",
                                conditions={"ref_name": {"include": ["~ALL"], "exclude": []},
                                            "repository_name": {"include": ["~ALL"], "exclude": []}}))


def test_graphql_listings_save_what_rest_saves_for_fewer_requests(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    write_world(emu.root, every_repository_under_an_organization_ruleset)
    ctx = make_context(emu, tmp_path, monkeypatch)
    repos = len(ctx.api.org_repositories(ORG))

    emu.reset_counters()
    by_rest = back_up(ctx, tmp_path / "rest", with_listings=False)
    rest_routes = emu.routes()
    emu.reset_counters()
    by_graphql = back_up(ctx, tmp_path / "graphql", with_listings=True)
    graphql_routes = emu.routes()

    for outcomes in (by_rest, by_graphql):
        assert all(not o.problems and not o.skipped and not o.mismatches() for o in outcomes.values()), outcomes
    assert {n: o.saved for n, o in by_graphql.items()} == {n: o.saved for n, o in by_rest.items()}
    rest, graphql = files(tmp_path / "rest"), files(tmp_path / "graphql")
    assert rest.keys() == graphql.keys() and len(rest) == 2 * repos
    for key in rest:
        if key[1] == "rulesets.json":
            assert graphql[key] == rest[key], key
        else:
            assert collaborators_shape(graphql[key]) == collaborators_shape(rest[key]), key
    assert sum(len(graphql[(name, "rulesets.json")]) for name in by_graphql) >= repos + 3  # the new one everywhere
    # GitHub lists a branch a ruleset protects as protected; its protection rule answers 404
    # "Branch not protected": branch-protection.json keeps the rules' protection only.
    protected = ctx.api.get(f"repos/{ORG}/shared-lib/branches", {"protected": "true"})
    assert [b["name"] for b in protected] == ["main"]
    for name, protection in (("shared-lib", set()), ("godot", {"main"})):
        assert set(json.loads((tmp_path / "graphql" / name / "branch-protection.json").read_text())) == protection

    # REST: one listing of each per repository and every ruleset fetched for each repository;
    # GraphQL: one query for all of them, the organization's rulesets fetched once each.
    assert rest_routes["GET list_collaborators"] == repos and rest_routes["GET list_repo_rulesets"] == repos
    assert "GET list_collaborators" not in graphql_routes and "GET list_repo_rulesets" not in graphql_routes
    own = sum(1 for (name, _), saved in graphql.items() if _ == "rulesets.json"
              for r in saved if r["source_type"] == "Repository")
    organization = {r["id"] for (name, _), saved in graphql.items() if _ == "rulesets.json"
                    for r in saved if r["source_type"] == "Organization"}
    assert graphql_routes["GET get_repo_ruleset"] == own + len(organization) == own + 2
    assert rest_routes["GET get_repo_ruleset"] > graphql_routes["GET get_repo_ruleset"] + repos - 2
    assert graphql_routes["POST graphql"] == 1  # 10 repositories: one batch
    saved_requests = sum(rest_routes.values()) - sum(graphql_routes.values())
    assert saved_requests >= 2 * repos - 1


def test_a_custom_role_or_a_refusal_is_asked_of_rest(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator

    def custom_role(b):
        rec = b.world["orgs"][ORG]["repos"]["godot"]
        rec["collaborators"][1]["role_name"] = "release-manager"  # a custom repository role on a write base
    write_world(emu.root, custom_role)
    ctx = make_context(emu, tmp_path, monkeypatch)
    emu.reset_counters()
    outcomes = back_up(ctx, tmp_path / "settings", with_listings=True)
    assert all(not o.problems and not o.skipped for o in outcomes.values())
    assert emu.routes()["GET list_collaborators"] == 1  # godot's only
    people = json.loads((tmp_path / "settings" / "godot" / "collaborators.json").read_text())
    assert "release-manager" in [p["role_name"] for p in people]

    # A token without push access: GraphQL answers null for collaborators; REST names the refusal.
    reader = make_context(emu, tmp_path, monkeypatch, token=emu.reader_token)
    outcomes = back_up(reader, tmp_path / "reader", with_listings=True)
    assert all(any("collaborators" in reason for reason in o.skipped) for o in outcomes.values()), outcomes
