"""The write side's deployment environments (PUT, with their protection rules; their variables:
POST, PATCH) and repository rulesets (POST), each as GitHub's REST description has them.

GitHub's rules kept here: an environment is made or replaced by its name (case-insensitive), its
reviewers given by id (a user or a team of the organization that exists, at most six), its branch
policy null (every branch) or exactly one of protected_branches and custom_branch_policies true, a
wait timer of 0-43200 minutes, no other field (the body's additionalProperties is false); an
environment variable's name unique in the environment (409); a ruleset's name unique among the
repository's own rulesets (422 "Name must be unique"), its bypass actors of the description's
types, a team actor a team of the organization.
"""
from __future__ import annotations

from .builder import iso, org_defaults
from .rest import ApiError, Ctx, user_id
from .rest_shapes import environment_json, ruleset_json
from .rest_writes import _user_names, change_repo, created, request_body, writable_repo
from .rest_writes_settings import _failed, _string, add_variable, change_variable

ENVIRONMENT_FIELDS = {"wait_timer", "prevent_self_review", "reviewers", "deployment_branch_policy"}
ACTOR_TYPES = {"Integration", "OrganizationAdmin", "RepositoryRole", "Team", "DeployKey", "User"}
BYPASS_MODES = {"always", "pull_request", "exempt"}
ENFORCEMENTS = {"disabled", "active", "evaluate"}
TARGETS = {"branch", "tag", "push"}


def _environment(rec: dict, name: str) -> dict | None:
    return next((e for e in rec["environments"] if e["name"].lower() == name.lower()), None)


def _reviewer(b, org: dict, reviewer) -> dict:
    """{"type", "id"} -> the world's {"type", "login"|"slug"}; 422 for one that does not exist."""
    if not isinstance(reviewer, dict) or reviewer.get("type") not in ("User", "Team") or \
            not isinstance(reviewer.get("id"), int):
        raise _failed("Environment", "reviewers", "invalid")
    if reviewer["type"] == "User":
        login = next((n for n in _user_names(b) if user_id(n) == reviewer["id"]), None)
        if login is None:
            raise _failed("Environment", "reviewers", "invalid", f"user {reviewer['id']} not found")
        return {"type": "User", "login": login}
    team = next((t for t in org["teams"] if t["id"] == reviewer["id"]), None)
    if team is None:
        raise _failed("Environment", "reviewers", "invalid", f"team {reviewer['id']} not found")
    return {"type": "Team", "slug": team["slug"]}


def _branch_policy(policy):
    if policy is None:
        return None
    if not isinstance(policy, dict) or not all(isinstance(policy.get(k), bool)
                                               for k in ("protected_branches", "custom_branch_policies")):
        raise _failed("Environment", "deployment_branch_policy", "invalid")
    if policy["protected_branches"] == policy["custom_branch_policies"]:
        raise ApiError(422, "Validation Failed: only one of protected_branches and custom_branch_policies "
                            "may be true")
    return {"protected_branches": policy["protected_branches"],
            "custom_branch_policies": policy["custom_branch_policies"]}


def create_or_update_environment(c: Ctx, owner, repo, name):
    """PUT .../environments/{name}: 200 with the environment (made or its protection replaced)."""
    login, repo_name = writable_repo(c, owner, repo)
    body = request_body(c) if c.body else {}
    unknown = set(body) - ENVIRONMENT_FIELDS
    if unknown:
        raise ApiError(422, f"Invalid request.\n\n{', '.join(sorted(unknown))} is not a permitted key.")
    wait = body.get("wait_timer", 0)
    if not isinstance(wait, int) or isinstance(wait, bool) or not 0 <= wait <= 43200:
        raise _failed("Environment", "wait_timer", "invalid")
    prevent = body.get("prevent_self_review", False)
    if not isinstance(prevent, bool):
        raise _failed("Environment", "prevent_self_review", "invalid")
    reviewers = body.get("reviewers") or []
    if not isinstance(reviewers, list) or len(reviewers) > 6:
        raise _failed("Environment", "reviewers", "invalid")
    policy = _branch_policy(body.get("deployment_branch_policy"))

    def fn(b, rec):
        org = org_defaults(b.world["orgs"][login])
        people = [_reviewer(b, org, r) for r in reviewers]
        when = iso(b.tick())
        rules = [{"id": b.new_id(), "type": "wait_timer", "wait_timer": wait}] if wait else []
        if people:
            rules.append({"id": b.new_id(), "type": "required_reviewers", "prevent_self_review": prevent,
                          "reviewers": people})
        env = _environment(rec, name)
        if env is None:
            env = {"id": b.new_id(), "name": name, "created_at": when, "variables": []}
            rec["environments"].append(env)
        env.update(updated_at=when, protection_rules=rules, deployment_branch_policy=policy)
        return env["name"]
    rec, env_name = change_repo(c, login, repo_name, fn)
    return environment_json(c, login, rec, _environment(rec, env_name))


