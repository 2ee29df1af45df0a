"""The `organization` part: the organization itself, its people, teams, hooks, rulesets
and Actions variables and secrets, one JSON file per piece under CACHE/<ORG>/organization/.
Pieces are fetched whole or not at all, as in the settings part (see repository_settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orgbackup.backup.parts.common import PartOutcome
from orgbackup.backup.parts.repository_settings import FAILED, Pieces, save_actions_variables_and_secrets

PART = "organization"
MEMBER_ROLES = ("admin", "member")  # GET /orgs/{org}/members?role=...
TEAM_ROLES = ("maintainer", "member")  # GET /orgs/{org}/teams/{slug}/members?role=...
# Highest first: a repository object's `permissions` when it has no `role_name`.
PERMISSIONS = (("admin", "admin"), ("maintain", "maintain"), ("push", "write"), ("triage", "triage"),
               ("pull", "read"))


def back_up_organization(ctx, org: str, folder: Path) -> PartOutcome:
    """organization/*.json for one organization."""
    outcome = PartOutcome(PART, org)
    pieces = Pieces(ctx.api, outcome)
    base = f"orgs/{org}"
    folder = Path(folder)

    pieces.save(folder, "organization.json", pieces.get("organization", base))

    members = members_with_roles(pieces, base)
    if pieces.save(folder, "members.json", members):
        outcome.count("members", len(members), len(members))

    for name, what, kind, path in (
        ("outside-collaborators.json", "outside-collaborators", "outside collaborators", "/outside_collaborators"),
        ("hooks.json", "hooks", "hooks", "/hooks"),
    ):
        items = pieces.listing(what, base + path)
        if pieces.save(folder, name, items):
            outcome.count(kind, len(items), len(items))

    teams = teams_in_full(pieces, base)
    if pieces.save(folder, "teams.json", teams):
        outcome.count("teams", len(teams), len(teams))
        held = sum(len(t["members"]) for t in teams)
        outcome.count("team members", held, held)

    rulesets = pieces.listing("rulesets", base + "/rulesets")
    if rulesets is not FAILED:
        full = []
        for ruleset in rulesets:
            got = pieces.get("rulesets", f"{base}/rulesets/{ruleset['id']}")
            if got is FAILED:
                full = FAILED
                break
            full.append(got)
        if pieces.save(folder, "rulesets.json", full):
            outcome.count("rulesets", len(full), len(rulesets))

    save_actions_variables_and_secrets(pieces, base, folder)
    return outcome


def members_with_roles(pieces: Pieces, base: str) -> Any:
    """[{"login", "id", "role"}] from the two role listings (GitHub's member objects carry
    no role), sorted by login; or FAILED."""
    members = []
    for role in MEMBER_ROLES:
        listed = pieces.listing("members", base + "/members", {"role": role})
        if listed is FAILED:
            return FAILED
        members += [{"login": m["login"], "id": m.get("id"), "role": role} for m in listed]
    return sorted(members, key=lambda m: m["login"].lower())


def teams_in_full(pieces: Pieces, base: str) -> Any:
    """Each team as listed (with its `parent`) plus `members` [{"login", "role"}] and
    `repositories` [{"name", "permission"}]; or FAILED."""
    teams = pieces.listing("teams", base + "/teams")
    if teams is FAILED:
        return FAILED
    for team in teams:
        team.setdefault("parent", None)
        members = []
        for role in TEAM_ROLES:
            listed = pieces.listing("teams", f"{base}/teams/{team['slug']}/members", {"role": role})
            if listed is FAILED:
                return FAILED
            members += [{"login": m["login"], "role": role} for m in listed]
        team["members"] = sorted(members, key=lambda m: m["login"].lower())
        repos = pieces.listing("teams", f"{base}/teams/{team['slug']}/repos")
        if repos is FAILED:
            return FAILED
        team["repositories"] = [{"name": r["name"], "permission": permission_of(r)} for r in repos]
    return teams


def permission_of(repo: dict) -> str | None:
    """The team's role on a repository: `role_name` as GitHub gives it, else the highest
    of `permissions`."""
    if repo.get("role_name"):
        return repo["role_name"]
    granted = repo.get("permissions") or {}
    return next((role for key, role in PERMISSIONS if granted.get(key)), None)
