"""The `settings` part: a repository's settings and access, one JSON file per piece
under CACHE/<ORG>/settings/<REPO>/ (layout in the design).

Each piece is fetched whole or not at all: a piece GitHub refuses to the token (403/404)
is skipped with its reason and its file is not written (a file from an earlier run stays);
any other GitHub error is a problem and likewise leaves the old file.  Also home of the
small REST helpers the organization part shares (`Pieces`, `list_object`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote

from orgbackup.backup.planning.changes import known_empty
from orgbackup.github.api import GitHubAPI, GitHubError, refused
from orgbackup.github.pages import per_page_maximum
from orgbackup.backup.planning.plan import can_admin
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.backup.parts.common import PartOutcome, skip_reason

PART = "settings"
# An answer a piece may not get: no value was fetched (the reason is in the outcome already).
FAILED = object()


class Pieces:
    """Fetches the pieces of one part into `outcome`: refusals become skips, other GitHub
    errors problems; either way the call answers FAILED."""

    def __init__(self, api: GitHubAPI, outcome: PartOutcome):
        self.api = api
        self.outcome = outcome

    def fetch(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except GitHubError as exc:
            self.outcome.refused_or_failed(exc, what)
            return FAILED

    def get(self, what: str, path: str, params: dict | None = None) -> Any:
        return self.fetch(what, lambda: self.api.get(path, params))

    def listing(self, what: str, path: str, params: dict | None = None) -> Any:
        return self.fetch(what, lambda: list(self.api.paginate(path, params)))

    def object_listing(self, what: str, path: str, key: str) -> Any:
        """(items, total_count) of an endpoint answering {"total_count", key: [...]}, or FAILED."""
        return self.fetch(what, lambda: list_object(self.api, path, key))

    def save(self, folder: Path, name: str, value: Any) -> bool:
        if value is FAILED:
            return False
        write_json_atomically(folder / name, value)
        return True


def list_object(api: GitHubAPI, path: str, key: str) -> tuple[list, int]:
    """All items of a paginated endpoint that answers an object `{"total_count", key: [...]}`
    (environments, actions variables and secrets), by pages of the operation's documented
    maximum (30 for variables: github/pages.py), page by page until total_count: a short
    page is not the last while the count says more (GitHub serves fewer than asked beyond
    the maximum); an empty page ends it. An answer without a count ends at a short page."""
    items: list = []
    size = per_page_maximum(path)
    page = 1
    while True:
        answer = api.get(path, {"per_page": size, "page": page})
        chunk = answer.get(key) or []
        counted = answer.get("total_count")
        total = int(counted) if counted is not None else len(items) + len(chunk)
        items += chunk
        if not chunk or (len(items) >= total if counted is not None else len(chunk) < size):
            return items, total
        page += 1


def full_name_of(org: str, repo: dict) -> str:
    return repo.get("full_name") or f"{org}/{repo['name']}"


def back_up_settings(ctx, org: str, repo: dict, folder: Path, team_access=None, listings=None) -> PartOutcome:
    """settings/<REPO>/*.json for one repository (repo: GitHub's repository object).
    team_access: a team_access.TeamAccess of this run (teams.json from the organization's
    listings where the token administers the repository), or None; listings: a
    settings_listings.SettingsListings of this run (collaborators and the rulesets' ids
    from GraphQL), or None."""
    outcome = PartOutcome(PART, org, repo["name"])
    pieces = Pieces(ctx.api, outcome)
    base = f"repos/{full_name_of(org, repo)}"
    folder = Path(folder)
    # Listings GitHub said this run are empty (changes.py's counts) are not asked for; deploy
    # keys only where the token is an admin (GraphQL may count what REST would refuse).
    empty = {kind for kind in ("environments", "rulesets", "deploy_keys")
             if known_empty(ctx, org, repo, kind) and (kind != "deploy_keys" or can_admin(repo))}

    repository = pieces.get("repository", base)
    if repository is FAILED and outcome.skipped:
        return outcome  # gone, or hidden from the token: so is everything in it
    pieces.save(folder, "repository.json", repository)

    for name, what, kind, path, params in (
        ("collaborators.json", "collaborators", "collaborators", "/collaborators", {"affiliation": "all"}),
        ("teams.json", "teams", "teams", "/teams", None),
        ("deploy-keys.json", "deploy-keys", "deploy keys", "/keys", None),
        ("autolinks.json", "autolinks", "autolinks", "/autolinks", None),
    ):
        items = None
        if kind == "deploy keys" and "deploy_keys" in empty:
            items = []
        elif kind == "teams" and team_access is not None and can_admin(repo):
            items = team_access.teams_of(repo["name"])
        elif kind == "collaborators" and listings is not None:
            items = listings.collaborators_of(repo["name"])
        if items is None and kind == "autolinks":
            items = pieces.get(what, base + path)  # GitHub answers them all, unpaged (it takes no per_page)
        elif items is None:
            items = pieces.listing(what, base + path, params)
        if pieces.save(folder, name, items):
            outcome.count(kind, len(items), len(items))

    # branch-protection.json holds the branch protection rules' protection (rulesets.json the
    # rulesets): GitHub counting no rule, no branch has any.
    if known_empty(ctx, org, repo, "branch_protection_rules"):
        protection = ({}, 0)
    else:
        protection = branch_protection(pieces, base)
    if protection is not FAILED:
        protections, protected = protection
        pieces.save(folder, "branch-protection.json", protections)
        outcome.count("protected branches", len(protections), protected)

    rulesets = [] if "rulesets" in empty else rulesets_in_full(pieces, base, listings, repo["name"])
    if pieces.save(folder, "rulesets.json", rulesets):
        outcome.count("rulesets", len(rulesets), len(rulesets))

    environments_file(pieces, base, folder, none_on_github="environments" in empty)

    save_actions_variables_and_secrets(pieces, base, folder)

    # The repository object says whether there is a Pages site: no request for the many without one.
    if repository is not FAILED and not repository.get("has_pages", True):
        pages = None
    else:
        pages = pieces.fetch("pages", lambda: pages_of(ctx.api, base))
    pieces.save(folder, "pages.json", pages)
    return outcome


def save_actions_variables_and_secrets(pieces: Pieces, base: str, folder: Path) -> None:
    """actions-variables.json (values) and actions-secrets.json (names: GitHub never gives
    values) of a repository or an organization (`base`: repos/O/R or orgs/O). An organization's
    variable visible to selected repositories names them (`selected_repositories`), which its
    listing does not."""
    for name, what, kind, path, key in (
        ("actions-variables.json", "actions-variables", "variables", "/actions/variables", "variables"),
        ("actions-secrets.json", "actions-secrets", "secrets", "/actions/secrets", "secrets"),
    ):
        listed = pieces.object_listing(what, base + path, key)
        if listed is not FAILED and kind == "variables":
            listed = with_selected_repositories(pieces, base + path, listed)
        if listed is not FAILED:
            items, total = listed
            pieces.save(folder, name, {"total_count": total, key: items})
            pieces.outcome.count(kind, len(items), total)


def with_selected_repositories(pieces: Pieces, path: str, listed: tuple[list, int]) -> Any:
    """(variables, total) with each `selected` one's repositories' names, or FAILED (whole or not at all)."""
    items, total = listed
    for item in items:
        if item.get("visibility") == "selected":
            got = pieces.object_listing("actions-variables", f"{path}/{item['name']}/repositories", "repositories")
            if got is FAILED:
                return FAILED
            item["selected_repositories"] = sorted(r["name"] for r in got[0])
    return items, total


def branch_protection(pieces: Pieces, base: str) -> Any:
    """({branch: protection}, number of branches with a protection rule), or FAILED; no
    protection requests when no branch is protected.  GitHub's `protected` also marks a
    branch that only a ruleset protects: its protection answers 404 "Branch not protected"
    (its rules are in rulesets.json), so it has no entry and is not counted."""
    branches = pieces.listing("branch-protection", base + "/branches", {"protected": "true"})
    if branches is FAILED:
        return FAILED
    # A GitHub that ignores `protected=true` still marks each branch.
    names = [b["name"] for b in branches if b.get("protected", True)]
    protections = {}
    for name in names:
        got = pieces.fetch("branch-protection", lambda name=name: protection_of(pieces.api, base, name))
        if got is FAILED:
            return FAILED
        if got is not None:
            protections[name] = got
    return protections, len(protections)


def protection_of(api: GitHubAPI, base: str, branch: str) -> dict | None:
    """A branch's protection rule, None when GitHub says "Branch not protected" (a ruleset's
    branch); any other refusal raises GitHubError (a 404 that may mean "not yours" included)."""
    path = f"{base}/branches/{quote(branch, safe='')}/protection"
    response = api.send("GET", path)
    if response.status_code == 404 and not_protected(response):
        return None
    if response.status_code != 200:
        raise refused(api.url(path), response)
    return response.json()


def not_protected(response) -> bool:
    try:
        return (response.json() or {}).get("message") == "Branch not protected"
    except ValueError:
        return False


def rulesets_in_full(pieces: Pieces, base: str, listings=None, name: str = "") -> Any:
    """The rulesets that apply to the repository (its own, then the organization's, as
    GitHub lists them by default), each as GET .../rulesets/{id} answers it (the listing
    omits the rules), or FAILED.  Their ids from GraphQL's listing when `listings` has them
    (settings_listings.py), an organization's (or enterprise's) ruleset then fetched once per run."""
    ids = listings.ruleset_ids_of(name) if listings is not None else None
    if ids is None:
        listed = pieces.listing("rulesets", base + "/rulesets")
        if listed is FAILED:
            return FAILED
        ids = [(ruleset["id"], ruleset.get("source_type") or "") for ruleset in listed]
    full = []
    for ruleset_id, source in ids:
        def fetch(ruleset_id=ruleset_id):
            return pieces.get("rulesets", f"{base}/rulesets/{ruleset_id}")
        if source in ("Organization", "Enterprise") and listings is not None:
            got = listings.organization_rulesets.get(ruleset_id, fetch, FAILED)
        else:
            got = fetch()
        if got is FAILED:
            return FAILED
        full.append(got)
    return full


def environments_file(pieces: Pieces, base: str, folder: Path, *, none_on_github: bool = False) -> None:
    """environments.json: the listing, each environment with its `variables` (null when the
    token may not read them: the environments themselves are still worth keeping)."""
    outcome = pieces.outcome
    listed = ([], 0) if none_on_github else pieces.object_listing("environments", base + "/environments", "environments")
    if listed is FAILED:
        return
    environments, total = listed
    refused: str | None = None  # the reason the token may not read environment variables
    saved_variables = expected_variables = 0
    for environment in environments:
        path = f"{base}/environments/{quote(environment['name'], safe='')}/variables"
        try:
            variables, count = list_object(pieces.api, path, "variables")
        except GitHubError as exc:
            reason = skip_reason(exc, f"{PART}: environment variables")
            if not reason:
                outcome.problem(f"environment variables of {environment['name']}: {exc}")
                return  # the old file stays whole
            refused = refused or reason
            environment["variables"] = None
            continue
        environment["variables"] = variables
        saved_variables += len(variables)
        expected_variables += count
    if refused:
        outcome.skipped.append(refused)
    write_json_atomically(folder / "environments.json", {"total_count": total, "environments": environments})
    outcome.count("environments", len(environments), total)
    if not refused:
        outcome.count("environment variables", saved_variables, expected_variables)


def pages_of(api: GitHubAPI, base: str) -> dict | None:
    """The Pages site, or None: 404 means the repository has no Pages (not a refusal)."""
    try:
        return api.get(base + "/pages")
    except GitHubError as exc:
        if exc.status == 404:
            return None
        raise
