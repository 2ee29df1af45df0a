"""restore-to-github --with-access: the organization's own parts against the emulator (real restic,
git and the emulator's write side): its teams (parents, members and roles, repository permissions),
Actions variables, rulesets (bypass actors mapped) and webhooks, checked by backing the copy up and
comparing it with the original part by part; a kill among the teams and reruns; a token of a member
who is not an owner, whose access parts are skipped with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.github_emulator.mutate import write_world
from tests.support.cli import ORG
from tests.support.restore_to_github import (TARGET, WIKIS, as_a_kill_leaves, backup_org, newest_tree,
                                             restore_process, to_github, wait_until)

GHOST = "ghost-of-docs"  # a team member GitHub does not know on the target's host
ACCESS_KINDS = ("team", "team member", "team repository", "organization variable", "ruleset", "webhook")


def prepare_worlds(root: Path) -> None:
    """The original's ruleset bypassed by a team too, and a team member unknown on this GitHub; the target
    has alice and bob as members (carol is not: GitHub invites her)."""
    def change(b):
        org = b.world["orgs"][ORG]
        engineering = next(t for t in org["teams"] if t["slug"] == "engineering")
        org["rulesets"][0]["bypass_actors"].append(
            {"actor_id": engineering["id"], "actor_type": "Team", "bypass_mode": "pull_request"})
        docs = next(t for t in org["teams"] if t["slug"] == "docs-team")
        docs["members"].append({"login": GHOST, "role": "member"})
        b.world["orgs"][TARGET]["members"] = [{"login": "alice", "role": "admin"}, {"login": "bob", "role": "member"}]
    write_world(root, change)


def organization_file(tree: Path, name: str):
    return json.loads((tree / "organization" / name).read_text())


def teams_of(tree: Path, leave_out: set[str] = frozenset()) -> dict:
    """slug -> what a team is, as the backup holds it: the people in `leave_out` left out."""
    return {team["slug"]: {"name": team["name"], "description": team["description"], "privacy": team["privacy"],
                           "parent": (team.get("parent") or {}).get("slug"),
                           "members": sorted((m["login"], m["role"]) for m in team["members"]
                                             if m["login"] not in leave_out),
                           "repositories": sorted((r["name"], r["permission"]) for r in team["repositories"])}
            for team in organization_file(tree, "teams.json")}


def variables_of(tree: Path) -> dict:
    """name -> (value, visibility, the selected repositories' names: None for another visibility)."""
    return {v["name"]: (v["value"], v["visibility"], v.get("selected_repositories"))
            for v in organization_file(tree, "actions-variables.json")["variables"]}


def rulesets_of(tree: Path) -> dict:
    """name -> the ruleset, its team bypass actors by slug (ids differ between the two organizations)."""
    slugs = {team["id"]: team["slug"] for team in organization_file(tree, "teams.json")}
    out = {}
    for ruleset in organization_file(tree, "rulesets.json"):
        actors = sorted((a["actor_type"], slugs.get(a["actor_id"]) if a["actor_type"] == "Team" else a["actor_id"],
                         a["bypass_mode"]) for a in ruleset["bypass_actors"])
        out[ruleset["name"]] = {key: ruleset[key] for key in ("target", "enforcement", "conditions", "rules")} | {
            "bypass_actors": actors}
    return out


def hooks_of(tree: Path) -> dict:
    return {h["config"]["url"]: (sorted(h["events"]), h["config"]["content_type"], h["active"])
            for h in organization_file(tree, "hooks.json")}


def made_in_target(root: Path) -> dict:
    """What the target organization holds of the access parts, duplicates visible (lists, not sets)."""
    org = json.loads((root / "world.json").read_text())["orgs"][TARGET]
    return {"teams": sorted(t["slug"] for t in org.get("teams", [])),
            "members": sorted((t["slug"], m["login"], m["role"]) for t in org.get("teams", [])
                              for m in t["members"] + t.get("pending_members", [])),
            "repositories": sorted((t["slug"], name, p) for t in org.get("teams", []) for name, p in t["repos"].items()),
            "variables": sorted(v["name"] for v in org.get("variables", [])),
            "rulesets": sorted(r["name"] for r in org.get("rulesets", [])),
            "hooks": sorted(h["config"]["url"] for h in org.get("org_hooks", []))}


def test_with_access_round_trip_of_the_organizations_parts(restore_env, github_emulator, world_root, tmp_path,
                                                           capsys):
    env = restore_env
    prepare_worlds(world_root)
    backup_org(env, ORG, capsys)
    source = newest_tree(env, ORG, tmp_path / "source")
    teams = teams_of(source)
    assert len(teams) == 3 and teams["rendering"]["parent"] == "engineering", teams

    status, plan, out = to_github(env, capsys, "--dry-run", "--with-access")
    assert status == 0
    planned = plan["planned"]
    assert (planned["teams"], planned["team members"], planned["team repositories"]) == (
        3, sum(len(t["members"]) for t in teams.values()), sum(len(t["repositories"]) for t in teams.values()))
    organization = next(line for line in out.splitlines() if line.lstrip().startswith("(organization)"))
    assert "3 teams" in organization and "2 webhooks" in organization, organization

    status, first, out = to_github(env, capsys, "--with-access")
    assert status == 3, first  # the wikis: GitHub has no API that makes one
    assert sorted(line.split(":")[0] for line in first["problems"]) == sorted(WIKIS), first["problems"]
    print(f"content requests: planned {plan['content_requests']}, sent {first['content_requests']}")
    assert abs(first["content_requests"] - plan["content_requests"]) <= 0.02 * plan["content_requests"]
    made = first["created"]
    assert made["teams"] == 3 and made["team members"] == sum(len(t["members"]) for t in teams.values()) - 1
    person = [line for line in first["for_a_person"] if line.startswith("(organization)")]
    notes = [line for line in first["notices"] if line.startswith("(organization)")]
    assert any(GHOST in line and "not a user on this GitHub" in line for line in person), person
    assert any("SIGNING_KEY, DOCKER_PASSWORD" in line for line in person), person
    assert sum("org-hook" in line and "created inactive" in line for line in person) == 2, person
    assert any("@carol is not a member" in line and "invited" in line for line in notes), notes
    assert sum("@emulator-admin its maintainer" in line for line in notes) == 3, notes

    backup_org(env, TARGET, capsys)
    copy = newest_tree(env, TARGET, tmp_path / "copy")
    # The copy's teams as the original's, but for the token's user GitHub added to each (noted), the
    # unknown user (for a person) and carol, invited (a member once she accepts).
    want = teams_of(source, {GHOST, "carol"})
    got = teams_of(copy, {"emulator-admin"})
    for slug in teams:
        assert got[slug] == want[slug], slug
    assert set(got) == set(want)
    assert variables_of(copy) == variables_of(source) and len(variables_of(source)) == 2
    assert variables_of(source)["GODOT_VERSION"] == ("4.2", "selected", ["game", "godot"])
    assert rulesets_of(copy) == rulesets_of(source)
    assert ("Team", "engineering", "pull_request") in rulesets_of(copy)["Protect default branches"]["bypass_actors"]
    assert {url: (events, kind) for url, (events, kind, _) in hooks_of(copy).items()} == \
        {url: (events, kind) for url, (events, kind, _) in hooks_of(source).items()}
    assert all(not active for _, _, active in hooks_of(copy).values())  # inactive until a person sets the secret
    print("round trip, source -> copy:",
          {"teams": (len(teams), len(got)),
           "team members": (sum(len(t["members"]) for t in teams.values()),
                            sum(len(t["members"]) for t in got.values())),
           "team repositories": (sum(len(t["repositories"]) for t in teams.values()),
                                 sum(len(t["repositories"]) for t in got.values())),
           "variables": (len(variables_of(source)), len(variables_of(copy))),
           "rulesets": (len(rulesets_of(source)), len(rulesets_of(copy))),
           "hooks": (len(hooks_of(source)), len(hooks_of(copy)))})


def test_a_kill_among_the_teams_then_reruns_make_none_twice(restore_env, github_emulator, world_root, tmp_path,
                                                           capsys):
    env = restore_env
    prepare_worlds(world_root)
    backup_org(env, ORG, capsys)

    github_emulator.set_faults(latency_ms=250)  # every request slow: the kill lands among the teams
    proc = restore_process(env, "--with-access")
    wait_until(lambda: len(made_in_target(world_root)["teams"]) >= 2, proc, limit=180)
    proc.kill()
    proc.communicate(timeout=60)
    killed = made_in_target(world_root)
    github_emulator.set_faults()
    print("made when killed:", killed)
    assert 2 <= len(killed["teams"]) <= 3 and not killed["repositories"], killed

    status, first, _ = to_github(env, capsys, "--with-access")
    assert status == 3, first  # the wikis
    after = made_in_target(world_root)
    assert after["teams"] == ["docs-team", "engineering", "rendering"], after
    assert len(after["members"]) == len(set(after["members"])) == 3 + 4  # the backup's 5 but the unknown user, and the token's user in each
    assert len(after["repositories"]) == 6 and len(after["variables"]) == 2, after
    assert len(after["rulesets"]) == 1 and len(after["hooks"]) == 2, after

    # The state a kill leaves between each create and its record: every row pending; GitHub has them all.
    marks = ",".join("?" * len(ACCESS_KINDS))
    rows = sum(as_a_kill_leaves(env, f"kind IN ({marks}) AND key LIKE '@organization/%'", ACCESS_KINDS).values())
    status, second, _ = to_github(env, capsys, "--with-access")
    assert status == 3, second
    print(f"rerun over {rows} pending rows:", second["created"], "adopted", second["adopted"])
    assert second["adopted"] == 3 + 1 + 2  # teams, the ruleset, the webhooks: found, not made again
    assert made_in_target(world_root) == after


def test_a_token_without_owner_rights_skips_the_access_parts_with_the_reason(
        restore_env, github_emulator, world_root, tmp_path, capsys):
    """bob is a member of the target, may create repositories there and administers those he makes, but
    owns nothing: GitHub refuses him the organization's parts; the repositories are restored."""
    prepare_worlds(world_root)
    token_file = tmp_path / "member.token"
    token_file.write_text(github_emulator.add_token("bob", admin=True, owner=False))
    backup_org(restore_env, ORG, capsys)
    env = dict(restore_env, RESTORE_GITHUB_TOKEN_FILE=str(token_file))

    status, last, out = to_github(env, capsys, "--with-access")
    assert status == 3, last
    refused = [line for line in last["problems"] if line.startswith("(organization)")]
    print("\n".join(refused))
    parts = ("teams", "organization Actions variables", "organization rulesets", "organization webhooks")
    assert sorted(line.split(": ")[1].split(" not restored")[0] for line in refused) == sorted(parts), refused
    assert all("HTTP 403" in line or "403" in line for line in refused), refused
    assert all(f"only an owner of {TARGET}" in line for line in refused), refused
    assert sorted(line.split(":")[0] for line in last["problems"] if not line.startswith("(organization)")) == \
        sorted(WIKIS)
    assert last["restored"] == last["repositories"] - len(WIKIS) and last["repositories"] == 10, last
    held = made_in_target(world_root)
    assert held == {"teams": [], "members": [], "repositories": [], "variables": [], "rulesets": [], "hooks": []}
    assert "missing: teams not restored" in out
