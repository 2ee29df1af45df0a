"""The REST endpoints of the repository data github-backup reads: the user, the organization and
its repositories, issues, pulls, comments, events, milestones, labels, hooks, releases,
assets, refs, branches and tags."""
from __future__ import annotations

import zlib
from urllib.parse import quote

from .rest import (ApiError, Ctx, Response, git_refs, issue_or_404, node, ordered, pull_or_404, release_or_404,
                   sign, state_matches)
from .rest_shapes import (asset_json, comment_json, commit_json, event_json, hook_json, issue_json, label_json,
                          milestone_json, org_json, pull_json, release_json, repo_full_json, repo_json,
                          review_comment_json, user_json)
from .builder import org_defaults
from .truth import ruleset_applies, ruleset_takes_branch


def get_user(c: Ctx):
    if not c.user:
        raise ApiError(401)
    out = _public_user(c, c.user["login"])
    out.update(site_admin=c.user["admin"], user_view_type="private", collaborators=0, disk_usage=0,
               owned_private_repos=0, private_gists=0, total_private_repos=0, two_factor_authentication=True)
    return out


def _public_user(c: Ctx, login: str) -> dict:
    """GitHub's public-user (GET /users/{u}; /user adds the private-user's fields)."""
    return user_json(c, login) | {
        "name": login, "company": None, "blog": "", "location": None, "email": None, "hireable": None,
        "bio": None, "public_repos": 0, "public_gists": 0, "followers": 0, "following": 0,
        "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z", "user_view_type": "public"}


def get_user_by_login(c: Ctx, user):
    account = c.view.find_org(user)
    if account and account.get("type") == "User":  # a personal account of the world
        public = [r for r in account["repos"].values() if not r["private"]]
        return _public_user(c, account["login"]) | {
            "public_repos": len(public), "public_gists": sum(1 for g in account.get("gists", []) if g["public"])}
    if account:
        return org_json(c, account) | {"type": "Organization"}
    return _public_user(c, user)


def get_rate_limit(c: Ctx):
    spare = {"limit": 5000, "remaining": 5000, "reset": c.rate["reset"], "used": 0}
    return {"resources": {"core": c.rate, "search": spare, "graphql": spare,
                          "integration_manifest": spare}, "rate": c.rate}


def get_org(c: Ctx, org):
    found = c.view.find_org(org)
    if not found or found.get("type") == "User":
        raise ApiError(404)
    out = org_json(c, found)
    settings = org_defaults(found)["settings"]
    out.update(blog=settings["blog"], location=settings["location"], email=settings["email"],
               twitter_username=None, is_verified=False, has_organization_projects=True,
               has_repository_projects=True, followers=0, following=0, public_gists=0, archived_at=None)
    if c.user and c.user["admin"]:  # GitHub shows these to organization owners only
        private = sum(1 for r in found["repos"].values() if r["private"])
        out.update(billing_email=settings["billing_email"],
                   default_repository_permission=settings["default_repository_permission"],
                   members_can_create_repositories=settings["members_can_create_repositories"],
                   two_factor_requirement_enabled=settings["two_factor_requirement_enabled"],
                   members_allowed_repository_creation_type="none" if not settings["members_can_create_repositories"] else "all",
                   members_can_create_public_repositories=settings["members_can_create_repositories"],
                   members_can_create_private_repositories=settings["members_can_create_repositories"],
                   total_private_repos=private, owned_private_repos=private, private_gists=0,
                   disk_usage=sum(r["size"] for r in found["repos"].values()), collaborators=len(found["outside_collaborators"]),
                   plan={"name": "team", "space": 976562499, "private_repos": 999999, "filled_seats": len(found["members"]),
                         "seats": len(found["members"])})
    return out


def list_org_repos(c: Ctx, org):
    found = c.view.find_org(org)
    if not found or found.get("type") == "User":
        raise ApiError(404)
    return _listed_repos(c, found, [r for r in found["repos"].values() if c.user or not r["private"]])


def list_user_repos(c: Ctx, user):
    """GET /users/{user}/repos: a person's public repositories (an organization's, as before)."""
    found = c.view.find_org(user)
    if not found:
        raise ApiError(404)
    if found.get("type") != "User":
        return list_org_repos(c, user)
    return _listed_repos(c, found, [r for r in found["repos"].values() if not r["private"]])


def list_own_repos(c: Ctx):
    """GET /user/repos: the token's user's own repositories, private ones included; by default
    (affiliation owner,collaborator,organization_member) also every organization's, since every
    token of the emulator is a member of every organization."""
    if not c.user:
        raise ApiError(401)
    affiliation = c.query.get("affiliation", "owner,collaborator,organization_member").split(",")
    own = c.view.find_org(c.user["login"])
    out = []
    if "owner" in affiliation and own and own.get("type") == "User":
        out += [repo_full_json(c, own["login"], r) for r in own["repos"].values()]
    if "organization_member" in affiliation:
        for account in c.view.orgs.values():
            if account.get("type") != "User":
                out += [repo_full_json(c, account["login"], r) for r in account["repos"].values()]
    return out


