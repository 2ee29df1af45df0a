"""The REST endpoints of what neither tool captures but orgbackup does: pull request reviews,
commit comments, repository settings and access (collaborators, teams, protection, rulesets,
deploy keys, environments, variables, secrets, autolinks, pages), and the organization (members,
outside collaborators, teams, hooks, rulesets, variables, secrets). The admin-only ones answer a
reader token 403 and anonymous 404, as the README says."""
from __future__ import annotations

from .rest import (ApiError, Ctx, git_refs, org_or_404, paged, pull_or_404, require_admin, require_owner,
                   require_member, team_or_404)
from .rest_shapes import (commit_comment_json, environment_json, org_json, permissions_json, protection_json,
                          repo_json, review_json, ruleset_json, team_json, user_json)
from .truth import ROLE_NAMES, ruleset_applies


def _repo_rulesets(c: Ctx, login: str, rec: dict) -> list:
    """(ruleset, source type, source): the repository's own, then (includes_parents) the org's that apply."""
    full = f"{login}/{rec['name']}"
    found = [(r, "Repository", full) for r in rec["repo_rulesets"]]
    if c.query.get("includes_parents", "true") != "false":
        org = c.view.find_org(login)
        found += [(r, "Organization", org["login"]) for r in org["rulesets"] if ruleset_applies(r, rec["name"])]
    return found


def _variables(items: list) -> list:
    return [{k: v[k] for k in ("name", "value", "created_at", "updated_at") if k in v} for v in items]


def _org_variables(c: Ctx, org: dict, items: list, kind: str) -> list:
    out = []
    for v in items:
        entry = {k: v[k] for k in ("name", "value", "created_at", "updated_at", "visibility") if k in v}
        if v.get("visibility") == "selected":
            entry["selected_repositories_url"] = \
                f"{c.api}/orgs/{org['login']}/actions/{kind}/{v['name']}/repositories"
        out.append(entry)
    return out


def list_pull_reviews(c: Ctx, owner, repo, number):
    login, rec, issue = pull_or_404(c, owner, repo, number)
    return [review_json(c, f"{login}/{rec['name']}", r)
            for r in c.view.index[rec["id"]]["pull_reviews"].get(issue["number"], [])]


