"""A repository's own rulesets put back (POST .../rulesets).

What the backup holds (backup/parts/repository_settings.py: rulesets_in_full): settings/<NAME>/
rulesets.json, every ruleset that applies to the repository as GET .../rulesets/{id} answers it:
its own (source_type Repository) and its organization's, which the organization's restore is for
and which are left out here.

Bypass actors are given by id: a team's is found by slug in the target (the backup's
organization/teams.json names the source's id; target_accounts.py), a user's and an app's ids are
GitHub's own, kept when the target is on the same GitHub and left out otherwise; organization
admins, repository roles and deploy keys are kept as they are. A left-out actor is named for a person.

A ruleset is created once per original id (create_once); the target's own ruleset of the same name
is matched (GitHub refuses a second one of a name: 422), so a rerun after a kill makes none twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Callable

from orgbackup.actions.restore_to_github.repository_settings import Listing, read_json
from orgbackup.actions.restore_to_github.target_accounts import TargetAccounts, source_team_slugs
from orgbackup.actions.restore_to_github.writer import WriteRefused

log = logging.getLogger(__name__)

RULESETS = "rulesets"
KEPT_AS_THEY_ARE = ("OrganizationAdmin", "RepositoryRole", "DeployKey")
GITHUB_WIDE_IDS = ("User", "Integration")  # the same id is the same user or app on one GitHub


def own_rulesets(rulesets: list[dict]) -> list[dict]:
    """The repository's own rulesets, not those its organization (or enterprise) applies to it."""
    return [r for r in rulesets if (r.get("source_type") or "Repository") == "Repository"]


def backed_up_rulesets(repo) -> list[dict] | None:
    """The backup's own rulesets of a repository (None: not in the backup). repo: source.SourceRepository."""
    held = read_json(repo.settings_folder / "rulesets.json")
    return None if held is None else own_rulesets(held)


def planned_ruleset_writes(repo) -> Counter:
    return +Counter({RULESETS: len(backed_up_rulesets(repo) or [])})


def bypass_actors_in_target(actors: list[dict], *, team_slugs: dict[int, str],
                            team_id: Callable[[str], int | None], same_host: bool) -> tuple[list[dict], list[str]]:
    """(the actors as the target takes them, the left-out ones in words)."""
    kept, left_out = [], []
    for actor in actors:
        kind, actor_id = actor.get("actor_type"), actor.get("actor_id")
        mode = actor.get("bypass_mode") or "always"
        if kind in KEPT_AS_THEY_ARE or (kind in GITHUB_WIDE_IDS and same_host):
            kept.append({"actor_id": actor_id, "actor_type": kind, "bypass_mode": mode})
        elif kind == "Team":
            slug = team_slugs.get(actor_id)
            target_id = team_id(slug) if slug else None
            if target_id is None:
                left_out.append(f"team {slug or f'id {actor_id}'} (no such team in the target organization)")
            else:
                kept.append({"actor_id": target_id, "actor_type": "Team", "bypass_mode": mode})
        else:
            what = {"User": "user", "Integration": "app"}.get(kind, kind)
            left_out.append(f"{what} id {actor_id} (an id of the original's GitHub)")
    return kept, left_out


def ruleset_body(ruleset: dict, bypass_actors: list[dict] | None) -> dict:
    """GET .../rulesets/{id}'s ruleset -> POST .../rulesets's body (None: the backup has no bypass
    actors, which GitHub shows only to those who may edit the ruleset)."""
    body = {"name": ruleset["name"], "target": ruleset.get("target") or "branch",
            "enforcement": ruleset.get("enforcement") or "disabled",
            "rules": [{"type": rule["type"], **({"parameters": rule["parameters"]} if rule.get("parameters") else {})}
                      for rule in ruleset.get("rules") or [] if rule.get("type")]}
    if ruleset.get("conditions"):
        body["conditions"] = ruleset["conditions"]
    if bypass_actors is not None:
        body["bypass_actors"] = bypass_actors
    return body


class RulesetsRestore:
    """The own rulesets of one repository, through its SettingsRestore (writer, state, report); an
    organization's (organization_settings.py) through its own, with its SOURCE_TYPE and listing."""

    SOURCE_TYPE = "Repository"
    LISTING = {"includes_parents": "false"}  # GET .../rulesets's query: the repository's own only

    def __init__(self, settings):
        self.settings, self.step, self.w, self.state = settings, settings.step, settings.w, settings.state
        self.accounts = TargetAccounts(self.w, self.step.target.org, self.step.target.accounts)

    def run(self) -> None:
        self.settings.guarded(RULESETS, self.rulesets, backed_up_rulesets(self.step.repo))

    def rulesets(self, rulesets: list[dict]) -> None:
        path = f"{self.settings.path}/rulesets"
        listing = Listing(lambda: self.w.read_all(path, self.LISTING))
        for ruleset in rulesets:
            key = self.step.key("ruleset", ruleset["id"])
            if self.state.done_target("ruleset", key) is not None:
                continue
            name = ruleset["name"]

            def same(found, name=name):
                return (found.get("name") or "").lower() == name.lower() and \
                    (found.get("source_type") or self.SOURCE_TYPE) == self.SOURCE_TYPE
            existing = self.settings.unrecorded("ruleset", key) and listing.find(same)
            if existing:
                self.settings.matched("ruleset", key, existing, f"ruleset {name}")
                continue
            actors, left_out = None, []
            if "bypass_actors" in ruleset:
                actors, left_out = bypass_actors_in_target(
                    ruleset["bypass_actors"] or [], team_slugs=source_team_slugs(self.step.source.directory),
                    team_id=self.accounts.team_id, same_host=self.step.target.same_host)
            body = ruleset_body(ruleset, actors)
            try:
                self.settings.post_once("ruleset", key, path, body, f"ruleset {name}", listing, same)
            except WriteRefused as exc:
                found = exc.status == 422 and listing.find(same, fresh=True)
                if not found:
                    raise
                self.settings.matched("ruleset", key, found, f"ruleset {name}")  # made since the listing
                continue
            self.settings.count(RULESETS)
            if left_out:
                self.settings.for_a_person(
                    f"ruleset {name!r}: bypass actors left out: {'; '.join(left_out)}; add who may bypass it in "
                    f"{self.settings.where} (Settings > Rules > Rulesets)")