def _listed_repos(c: Ctx, found: dict, repos: list[dict]):
    kind = c.query.get("type", "all")
    if kind == "public":
        repos = [r for r in repos if not r["private"]]
    elif kind == "private":
        repos = [r for r in repos if r["private"]]
    elif kind == "forks":
        repos = [r for r in repos if r["fork"]]
    elif kind == "sources":
        repos = [r for r in repos if not r["fork"]]
    keys = {"created": lambda r: (r["created_at"], r["id"]), "updated": lambda r: (r["updated_at"], r["id"]),
            "pushed": lambda r: (r["pushed_at"] or "", r["id"]), "full_name": lambda r: r["name"].lower()}
    repos = ordered(repos, c, keys, "created", asc_default=lambda s: s == "full_name")
    return [repo_json(c, found["login"], r) for r in repos]


def get_repo(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    return repo_full_json(c, login, rec)


def list_issues(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    wanted_labels = set(filter(None, c.query.get("labels", "").split(",")))
    issues = [i for i in rec["issues"] if state_matches(c, i["state"]) and i["updated_at"] >= c.since()
              and wanted_labels <= set(i["labels"])]
    idx = c.view.index[rec["id"]]
    keys = {"created": lambda i: (i["created_at"], i["number"]),
            "updated": lambda i: (i["updated_at"], i["number"]),
            "comments": lambda i: (len(idx["comments"].get(i["number"], [])), i["number"])}
    return [issue_json(c, login, rec, i) for i in ordered(issues, c, keys, "created")]


def get_issue(c: Ctx, owner, repo, number):
    login, rec, issue = issue_or_404(c, owner, repo, number)
    return issue_json(c, login, rec, issue)


def list_issue_comments(c: Ctx, owner, repo, number):
    login, rec, issue = issue_or_404(c, owner, repo, number)
    comments = c.view.index[rec["id"]]["comments"].get(issue["number"], [])
    return [comment_json(c, f"{login}/{rec['name']}", x) for x in comments if x["updated_at"] >= c.since()]


def list_repo_issue_comments(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    comments = [x for x in rec["comments"] if x["updated_at"] >= c.since()]
    keys = {"created": lambda x: (x["created_at"], x["id"]), "updated": lambda x: (x["updated_at"], x["id"])}
    comments = ordered(comments, c, keys, "created", asc_default=lambda s: True)
    return [comment_json(c, f"{login}/{rec['name']}", x) for x in comments]


def list_repo_issue_events(c: Ctx, owner, repo):
    """GitHub's repository listing of issue events: each carries its issue (no `since`)."""
    login, rec = c.repo(owner, repo)
    issues = {i["number"]: i for i in rec["issues"]}
    full = f"{login}/{rec['name']}"
    return [event_json(c, full, e) | {"issue": issue_json(c, login, rec, issues[e["issue"]])}
            for e in sorted(rec["events"], key=lambda e: e["id"]) if e["issue"] in issues]


def list_issue_events(c: Ctx, owner, repo, number):
    login, rec, issue = issue_or_404(c, owner, repo, number)
    return [event_json(c, f"{login}/{rec['name']}", e)
            for e in c.view.index[rec["id"]]["events"].get(issue["number"], [])]


def list_pulls(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    pulls = [i for i in rec["issues"] if i["pull"] and state_matches(c, i["state"])]
    keys = {"created": lambda i: (i["created_at"], i["number"]),
            "updated": lambda i: (i["updated_at"], i["number"]),
            "popularity": lambda i: i["number"], "long-running": lambda i: i["created_at"]}
    pulls = ordered(pulls, c, keys, "created", asc_default=lambda s: s not in ("created",))
    return [pull_json(c, login, rec, i) for i in pulls]


def get_pull(c: Ctx, owner, repo, number):
    login, rec, issue = pull_or_404(c, owner, repo, number)
    return pull_json(c, login, rec, issue)


def list_review_comments(c: Ctx, owner, repo, number):
    login, rec, issue = pull_or_404(c, owner, repo, number)
    return [review_comment_json(c, f"{login}/{rec['name']}", x)
            for x in c.view.index[rec["id"]]["reviews"].get(issue["number"], [])]


def list_repo_review_comments(c: Ctx, owner, repo):
    """Every pull request's review comments (since, sort created/updated, direction)."""
    login, rec = c.repo(owner, repo)
    comments = [x for x in rec["review_comments"] if x["updated_at"] >= c.since()]
    keys = {"created": lambda x: (x["created_at"], x["id"]), "updated": lambda x: (x["updated_at"], x["id"])}
    comments = ordered(comments, c, keys, "created", asc_default=lambda s: True)
    return [review_comment_json(c, f"{login}/{rec['name']}", x) for x in comments]


def list_pull_commits(c: Ctx, owner, repo, number):
    login, rec, issue = pull_or_404(c, owner, repo, number)
    return [commit_json(c, f"{login}/{rec['name']}", x, issue["created_at"])
            for x in issue["pull"]["commits"]]


def list_milestones(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    return [milestone_json(c, f"{login}/{rec['name']}", rec, m)
            for m in rec["milestones"] if state_matches(c, m["state"])]


def list_labels(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    return [label_json(c, f"{login}/{rec['name']}", x) for x in rec["labels"]]


def list_hooks(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    if not c.user or not c.user["admin"]:
        raise ApiError(404)
    return [hook_json(c, f"{login}/{rec['name']}", h) for h in rec["hooks"]]


def list_releases(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    rels = sorted(rec["releases"], key=lambda r: r["created_at"], reverse=True)
    return [release_json(c, f"{login}/{rec['name']}", r) for r in rels]


def get_release(c: Ctx, owner, repo, id):
    login, rec, rel = release_or_404(c, owner, repo, id)
    return release_json(c, f"{login}/{rec['name']}", rel)


def list_release_assets(c: Ctx, owner, repo, id):
    login, rec, rel = release_or_404(c, owner, repo, id)
    return [asset_json(c, f"{login}/{rec['name']}", rel, a) for a in rel["assets"]]


def get_asset(c: Ctx, owner, repo, id):
    login, rec = c.repo(owner, repo)
    found = c.view.assets.get(int(id))
    if not found or found[1] is not rec:
        raise ApiError(404)
    _, _, rel, asset = found
    if "application/octet-stream" in (c.headers.get("Accept") or ""):
        # as GitHub: a redirect to signed storage that needs no Authorization
        # the file name in the query, as GitHub's storage URLs carry it: a name is any string
        url = (f"{c.web}/_downloads/{asset['id']}?sig={sign(c.secret, asset['id'])}"
               f"&response-content-disposition={quote('attachment; filename=' + asset['name'], safe='')}")
        return Response(302, b"", {"Location": url})
    return asset_json(c, f"{login}/{rec['name']}", rel, asset)


def list_refs(c: Ctx, owner, repo, prefix=""):
    login, rec = c.repo(owner, repo)
    full = f"{login}/{rec['name']}"
    refs = git_refs(c, login, rec["name"], "refs/" + prefix)
    if not refs:
        raise ApiError(409, "Git Repository is empty.") if rec["empty"] else ApiError(404)
    return [{"ref": ref, "node_id": node("Ref", zlib.crc32(ref.encode())),
             "url": f"{c.api}/repos/{full}/git/{ref}",
             "object": {"sha": sha, "type": kind, "url": f"{c.api}/repos/{full}/git/{kind}s/{sha}"}}
            for sha, kind, ref, _ in refs]


def list_branches(c: Ctx, owner, repo):
    """GitHub's branches: `protected` by a branch protection rule or by an active branch ruleset."""
    login, rec = c.repo(owner, repo)
    full = f"{login}/{rec['name']}"
    org = c.view.find_org(login) or {}
    rulesets = [r for r in list(rec["repo_rulesets"]) + [r for r in org.get("rulesets") or []
                                                         if ruleset_applies(r, rec["name"])]
                if r.get("target", "branch") == "branch" and r.get("enforcement") == "active"]

    def protected(branch: str) -> bool:
        return branch in rec["protected_branches"] or any(
            ruleset_takes_branch(r, branch, rec.get("default_branch") or "main") for r in rulesets)

    out = [{"name": ref[len("refs/heads/"):], "protected": protected(ref[len("refs/heads/"):]),
            "commit": {"sha": sha, "url": f"{c.api}/repos/{full}/commits/{sha}"}}
           for sha, _, ref, _ in git_refs(c, login, rec["name"], "refs/heads/")]
    wanted = c.query.get("protected")
    if wanted in ("true", "false"):
        out = [b for b in out if b["protected"] == (wanted == "true")]
    return out


def list_tags(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    full = f"{login}/{rec['name']}"
    out = []
    for sha, kind, ref, peeled in git_refs(c, login, rec["name"], "refs/tags/"):
        commit = peeled or sha
        name = ref[len("refs/tags/"):]
        out.append({"name": name, "commit": {"sha": commit, "url": f"{c.api}/repos/{full}/commits/{commit}"},
                    "zipball_url": f"{c.api}/repos/{full}/zipball/{name}",
                    "tarball_url": f"{c.api}/repos/{full}/tarball/{name}",
                    "node_id": node("Ref", zlib.crc32(ref.encode()))})
    return sorted(out, key=lambda t: t["name"], reverse=True)


def list_account_nothing(c: Ctx, user):
    """An account's stars, watches and follows: the world has none (github-backup --all asks)."""
    return []