def list_commit_comments(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    return [commit_comment_json(c, f"{login}/{rec['name']}", x) for x in rec["commit_comments"]]


def list_collaborators(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    require_admin(c)
    outside = set(c.view.find_org(login)["outside_collaborators"])
    people = rec["collaborators"]
    affiliation = c.query.get("affiliation", "all")
    if affiliation == "outside":
        people = [p for p in people if p["login"] in outside]
    return [user_json(c, p["login"]) | {"permissions": permissions_json(p["permission"]),
                                        # a custom repository role (Enterprise Cloud) by its own name
                                        "role_name": p.get("role_name") or ROLE_NAMES[p["permission"]]}
            for p in people]


def list_repo_teams(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    require_admin(c)
    org = c.view.find_org(login)
    return [team_json(c, org, t) | {"permission": t["repos"][rec["name"]],
                                    "permissions": permissions_json(t["repos"][rec["name"]])}
            for t in org["teams"] if rec["name"] in t["repos"]]


def get_branch_protection(c: Ctx, owner, repo, branch):
    login, rec = c.repo(owner, repo)
    require_admin(c)
    if not any(ref == f"refs/heads/{branch}" for _, _, ref, _ in git_refs(c, login, rec["name"], f"refs/heads/{branch}")):
        raise ApiError(404, "Branch not found")
    protection = rec["protected_branches"].get(branch)
    if protection is None:
        raise ApiError(404, "Branch not protected")
    return protection_json(c, f"{login}/{rec['name']}", branch, protection)


def list_repo_rulesets(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    return [ruleset_json(c, r, kind, source, full=False) for r, kind, source in _repo_rulesets(c, login, rec)]


def get_repo_ruleset(c: Ctx, owner, repo, id):
    login, rec = c.repo(owner, repo)
    for r, kind, source in _repo_rulesets(c, login, rec):
        if r["id"] == int(id):
            return ruleset_json(c, r, kind, source, full=True)
    raise ApiError(404)


def deploy_key_json(c: Ctx, full: str, k: dict) -> dict:
    return {"id": k["id"], "key": k["key"], "url": f"{c.api}/repos/{full}/keys/{k['id']}", "title": k["title"],
            "verified": True, "created_at": k["created_at"], "read_only": k["read_only"],
            "added_by": k.get("added_by", "alice"), "last_used": None, "enabled": True}


def list_deploy_keys(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    require_admin(c)
    return [deploy_key_json(c, f"{login}/{rec['name']}", k) for k in rec["deploy_keys"]]


def list_environments(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    envs = [environment_json(c, login, rec, e) for e in rec["environments"]]
    return paged(c, f"/repos/{login}/{rec['name']}/environments", "environments", envs)


def list_environment_variables(c: Ctx, owner, repo, name):
    login, rec = c.repo(owner, repo)
    env = next((e for e in rec["environments"] if e["name"].lower() == name.lower()), None)
    require_admin(c)
    if env is None:
        raise ApiError(404)
    return paged(c, f"/repos/{login}/{rec['name']}/environments/{env['name']}/variables", "variables",
                 _variables(env["variables"]))


def list_repo_variables(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    require_admin(c)
    return paged(c, f"/repos/{login}/{rec['name']}/actions/variables", "variables", _variables(rec["variables"]))


def list_repo_secrets(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    require_admin(c)
    return paged(c, f"/repos/{login}/{rec['name']}/actions/secrets", "secrets", _variables(rec["secrets"]))


def list_autolinks(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    require_admin(c)
    return [dict(a) for a in rec["autolinks"]]


def get_pages(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    pages = rec["pages"]
    if pages is None:
        raise ApiError(404)
    name = rec["name"]
    html = f"https://{name}/" if name.lower() == f"{login.lower()}.github.io" else \
        f"https://{login.lower()}.github.io/{name}/"
    return {"url": f"{c.api}/repos/{login}/{name}/pages", "status": pages["status"], "cname": pages["cname"],
            "custom_404": False, "html_url": html, "build_type": pages["build_type"], "source": pages["source"],
            "public": not rec["private"], "protected_domain_state": None, "pending_domain_unverified_at": None,
            "https_enforced": pages["https_enforced"]}


def list_org_members(c: Ctx, org):
    found = org_or_404(c, org)
    if not c.user:
        return []  # anonymous sees public members only; the world has none
    role = c.query.get("role", "all")
    return [user_json(c, m["login"]) for m in found["members"] if role == "all" or m["role"] == role]


def list_outside_collaborators(c: Ctx, org):
    found = org_or_404(c, org)
    require_owner(c)
    return [user_json(c, login) for login in found["outside_collaborators"]]


def list_org_teams(c: Ctx, org):
    found = org_or_404(c, org)
    require_member(c)
    return [team_json(c, found, t) for t in found["teams"]]


def get_org_team(c: Ctx, org, slug):
    found, team = team_or_404(c, org, slug)
    return team_json(c, found, team) | {
        "members_count": len(team["members"]), "repos_count": len(team["repos"]),
        "created_at": found["created_at"], "updated_at": found["created_at"],
        "organization": org_json(c, found) | {  # GitHub's team-organization
            "has_organization_projects": True, "has_repository_projects": True, "public_gists": 0,
            "followers": 0, "following": 0, "archived_at": None}}


def list_team_members(c: Ctx, org, slug):
    _, team = team_or_404(c, org, slug)
    role = c.query.get("role", "all")
    return [user_json(c, m["login"]) for m in team["members"] if role == "all" or m["role"] == role]


def list_team_repos(c: Ctx, org, slug):
    found, team = team_or_404(c, org, slug)
    out = []
    for name, permission in team["repos"].items():
        rec = found["repos"].get(name)
        if rec:
            out.append(repo_json(c, found["login"], rec) | {"role_name": ROLE_NAMES[permission],
                                                            "permissions": permissions_json(permission)})
    return out


def list_org_hooks(c: Ctx, org):
    found = org_or_404(c, org)
    require_owner(c)
    return [org_hook_json(c, found["login"], hook) for hook in found["org_hooks"]]


def org_hook_json(c: Ctx, login: str, hook: dict) -> dict:
    api = f"{c.api}/orgs/{login}/hooks/{hook['id']}"
    return {"id": hook["id"], "url": api, "ping_url": f"{api}/pings", "deliveries_url": f"{api}/deliveries",
            "name": hook["name"], "events": hook["events"], "active": hook["active"], "config": hook["config"],
            "updated_at": hook["updated_at"], "created_at": hook["created_at"], "type": "Organization"}


def list_org_rulesets(c: Ctx, org):
    found = org_or_404(c, org)
    require_owner(c)
    return [ruleset_json(c, r, "Organization", found["login"], full=False) for r in found["rulesets"]]


def get_org_ruleset(c: Ctx, org, id):
    found = org_or_404(c, org)
    require_owner(c)
    for r in found["rulesets"]:
        if r["id"] == int(id):
            return ruleset_json(c, r, "Organization", found["login"], full=True)
    raise ApiError(404)


def list_org_variables(c: Ctx, org):
    found = org_or_404(c, org)
    require_owner(c)
    return paged(c, f"/orgs/{found['login']}/actions/variables", "variables",
                 _org_variables(c, found, found["variables"], "variables"))


def list_org_variable_repositories(c: Ctx, org, name):
    """GET /orgs/{org}/actions/variables/{name}/repositories: a `selected` variable's repositories
    (409 for another visibility, as GitHub answers)."""
    found = org_or_404(c, org)
    require_owner(c)
    variable = next((v for v in found["variables"] if v["name"] == name.upper()), None)
    if variable is None:
        raise ApiError(404)
    if variable.get("visibility") != "selected":
        raise ApiError(409, "The visibility of the variable is not set to 'selected'")
    ids = set(variable.get("selected_repository_ids") or ())
    repos = [repo_json(c, found["login"], rec) for rec in found["repos"].values() if rec["id"] in ids]
    return paged(c, f"/orgs/{found['login']}/actions/variables/{name}/repositories", "repositories", repos)


def list_org_secrets(c: Ctx, org):
    found = org_or_404(c, org)
    require_owner(c)
    return paged(c, f"/orgs/{found['login']}/actions/secrets", "secrets",
                 _org_variables(c, found, found["secrets"], "secrets"))