def _variables_of(name: str):
    def variables(rec):
        env = _environment(rec, name)
        return None if env is None else env["variables"]
    return variables


def create_environment_variable(c: Ctx, owner, repo, name):
    """POST .../environments/{name}/variables: as the repository's; 404 for an environment not there."""
    return add_variable(c, owner, repo, _variables_of(name), f"environments/{name}/variables")


def update_environment_variable(c: Ctx, owner, repo, name, variable):
    """PATCH .../environments/{name}/variables/{variable}: as the repository's."""
    return change_variable(c, owner, repo, _variables_of(name), variable)


# ------------------------------------------------------------------------ rulesets


def _bypass_actor(org: dict, actor) -> dict:
    if not isinstance(actor, dict) or actor.get("actor_type") not in ACTOR_TYPES:
        raise _failed("Ruleset", "bypass_actors", "invalid")
    mode = actor.get("bypass_mode", "always")
    if mode not in BYPASS_MODES:
        raise _failed("Ruleset", "bypass_actors", "invalid")
    actor_id = actor.get("actor_id")
    kind = actor["actor_type"]
    if kind in ("Integration", "RepositoryRole", "Team", "User") and not isinstance(actor_id, int):
        raise _failed("Ruleset", "bypass_actors", "invalid", f"actor_id is required for {kind}")
    if kind == "Team" and not any(t["id"] == actor_id for t in org["teams"]):
        raise _failed("Ruleset", "bypass_actors", "invalid", f"team {actor_id} not found")
    return {"actor_id": None if kind == "DeployKey" else actor_id, "actor_type": kind, "bypass_mode": mode}


def create_repo_ruleset(c: Ctx, owner, repo):
    """POST .../rulesets: name and enforcement (required), target (default branch), conditions,
    rules, bypass_actors; 201 with the ruleset as GET .../rulesets/{id} answers it."""
    login, repo_name = writable_repo(c, owner, repo)
    name, fields, actors = ruleset_fields(request_body(c))

    def fn(b, rec):
        return add_ruleset(b, org_defaults(b.world["orgs"][login]), rec["repo_rulesets"], name, fields, actors)
    _, ruleset = change_repo(c, login, repo_name, fn)
    answer = ruleset_json(c, ruleset, "Repository", f"{login}/{repo_name}", full=True)
    return created(answer, answer["_links"]["self"]["href"])


def add_ruleset(b, org: dict, rulesets: list, name: str, fields: dict, actors: list) -> dict:
    """A new ruleset in `rulesets` (a repository's own or its organization's), its name unique among them."""
    bypass = [_bypass_actor(org, a) for a in actors]
    if any(r["name"].lower() == name.lower() for r in rulesets):
        raise _failed("Ruleset", "name", "already_exists", "Name must be unique")
    when = iso(b.tick())
    ruleset = {"id": b.new_id(), "name": name, **fields, "bypass_actors": bypass, "created_at": when, "updated_at": when}
    rulesets.append(ruleset)
    return ruleset


def ruleset_fields(body: dict) -> tuple[str, dict, list]:
    """(name, {target, enforcement, conditions, rules}, bypass actors as sent) of a ruleset's POST body."""
    name = _string(body, "name", "Ruleset")
    enforcement = body.get("enforcement")
    if enforcement not in ENFORCEMENTS:
        raise _failed("Ruleset", "enforcement", "missing_field" if enforcement is None else "invalid")
    target = body.get("target", "branch")
    if target not in TARGETS:
        raise _failed("Ruleset", "target", "invalid")
    conditions = body.get("conditions") or {}
    rules = body.get("rules") or []
    if not isinstance(conditions, dict) or not isinstance(rules, list) or \
            not all(isinstance(r, dict) and isinstance(r.get("type"), str) for r in rules):
        raise _failed("Ruleset", "rules" if isinstance(conditions, dict) else "conditions", "invalid")
    actors = body.get("bypass_actors") or []
    if not isinstance(actors, list):
        raise _failed("Ruleset", "bypass_actors", "invalid")
    return name, {"target": target, "enforcement": enforcement, "conditions": conditions, "rules": rules}, actors
