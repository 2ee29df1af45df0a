"""A repository's deployment environments put back: each with its protection rules, then its variables.

What the backup holds (backup/parts/repository_settings.py: environments_file): settings/<NAME>/
environments.json, GET .../environments's listing, each environment with its `variables` (null when
the token could not read them). Secrets of an environment are not in it (GitHub never gives their
values); should a backup list their names, they are named for a person.

How each is written, and why a rerun (after a kill too) makes nothing twice:
  environment  PUT .../environments/{name} (made or replaced by name: idempotent) with wait_timer,
               prevent_self_review, reviewers and deployment_branch_policy; once, then a done row.
               Reviewers are given by id: a user found by login, a team by slug in the target
               (target_accounts.py); one that is not there is left out and named for a person.
               Custom branch policies' name patterns are not in the backup: named for a person.
  variables    by name, as the repository's Actions variables (POST, or PATCH of another value)
"""

from __future__ import annotations

import logging
from collections import Counter
from urllib.parse import quote

from orgbackup.actions.restore_to_github.repository_settings import read_json
from orgbackup.actions.restore_to_github.target_accounts import TargetAccounts

log = logging.getLogger(__name__)

ENVIRONMENTS, ENVIRONMENT_VARIABLES = "environments", "environment variables"
# PUT .../environments/{name}: null is how these two say "none" (its description: nullable).
ENVIRONMENT_NULLABLE = ("reviewers", "deployment_branch_policy")


def backed_up_environments(repo) -> list[dict] | None:
    """The backup's environments of a repository (None: not in the backup). repo: source.SourceRepository."""
    held = read_json(repo.settings_folder / "environments.json")
    return None if held is None else held.get("environments") or []


def planned_environment_writes(repo) -> Counter:
    environments = backed_up_environments(repo) or []
    return +Counter({ENVIRONMENTS: len(environments),
                     ENVIRONMENT_VARIABLES: sum(len(e.get("variables") or []) for e in environments)})


def reviewers_of(environment: dict) -> list[tuple[str, str]]:
    """The required reviewers as (type, login or slug), as GET .../environments answers them."""
    out = []
    for rule in environment.get("protection_rules") or []:
        if rule.get("type") != "required_reviewers":
            continue
        for reviewer in rule.get("reviewers") or []:
            who = reviewer.get("reviewer") or {}
            name = who.get("login") if reviewer.get("type") == "User" else who.get("slug")
            if name:
                out.append((reviewer.get("type"), name))
    return out


def environment_body(environment: dict, reviewers: list[dict]) -> dict:
    """GET's environment -> PUT's body; `reviewers`: [{"type", "id"}] as the target knows them."""
    rules = environment.get("protection_rules") or []
    wait = next((rule.get("wait_timer") for rule in rules if rule.get("type") == "wait_timer"), 0)
    review = next((rule for rule in rules if rule.get("type") == "required_reviewers"), {})
    policy = environment.get("deployment_branch_policy")
    return {
        "wait_timer": int(wait or 0),
        "prevent_self_review": bool(review.get("prevent_self_review")),
        "reviewers": reviewers or None,
        "deployment_branch_policy": {"protected_branches": bool(policy.get("protected_branches")),
                                     "custom_branch_policies": bool(policy.get("custom_branch_policies"))}
        if policy else None,
    }


class EnvironmentsRestore:
    """The environments of one repository, through its SettingsRestore (writer, state, report)."""

    def __init__(self, settings):
        self.settings, self.step, self.w, self.state = settings, settings.step, settings.w, settings.state
        self.where = settings.where
        self.accounts = TargetAccounts(self.w, self.step.target.org, self.step.target.accounts)

    def run(self) -> None:
        self.settings.guarded(ENVIRONMENTS, self.environments, backed_up_environments(self.step.repo))

    def environments(self, environments: list[dict]) -> None:
        for environment in environments:
            name = environment["name"]
            path = f"{self.step.path}/environments/{quote(name, safe='')}"
            reviewers = self.reviewers(environment)
            key = self.step.key("environment", name.lower())
            if self.state.done_target("environment", key) is None:
                self.w.write("PUT", path, environment_body(environment, reviewers), what=f"environment {name}",
                             nullable=ENVIRONMENT_NULLABLE)
                self.state.mark_done("environment", key, {"name": name})
                self.settings.created(ENVIRONMENTS)
            policy = environment.get("deployment_branch_policy") or {}
            if policy.get("custom_branch_policies"):
                self.settings.for_a_person(
                    f"environment {name}: deploys only from the branches and tags its own name patterns allow, which "
                    f"the backup does not hold; add them in {self.where} (Settings > Environments > {name})")
            if environment.get("secrets"):
                self.settings.for_a_person(
                    f"environment {name}: secrets {', '.join(s['name'] for s in environment['secrets'])}: GitHub never "
                    f"gives a secret's value; set each in {self.where} (Settings > Environments > {name})")
            if environment.get("variables") is None:
                self.settings.for_a_person(f"environment {name}: its variables are not in the backup (the token "
                                           f"could not read them); set them in {self.where} by hand")
            elif environment["variables"]:
                self.settings.variables(environment["variables"], f"{path}/variables", "environment variable",
                                        ("environment", name.lower()))

    def reviewers(self, environment: dict) -> list[dict]:
        """The environment's reviewers as the target's ids; those it lacks named for a person."""
        found = []
        for kind, name in reviewers_of(environment):
            target_id = self.accounts.user_id(name) if kind == "User" else self.accounts.team_id(name)
            if target_id is None:
                what = f"@{name}" if kind == "User" else f"team {name}"
                self.settings.for_a_person(
                    f"environment {environment['name']}: reviewer {what} is not in {self.step.target.org} on this "
                    f"GitHub, so it was left out; add a reviewer in {self.where} (Settings > Environments)")
                continue
            found.append({"type": kind, "id": target_id})
        return found
