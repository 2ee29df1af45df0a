"""The organization's own Actions variables, rulesets and webhooks put back (--with-access, once
its repositories are restored: a variable's selected repositories and a ruleset's conditions name
them); its Actions secrets named for a person.

What the backup holds (backup/parts/organization.py), under organization/:
  actions-variables.json  names, values, visibility (all, private or selected)
  actions-secrets.json    names only: GitHub never gives a secret's value
  rulesets.json           every ruleset as GET /orgs/{org}/rulesets/{id} answers it
  hooks.json              webhooks; a secret only as GitHub masks it

How each is written, as a repository's (repository_settings.py, rulesets.py), and why a rerun
(after a kill too) makes nothing twice:
  variables  by name (idempotent): POST /orgs/{org}/actions/variables, or PATCH where the target has
             the name with another value or visibility. A variable visible to selected repositories
             gets those the backup names that this restore made (their ids in the target)
  rulesets   create_once per original id; the target's ruleset of the same name matched; bypass
             actors mapped as a repository ruleset's (teams by slug)
  webhooks   create_once per original id, inactive; the target's of the same URL matched; each
             named for a person (set its secret, then activate it)
Every one needs the token of an owner of the target organization: GitHub answers another 403 or
404, which organization.py reports as the part not restored, and the restore goes on.
"""

from __future__ import annotations

from collections import Counter

from orgbackup.cache.layout import OrgPaths
from orgbackup.actions.restore_to_github.repository_settings import SettingsRestore, read_json
from orgbackup.actions.restore_to_github.rulesets import RULESETS, RulesetsRestore

VARIABLES, WEBHOOKS = "actions variables", "webhooks"


def backed_up_organization(source) -> dict:
    """What the backup holds of each part (None: not in the backup). source: source.SourceOrganization."""
    folder = OrgPaths(source.directory).organization
    variables = read_json(folder / "actions-variables.json")
    secrets = read_json(folder / "actions-secrets.json")
    return {VARIABLES: None if variables is None else variables.get("variables") or [],
            "secrets": None if secrets is None else [s["name"] for s in secrets.get("secrets") or []],
            RULESETS: read_json(folder / "rulesets.json"),
            WEBHOOKS: read_json(folder / "hooks.json")}


def planned_variable_writes(source) -> Counter:
    return +Counter({VARIABLES: len(backed_up_organization(source)[VARIABLES] or [])})


def planned_ruleset_writes(source) -> Counter:
    return +Counter({RULESETS: len(backed_up_organization(source)[RULESETS] or [])})


def planned_webhook_writes(source) -> Counter:
    return +Counter({WEBHOOKS: sum(1 for h in backed_up_organization(source)[WEBHOOKS] or []
                                   if h.get("name", "web") == "web")})


class OrganizationSettings(SettingsRestore):
    """SettingsRestore's ways (variables by name, post_once, matched, webhooks) on the organization's
    paths, through the OrganizationRestore `step` (its writer, state keys, outcome)."""

    def __init__(self, step):  # noqa: the repository's __init__ reads a repository's folder
        self.step, self.w, self.state = step, step.w, step.state
        self.path = f"orgs/{step.target.org}"
        self.where = step.target.org
        self.parts = backed_up_organization(step.source)

    def part(self, name: str, restore) -> None:
        """restore(the backup's part); one the backup lacks skipped. A refusal is organization.py's to report."""
        if self.parts[name] is not None:
            restore(self.parts[name])


class OrganizationVariables(OrganizationSettings):
    def run(self) -> None:
        if self.parts["secrets"]:
            self.for_a_person(f"Actions secrets {', '.join(self.parts['secrets'])}: GitHub never gives a secret's "
                              f"value, so the backup has their names only; set each in {self.where} (Settings > "
                              f"Secrets and variables > Actions) from where its value is kept, with the visibility "
                              f"it had")
        self.part(VARIABLES, lambda variables: self.variables(
            variables, kind="organization variable", part=VARIABLES, fields=self.visibility))

    def visibility(self, variable: dict) -> dict:
        """POST's visibility fields: the selected repositories as the target's ids of those this restore
        made (the backup names them when it could read them; else a person chooses them)."""
        visibility = variable.get("visibility") or "all"
        if visibility != "selected":
            return {"visibility": visibility}
        made = self.state.repositories()
        names = variable.get("selected_repositories")
        ids = [made[n.lower()]["id"] for n in names or [] if made.get(n.lower(), {}).get("id")]
        if names is None or len(ids) < len(names):
            self.for_a_person(f"Actions variable {variable['name']}: visible to selected repositories, "
                              f"{'which the backup does not name' if names is None else 'not all restored here'}; "
                              f"choose them in {self.where} (Settings > Secrets and variables > Actions)")
        return {"visibility": "selected", "selected_repository_ids": ids}


class OrganizationRulesets(RulesetsRestore):
    SOURCE_TYPE = "Organization"
    LISTING = None  # GET /orgs/{org}/rulesets lists the organization's own

    def __init__(self, step):
        super().__init__(OrganizationSettings(step))

    def run(self) -> None:
        self.settings.part(RULESETS, self.rulesets)


class OrganizationWebhooks(OrganizationSettings):
    def run(self) -> None:
        self.part(WEBHOOKS, self.webhooks)
