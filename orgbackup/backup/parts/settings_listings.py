"""Two listings of the settings part asked of GraphQL for many repositories per query.

REST answers `repos/ORG/NAME/collaborators` and `repos/ORG/NAME/rulesets` one repository
per request: two of the requests every repository's settings cost.  GraphQL serves both
for 25 repositories in one query (`Repository.collaborators` with each person's
permission, `Repository.rulesets` with each ruleset's id and source), so a night that
reads the settings of many repositories asks them once per 25.

What each becomes:
- collaborators.json: REST's listing rebuilt from the edges (login, id, node_id, type,
  `permissions`, `role_name`), in GitHub's order.  A person whose permission comes from a
  custom repository role (Enterprise Cloud: a `roleName` that is none of GitHub's five)
  would lose that role's name in the rebuild, so such a repository asks REST, as does one
  with more than a page of people or one whose answer GraphQL refused (no push access:
  REST then names the refusal as before).
- rulesets.json: the ids of the rulesets that apply, in GitHub's order; each is still
  fetched whole over REST (the listing omits the rules), an organization's ruleset once
  per run for all of its repositories (`RulesetMemo`).

Built at the first need, once per run, shared by the settings threads; a query that fails
leaves its repositories to REST.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from orgbackup.github.api import GitHubAPI, GitHubError, whole_page

log = logging.getLogger(__name__)

# 25 repositories x (100 collaborators + 100 rulesets) = 5,000 nodes a query, well within
# GitHub's 500,000; fewer repositories than this ask REST (one request each is no dearer).
BATCH = 25
MINIMUM_REPOSITORIES = 3
LISTING_FIELDS = (
    "collaborators(affiliation: ALL, first: 100) { totalCount pageInfo { hasNextPage } "
    "edges { permission permissionSources { roleName } node { login databaseId id } } } "
    "rulesets(first: 100, includeParents: true) { totalCount pageInfo { hasNextPage } "
    "nodes { databaseId source { __typename } } }")

# GraphQL's RepositoryPermission -> REST's role_name and `permissions` of a collaborator
ROLE_NAMES = {"READ": "read", "TRIAGE": "triage", "WRITE": "write", "MAINTAIN": "maintain", "ADMIN": "admin"}
LEVELS = ("READ", "TRIAGE", "WRITE", "MAINTAIN", "ADMIN")
STANDARD_ROLES = frozenset(ROLE_NAMES.values()) | {"pull", "push"}


def permissions_of(permission: str) -> dict[str, bool]:
    level = LEVELS.index(permission)
    return {"admin": level >= 4, "maintain": level >= 3, "push": level >= 2, "triage": level >= 1, "pull": True}


def collaborators_from(answer: Any) -> list[dict] | None:
    """REST's collaborator listing from a repository's `collaborators` answer (pure), or None
    when it cannot be rebuilt whole: refused (null), more than one page, or a custom role."""
    edges = whole_page(answer, "edges")
    if edges is None:
        return None
    people = []
    for edge in edges:
        roles = {(source.get("roleName") or "").lower() for source in edge.get("permissionSources") or []}
        if roles - STANDARD_ROLES - {""} or edge.get("permission") not in ROLE_NAMES:
            return None
        person = edge["node"]
        people.append({"login": person["login"], "id": person.get("databaseId"), "node_id": person.get("id"),
                       "type": "User", "permissions": permissions_of(edge["permission"]),
                       "role_name": ROLE_NAMES[edge["permission"]]})
    return people


def ruleset_ids_from(answer: Any) -> list[tuple[int, str]] | None:
    """[(id, "Repository" or "Organization"...)] of a repository's `rulesets` answer (pure), or None."""
    rulesets = whole_page(answer)
    if rulesets is None:
        return None
    found = []
    for ruleset in rulesets:
        if not ruleset or ruleset.get("databaseId") is None:
            return None
        found.append((int(ruleset["databaseId"]), (ruleset.get("source") or {}).get("__typename") or ""))
    return found


class SettingsListings:
    """collaborators_of(name) and ruleset_ids_of(name) from GraphQL, or None (ask REST).
    `names`: the repositories whose settings the night reads (set before the first call)."""

    def __init__(self, api: GitHubAPI, org: str, threads: int = 1):
        self.api, self.org, self.threads = api, org, threads
        self.names: list[str] = []
        self._lock = threading.Lock()
        self._answers: dict[str, dict] | None = None
        self.organization_rulesets = RulesetMemo()

    def _ask(self) -> dict[str, dict]:
        if len(self.names) < MINIMUM_REPOSITORIES:
            return {}
        try:
            return self.api.repositories(self.org, self.names, LISTING_FIELDS, BATCH, threads=self.threads)
        except GitHubError as exc:
            log.info("%s: collaborators and rulesets over GraphQL failed (%s): asking each repository",
                     self.org, exc)
            return {}

    def _answer(self, name: str) -> dict:
        with self._lock:
            if self._answers is None:
                self._answers = self._ask()
        return self._answers.get(name) or {}

    def collaborators_of(self, name: str) -> list[dict] | None:
        return collaborators_from(self._answer(name).get("collaborators"))

    def ruleset_ids_of(self, name: str) -> list[tuple[int, str]] | None:
        return ruleset_ids_from(self._answer(name).get("rulesets"))


class RulesetMemo:
    """An organization's ruleset fetched whole once per run for all the repositories it applies
    to (GET repos/ORG/NAME/rulesets/ID answers the same for each of them)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._held: dict[int, Any] = {}
        self._locks: dict[int, threading.Lock] = {}

    def get(self, ruleset_id: int, fetch: Callable[[], Any], failed: object) -> Any:
        with self._lock:
            lock = self._locks.setdefault(ruleset_id, threading.Lock())
        with lock:  # one fetch per id, however many threads ask at once
            if ruleset_id not in self._held:
                got = fetch()
                if got is failed:
                    return got
                self._held[ruleset_id] = got
            return self._held[ruleset_id]
