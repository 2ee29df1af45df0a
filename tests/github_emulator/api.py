"""The REST API: GitHub's JSON shapes rendered from world.json, and the table of endpoints.

Every handler gets a Ctx (the request: world, identity, base URLs, query) and the
path parameters; it returns a dict (an object), a list (paginated by the server),
a Response, or raises ApiError. Add an endpoint by adding one line to ROUTES.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import subprocess
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from .world import ROLE_NAMES, WEB, git_env, org_defaults, repo_defaults, ruleset_applies


class ApiError(Exception):
    MESSAGES = {401: "Requires authentication", 403: "Forbidden", 404: "Not Found",
                422: "Validation Failed"}

    def __init__(self, status: int, message: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message or self.MESSAGES.get(status, "Error")


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)


# ------------------------------------------------------------------------ the store


class Store:
    """world.json with lookup indexes; reloaded when the file changes (mutate)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._stamp = None
        self._view = None

    def current(self) -> "View":
        path = self.root / "world.json"
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    self._view = View(json.loads(path.read_text()))
                    self._stamp = stamp
        return self._view


class View:
    def __init__(self, world: dict):
        self.world = world
        self.orgs = {login.lower(): org for login, org in world["orgs"].items()}
        self.repos = {}   # (org lower, name lower) -> (org login, repo record)
        self.assets = {}  # asset id -> (org login, repo record, release, asset)
        self.index = {}   # repo id -> per-repository indexes
        self.attachments = world.get("attachments", {})  # uuid -> {name, content_type, size, sha256, repo}
        for login, org in world["orgs"].items():
            org_defaults(org)
            for name, rec in org["repos"].items():
                repo_defaults(rec)
                self.repos[(login.lower(), name.lower())] = (login, rec)
                idx = self.index[rec["id"]] = {"issues": {}, "comments": {}, "events": {},
                                               "reviews": {}, "releases": {}, "pull_reviews": {}}
                for review in rec["reviews"]:
                    idx["pull_reviews"].setdefault(review["pull"], []).append(review)
                for issue in rec["issues"]:
                    idx["issues"][issue["number"]] = issue
                for key, field_ in (("comments", "issue"), ("events", "issue"),
                                    ("reviews", "pull")):
                    source = rec["review_comments" if key == "reviews" else key]
                    for item in source:
                        idx[key].setdefault(item[field_], []).append(item)
                for rel in rec["releases"]:
                    idx["releases"][rel["id"]] = rel
                    for asset in rel["assets"]:
                        self.assets[asset["id"]] = (login, rec, rel, asset)

    def find_org(self, login: str) -> dict | None:
        return self.orgs.get(login.lower())

    def find_repo(self, owner: str, name: str):
        """(org login, record) or None; names are case-insensitive as on GitHub."""
        return self.repos.get((owner.lower(), name.lower()))


# ------------------------------------------------------------------------ context


@dataclass
class Ctx:
    view: View
    user: dict | None      # {"login": ..., "admin": bool} or None when anonymous
    web: str               # https://HOST
    api: str               # https://HOST or https://HOST/api/v3
    query: dict
    headers: object
    root: Path
    secret: bytes
    rate: dict             # this identity's core rate limit: limit, remaining, reset, used
    body: bytes = b""      # the request body (POST)
    uploads: bool = False  # the request came to the uploads host (/api/uploads/...)

    def repo(self, owner: str, name: str):
        found = self.view.find_repo(owner, name)
        if not found or (found[1]["private"] and not self.user):
            raise ApiError(404)
        return found

    def since(self) -> str:
        return self.query.get("since") or ""


# ------------------------------------------------------------------------ shapes


def _id(login: str) -> int:
    return zlib.crc32(login.encode()) % 10_000_000 + 1


def node(kind: str, number: int) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode()


def text(c: Ctx, body: str | None) -> str | None:
    """A stored body with the {{WEB}} placeholder made this request's https://HOST."""
    return body.replace(WEB, c.web) if body else body


def user_json(c: Ctx, login: str, kind: str = "User") -> dict:
    uid = c.view.orgs[login.lower()]["id"] if kind == "Organization" else _id(login)
    api = f"{c.api}/{'users' if kind == 'User' else 'orgs'}/{login}"
    return {"login": login, "id": uid, "node_id": node(kind, uid),
            "avatar_url": f"{c.web}/avatars/{login}", "gravatar_id": "", "url": api,
            "html_url": f"{c.web}/{login}", "repos_url": f"{api}/repos",
            "events_url": f"{api}/events", "type": kind, "site_admin": False}


def org_json(c: Ctx, org: dict) -> dict:
    api = f"{c.api}/orgs/{org['login']}"
    public = sum(1 for r in org["repos"].values() if not r["private"])
    return {"login": org["login"], "id": org["id"], "node_id": node("Organization", org["id"]),
            "url": api, "repos_url": f"{api}/repos", "events_url": f"{api}/events",
            "hooks_url": f"{api}/hooks", "issues_url": f"{api}/issues",
            "members_url": f"{api}/members{{/member}}",
            "public_members_url": f"{api}/public_members{{/member}}",
            "avatar_url": f"{c.web}/avatars/{org['login']}", "description": org["description"],
            "name": org["login"], "html_url": f"{c.web}/{org['login']}", "type": "Organization",
            "public_repos": public, "created_at": org["created_at"], "updated_at": org["created_at"]}


def repo_json(c: Ctx, owner: str, rec: dict) -> dict:
    full = f"{owner}/{rec['name']}"
    api = f"{c.api}/repos/{full}"
    host = c.web.split("://", 1)[1]
    out = {
        "id": rec["id"], "node_id": node("Repository", rec["id"]), "name": rec["name"],
        "full_name": full, "private": rec["private"], "owner": user_json(c, owner, "Organization"),
        "html_url": f"{c.web}/{full}", "description": rec["description"], "fork": rec["fork"],
        "url": api, "created_at": rec["created_at"], "updated_at": rec["updated_at"],
        "pushed_at": rec["pushed_at"], "git_url": f"git://{host}/{full}.git",
        "ssh_url": f"git@{host.split(':')[0]}:{full}.git", "clone_url": f"{c.web}/{full}.git",
        "svn_url": f"{c.web}/{full}", "homepage": rec["settings"]["homepage"], "size": rec["size"],
        "stargazers_count": 0, "watchers_count": 0, "language": rec["language"],
        "has_issues": rec["has_issues"], "has_projects": rec["has_projects"],
        "has_downloads": True, "has_wiki": rec["has_wiki"], "has_pages": rec["pages"] is not None,
        "has_discussions": rec["settings"]["has_discussions"], "forks_count": 0, "mirror_url": None, "archived": rec["archived"],
        "disabled": False, "open_issues_count": sum(1 for i in rec["issues"] if i["state"] == "open"),
        "license": None, "allow_forking": True, "is_template": False, "topics": rec["topics"],
        "visibility": "private" if rec["private"] else "public", "forks": 0,
        "open_issues": sum(1 for i in rec["issues"] if i["state"] == "open"), "watchers": 0,
        "default_branch": rec["default_branch"],
        "permissions": {"admin": bool(c.user and c.user["admin"]), "maintain": bool(c.user and c.user["admin"]),
                        "push": bool(c.user and c.user["admin"]), "triage": bool(c.user), "pull": True},
    }
    for key in ("forks", "keys", "collaborators", "teams", "hooks", "events", "branches", "tags",
                "languages", "stargazers", "contributors", "subscribers", "subscription",
                "commits", "issues", "pulls", "milestones", "labels", "releases", "deployments"):
        out[f"{key}_url"] = f"{api}/{key}"
    out["archive_url"] = api + "/{archive_format}{/ref}"
    if rec["parent"]:
        out["parent_full_name"] = rec["parent"]
    return out


def label_json(c: Ctx, full: str, label: dict) -> dict:
    return {"id": label["id"], "node_id": node("Label", label["id"]),
            "url": f"{c.api}/repos/{full}/labels/{label['name']}", "name": label["name"],
            "color": label["color"], "default": False, "description": label["description"]}


def milestone_json(c: Ctx, full: str, rec: dict, ms: dict) -> dict:
    issues = [i for i in rec["issues"] if i["milestone"] == ms["number"]]
    return {"url": f"{c.api}/repos/{full}/milestones/{ms['number']}",
            "html_url": f"{c.web}/{full}/milestone/{ms['number']}",
            "labels_url": f"{c.api}/repos/{full}/milestones/{ms['number']}/labels",
            "id": ms["id"], "node_id": node("Milestone", ms["id"]), "number": ms["number"],
            "title": ms["title"], "description": ms["description"],
            "creator": user_json(c, ms.get("creator", "alice")), "state": ms["state"],
            "open_issues": sum(1 for i in issues if i["state"] == "open"),
            "closed_issues": sum(1 for i in issues if i["state"] == "closed"),
            "created_at": ms["created_at"], "updated_at": ms["updated_at"],
            "due_on": ms["due_on"], "closed_at": ms["closed_at"]}


def _labels(c: Ctx, full: str, rec: dict, names: list) -> list:
    by_name = {label["name"]: label for label in rec["labels"]}
    return [label_json(c, full, by_name[n]) for n in names if n in by_name]


def issue_json(c: Ctx, owner: str, rec: dict, issue: dict) -> dict:
    full = f"{owner}/{rec['name']}"
    api = f"{c.api}/repos/{full}/issues/{issue['number']}"
    idx = c.view.index[rec["id"]]
    ms = next((m for m in rec["milestones"] if m["number"] == issue["milestone"]), None)
    out = {"url": api, "repository_url": f"{c.api}/repos/{full}",
           "labels_url": api + "/labels{/name}", "comments_url": f"{api}/comments",
           "events_url": f"{api}/events", "html_url": f"{c.web}/{full}/issues/{issue['number']}",
           "id": issue["id"], "node_id": node("Issue", issue["id"]), "number": issue["number"],
           "title": issue["title"], "user": user_json(c, issue["user"]),
           "labels": _labels(c, full, rec, issue["labels"]), "state": issue["state"],
           "state_reason": issue.get("state_reason", "completed" if issue["state"] == "closed" else None),
           "locked": False, "assignee": _assignees(c, issue)[0] if issue.get("assignees") else None,
           "assignees": _assignees(c, issue),
           "milestone": milestone_json(c, full, rec, ms) if ms else None,
           "comments": len(idx["comments"].get(issue["number"], [])),
           "created_at": issue["created_at"], "updated_at": issue["updated_at"],
           "closed_at": issue["closed_at"], "author_association": "MEMBER", "body": text(c, issue["body"])}
    if issue["pull"]:
        pulls = f"{c.api}/repos/{full}/pulls/{issue['number']}"
        html = f"{c.web}/{full}/pull/{issue['number']}"
        out["pull_request"] = {"url": pulls, "html_url": html, "diff_url": html + ".diff",
                               "patch_url": html + ".patch", "merged_at": issue["pull"].get("merged_at")}
        out["draft"] = bool(issue["pull"].get("draft"))
    return out


def _assignees(c: Ctx, issue: dict) -> list:
    return [user_json(c, login) for login in issue.get("assignees", [])]


def comment_json(c: Ctx, full: str, comment: dict) -> dict:
    return {"url": f"{c.api}/repos/{full}/issues/comments/{comment['id']}",
            "html_url": f"{c.web}/{full}/issues/{comment['issue']}#issuecomment-{comment['id']}",
            "issue_url": f"{c.api}/repos/{full}/issues/{comment['issue']}",
            "id": comment["id"], "node_id": node("IssueComment", comment["id"]),
            "user": user_json(c, comment["user"]), "created_at": comment["created_at"],
            "updated_at": comment["updated_at"], "author_association": "MEMBER",
            "body": text(c, comment["body"])}


def event_json(c: Ctx, full: str, event: dict) -> dict:
    out = {"id": event["id"], "node_id": node("Event", event["id"]),
           "url": f"{c.api}/repos/{full}/issues/events/{event['id']}",
           "actor": user_json(c, event["actor"]), "event": event["event"], "commit_id": None,
           "commit_url": None, "created_at": event["created_at"], "performed_via_github_app": None}
    if event["label"]:
        out["label"] = {"name": event["label"], "color": "d73a4a"}
    return out


def _branch_json(c: Ctx, owner: str, rec: dict, ref: str, sha: str) -> dict:
    return {"label": f"{owner}:{ref}", "ref": ref, "sha": sha,
            "user": user_json(c, owner, "Organization"), "repo": repo_json(c, owner, rec)}


def pull_json(c: Ctx, owner: str, rec: dict, issue: dict) -> dict:
    full = f"{owner}/{rec['name']}"
    n = issue["number"]
    pull = issue["pull"]
    api = f"{c.api}/repos/{full}/pulls/{n}"
    html = f"{c.web}/{full}/pull/{n}"
    idx = c.view.index[rec["id"]]
    ms = next((m for m in rec["milestones"] if m["number"] == issue["milestone"]), None)
    return {"url": api, "id": issue["id"] + 500_000_000, "node_id": node("PullRequest", issue["id"]),
            "html_url": html, "diff_url": html + ".diff", "patch_url": html + ".patch",
            "issue_url": f"{c.api}/repos/{full}/issues/{n}", "number": n, "state": issue["state"],
            "locked": False, "title": issue["title"], "user": user_json(c, issue["user"]),
            "body": text(c, issue["body"]), "created_at": issue["created_at"], "updated_at": issue["updated_at"],
            "closed_at": issue["closed_at"], "merged_at": pull.get("merged_at"),
            "merge_commit_sha": pull["merge_commit_sha"],
            "assignee": _assignees(c, issue)[0] if issue.get("assignees") else None,
            "assignees": _assignees(c, issue),
            "requested_reviewers": [], "requested_teams": [],
            "labels": _labels(c, full, rec, issue["labels"]),
            "milestone": milestone_json(c, full, rec, ms) if ms else None, "draft": bool(pull.get("draft")),
            "commits_url": f"{api}/commits", "review_comments_url": f"{api}/comments",
            "review_comment_url": f"{c.api}/repos/{full}/pulls/comments{{/number}}",
            "comments_url": f"{c.api}/repos/{full}/issues/{n}/comments",
            "statuses_url": f"{c.api}/repos/{full}/statuses/{pull['head_sha']}",
            "head": _branch_json(c, owner, rec, pull["head"], pull["head_sha"]),
            "base": _branch_json(c, owner, rec, pull["base"], pull["base_sha"]),
            "author_association": "MEMBER", "auto_merge": None, "active_lock_reason": None,
            "merged": pull["merged"], "mergeable": None if pull["merged"] else True,
            "rebaseable": None, "mergeable_state": "unknown",
            "merged_by": user_json(c, "alice") if pull["merged"] else None,
            "comments": len(idx["comments"].get(n, [])),
            "review_comments": len(idx["reviews"].get(n, [])), "maintainer_can_modify": False,
            "commits": len(pull["commits"]), "additions": 2 * len(pull["commits"]),
            "deletions": 0, "changed_files": 1}


def review_comment_json(c: Ctx, full: str, rc: dict) -> dict:
    return {"url": f"{c.api}/repos/{full}/pulls/comments/{rc['id']}",
            "pull_request_review_id": rc["id"] + 1, "id": rc["id"],
            "node_id": node("PullRequestReviewComment", rc["id"]),
            "diff_hunk": "@@ -0,0 +1 @@\n+line", "path": rc["path"], "position": rc["line"],
            "original_position": rc["line"], "commit_id": rc["commit_id"],
            "original_commit_id": rc["commit_id"], "user": user_json(c, rc["user"]), "body": text(c, rc["body"]),
            "created_at": rc["created_at"], "updated_at": rc["updated_at"],
            "html_url": f"{c.web}/{full}/pull/{rc['pull']}#discussion_r{rc['id']}",
            "pull_request_url": f"{c.api}/repos/{full}/pulls/{rc['pull']}",
            "author_association": "MEMBER", "line": rc["line"], "side": "RIGHT",
            "start_line": None, "original_line": rc["line"]}


def commit_json(c: Ctx, full: str, commit: dict, when: str) -> dict:
    person = {"name": "Emulator Bot", "email": "bot@emulator.invalid", "date": when}
    return {"sha": commit["sha"], "node_id": node("Commit", int(commit["sha"][:7], 16)),
            "commit": {"author": person, "committer": person, "message": commit["message"],
                       "url": f"{c.api}/repos/{full}/git/commits/{commit['sha']}", "comment_count": 0},
            "url": f"{c.api}/repos/{full}/commits/{commit['sha']}",
            "html_url": f"{c.web}/{full}/commit/{commit['sha']}", "author": None, "committer": None,
            "parents": [{"sha": p, "url": f"{c.api}/repos/{full}/commits/{p}"} for p in commit["parents"]]}


def hook_json(c: Ctx, full: str, hook: dict) -> dict:
    api = f"{c.api}/repos/{full}/hooks/{hook['id']}"
    return {"type": "Repository", "id": hook["id"], "name": hook["name"], "active": hook["active"],
            "events": hook["events"], "config": hook["config"], "updated_at": hook["updated_at"],
            "created_at": hook["created_at"], "url": api, "test_url": f"{api}/test",
            "ping_url": f"{api}/pings", "deliveries_url": f"{api}/deliveries",
            "last_response": {"code": None, "status": "unused", "message": None}}


def asset_json(c: Ctx, full: str, rel: dict, asset: dict) -> dict:
    return {"url": f"{c.api}/repos/{full}/releases/assets/{asset['id']}", "id": asset["id"],
            "node_id": node("ReleaseAsset", asset["id"]), "name": asset["name"],
            "label": asset["label"], "uploader": user_json(c, rel["author"]),
            "content_type": asset["content_type"], "state": "uploaded", "size": asset["size"],
            "download_count": asset["download_count"], "created_at": asset["created_at"],
            "updated_at": asset["updated_at"],
            "browser_download_url": f"{c.web}/{full}/releases/download/{rel['tag_name']}/{asset['name']}"}


def release_json(c: Ctx, full: str, rel: dict) -> dict:
    api = f"{c.api}/repos/{full}/releases/{rel['id']}"
    host = c.web.split("://", 1)[1]
    return {"url": api, "assets_url": f"{api}/assets",
            "upload_url": f"https://{host}/api/uploads/repos/{full}/releases/{rel['id']}/assets{{?name,label}}",
            "html_url": f"{c.web}/{full}/releases/tag/{rel['tag_name']}", "id": rel["id"],
            "author": user_json(c, rel["author"]), "node_id": node("Release", rel["id"]),
            "tag_name": rel["tag_name"], "target_commitish": rel["target_commitish"],
            "name": rel["name"], "draft": rel["draft"], "prerelease": rel["prerelease"],
            "created_at": rel["created_at"], "published_at": rel["published_at"],
            "assets": [asset_json(c, full, rel, a) for a in rel["assets"]],
            "tarball_url": f"{c.api}/repos/{full}/tarball/{rel['tag_name']}",
            "zipball_url": f"{c.api}/repos/{full}/zipball/{rel['tag_name']}", "body": text(c, rel["body"])}


# ------------------------------------------------------------------------ helpers


def _order(items: list, c: Ctx, keys: dict, default: str, asc_default=None) -> list:
    sort = c.query.get("sort", default)
    key = keys.get(sort, keys[default])
    asc = asc_default(sort) if asc_default else False
    direction = c.query.get("direction", "asc" if asc else "desc")
    return sorted(items, key=key, reverse=direction != "asc")


def _state_ok(c: Ctx, state: str, default: str = "open") -> bool:
    wanted = c.query.get("state", default)
    return wanted == "all" or wanted == state


def _git_refs(c: Ctx, owner: str, name: str, pattern: str) -> list:
    git_dir = c.root / "git" / owner / f"{name}.git"
    out = subprocess.run(["git", "--git-dir", str(git_dir), "for-each-ref",
                          "--format=%(objectname) %(objecttype) %(refname) %(*objectname)", pattern],
                         capture_output=True, env=git_env(), check=True).stdout.decode()
    return [line.split(" ") for line in out.splitlines()]


def sign(secret: bytes, asset_id: int) -> str:
    return hmac.new(secret, str(asset_id).encode(), hashlib.sha256).hexdigest()[:32]


# ------------------------------------------------------------------------ handlers


def get_user(c: Ctx):
    if not c.user:
        raise ApiError(401)
    out = user_json(c, c.user["login"])
    out.update(name=c.user["login"], email=None, site_admin=c.user["admin"],
               created_at="2020-01-01T00:00:00Z", updated_at="2020-01-01T00:00:00Z")
    return out


def get_user_by_login(c: Ctx, user):
    if c.view.find_org(user):
        return org_json(c, c.view.find_org(user)) | {"type": "Organization"}
    return user_json(c, user)


def get_rate_limit(c: Ctx):
    spare = {"limit": 5000, "remaining": 5000, "reset": c.rate["reset"], "used": 0}
    return {"resources": {"core": c.rate, "search": spare, "graphql": spare,
                          "integration_manifest": spare}, "rate": c.rate}


def get_org(c: Ctx, org):
    found = c.view.find_org(org)
    if not found:
        raise ApiError(404)
    out = org_json(c, found)
    settings = org_defaults(found)["settings"]
    out.update(blog=settings["blog"], location=settings["location"], email=settings["email"],
               twitter_username=None, is_verified=False, has_organization_projects=True,
               has_repository_projects=True, followers=0, following=0, public_gists=0)
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
    if not found:
        raise ApiError(404)
    kind = c.query.get("type", "all")
    repos = [r for r in found["repos"].values() if c.user or not r["private"]]
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
    repos = _order(repos, c, keys, "created", asc_default=lambda s: s == "full_name")
    return [repo_json(c, found["login"], r) for r in repos]


def get_repo(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    return repo_full_json(c, login, rec)


def list_issues(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    wanted_labels = set(filter(None, c.query.get("labels", "").split(",")))
    issues = [i for i in rec["issues"] if _state_ok(c, i["state"]) and i["updated_at"] >= c.since()
              and wanted_labels <= set(i["labels"])]
    idx = c.view.index[rec["id"]]
    keys = {"created": lambda i: (i["created_at"], i["number"]),
            "updated": lambda i: (i["updated_at"], i["number"]),
            "comments": lambda i: (len(idx["comments"].get(i["number"], [])), i["number"])}
    return [issue_json(c, login, rec, i) for i in _order(issues, c, keys, "created")]


def _issue(c: Ctx, owner, repo, number):
    login, rec = c.repo(owner, repo)
    issue = c.view.index[rec["id"]]["issues"].get(int(number))
    if not issue:
        raise ApiError(404)
    return login, rec, issue


def get_issue(c: Ctx, owner, repo, number):
    login, rec, issue = _issue(c, owner, repo, number)
    return issue_json(c, login, rec, issue)


def list_issue_comments(c: Ctx, owner, repo, number):
    login, rec, issue = _issue(c, owner, repo, number)
    comments = c.view.index[rec["id"]]["comments"].get(issue["number"], [])
    return [comment_json(c, f"{login}/{rec['name']}", x) for x in comments if x["updated_at"] >= c.since()]


def list_repo_issue_comments(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    comments = [x for x in rec["comments"] if x["updated_at"] >= c.since()]
    keys = {"created": lambda x: (x["created_at"], x["id"]), "updated": lambda x: (x["updated_at"], x["id"])}
    comments = _order(comments, c, keys, "created", asc_default=lambda s: True)
    return [comment_json(c, f"{login}/{rec['name']}", x) for x in comments]


def list_repo_issue_events(c: Ctx, owner, repo):
    """GitHub's repository listing of issue events: each carries its issue (no `since`)."""
    login, rec = c.repo(owner, repo)
    issues = {i["number"]: i for i in rec["issues"]}
    full = f"{login}/{rec['name']}"
    return [event_json(c, full, e) | {"issue": issue_json(c, login, rec, issues[e["issue"]])}
            for e in sorted(rec["events"], key=lambda e: e["id"]) if e["issue"] in issues]


def list_issue_events(c: Ctx, owner, repo, number):
    login, rec, issue = _issue(c, owner, repo, number)
    return [event_json(c, f"{login}/{rec['name']}", e)
            for e in c.view.index[rec["id"]]["events"].get(issue["number"], [])]


def list_pulls(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    pulls = [i for i in rec["issues"] if i["pull"] and _state_ok(c, i["state"])]
    keys = {"created": lambda i: (i["created_at"], i["number"]),
            "updated": lambda i: (i["updated_at"], i["number"]),
            "popularity": lambda i: i["number"], "long-running": lambda i: i["created_at"]}
    pulls = _order(pulls, c, keys, "created", asc_default=lambda s: s not in ("created",))
    return [pull_json(c, login, rec, i) for i in pulls]


def _pull(c: Ctx, owner, repo, number):
    login, rec, issue = _issue(c, owner, repo, number)
    if not issue["pull"]:
        raise ApiError(404)
    return login, rec, issue


def get_pull(c: Ctx, owner, repo, number):
    login, rec, issue = _pull(c, owner, repo, number)
    return pull_json(c, login, rec, issue)


def list_review_comments(c: Ctx, owner, repo, number):
    login, rec, issue = _pull(c, owner, repo, number)
    return [review_comment_json(c, f"{login}/{rec['name']}", x)
            for x in c.view.index[rec["id"]]["reviews"].get(issue["number"], [])]


def list_repo_review_comments(c: Ctx, owner, repo):
    """Every pull request's review comments (since, sort created/updated, direction)."""
    login, rec = c.repo(owner, repo)
    comments = [x for x in rec["review_comments"] if x["updated_at"] >= c.since()]
    keys = {"created": lambda x: (x["created_at"], x["id"]), "updated": lambda x: (x["updated_at"], x["id"])}
    comments = _order(comments, c, keys, "created", asc_default=lambda s: True)
    return [review_comment_json(c, f"{login}/{rec['name']}", x) for x in comments]


def list_pull_commits(c: Ctx, owner, repo, number):
    login, rec, issue = _pull(c, owner, repo, number)
    return [commit_json(c, f"{login}/{rec['name']}", x, issue["created_at"])
            for x in issue["pull"]["commits"]]


def list_milestones(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    return [milestone_json(c, f"{login}/{rec['name']}", rec, m)
            for m in rec["milestones"] if _state_ok(c, m["state"])]


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


def _release(c: Ctx, owner, repo, release_id):
    login, rec = c.repo(owner, repo)
    rel = c.view.index[rec["id"]]["releases"].get(int(release_id))
    if not rel:
        raise ApiError(404)
    return login, rec, rel


def get_release(c: Ctx, owner, repo, id):
    login, rec, rel = _release(c, owner, repo, id)
    return release_json(c, f"{login}/{rec['name']}", rel)


def list_release_assets(c: Ctx, owner, repo, id):
    login, rec, rel = _release(c, owner, repo, id)
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
    refs = _git_refs(c, login, rec["name"], "refs/" + prefix)
    if not refs:
        raise ApiError(409, "Git Repository is empty.") if rec["empty"] else ApiError(404)
    return [{"ref": ref, "node_id": node("Ref", zlib.crc32(ref.encode())),
             "url": f"{c.api}/repos/{full}/git/{ref}",
             "object": {"sha": sha, "type": kind, "url": f"{c.api}/repos/{full}/git/{kind}s/{sha}"}}
            for sha, kind, ref, _ in refs]


def list_branches(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    full = f"{login}/{rec['name']}"
    out = [{"name": ref[len("refs/heads/"):], "protected": ref[len("refs/heads/"):] in rec["protected_branches"],
            "commit": {"sha": sha, "url": f"{c.api}/repos/{full}/commits/{sha}"}}
           for sha, _, ref, _ in _git_refs(c, login, rec["name"], "refs/heads/")]
    wanted = c.query.get("protected")
    if wanted in ("true", "false"):
        out = [b for b in out if b["protected"] == (wanted == "true")]
    return out


def list_tags(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    full = f"{login}/{rec['name']}"
    out = []
    for sha, kind, ref, peeled in _git_refs(c, login, rec["name"], "refs/tags/"):
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


# ------------------------------------------------------ metadata: shapes and handlers

ADMIN_REPO = "Must have admin rights to Repository."
ADMIN_ORG = "Must have admin rights to Organization."
LEVELS = ["pull", "triage", "push", "maintain", "admin"]
MERGE_KEYS = ("allow_merge_commit", "allow_squash_merge", "allow_rebase_merge", "allow_auto_merge",
              "delete_branch_on_merge", "web_commit_signoff_required")


def _require_admin(c: Ctx, message: str = ADMIN_REPO) -> None:
    """As the emulator's rule: anonymous -> 404, a reader token -> 403, the admin token passes."""
    if not c.user:
        raise ApiError(404)
    if not c.user["admin"]:
        raise ApiError(403, message)


def _member(c: Ctx) -> None:
    """What an organization member may read (the reader token is one); anonymous -> 404."""
    if not c.user:
        raise ApiError(404)


def permissions_json(permission: str) -> dict:
    level = LEVELS.index(permission)
    return {"admin": level >= 4, "maintain": level >= 3, "push": level >= 2, "triage": level >= 1, "pull": True}


def _paged(c: Ctx, path: str, key: str, items: list) -> Response:
    """An object {"total_count", key: [...]} with one page of items (and Link), as GitHub pages them."""
    from .server import _Handler  # late: server imports this module
    headers = {"Content-Type": "application/json; charset=utf-8"}
    page = _Handler.paginate(items, c.query, c.api + path, headers)
    return Response(200, json.dumps({"total_count": len(items), key: page}).encode(), headers)


def repo_full_json(c: Ctx, owner: str, rec: dict) -> dict:
    """GET /repos/{o}/{r}: the listing's object plus what GitHub shows only there."""
    out = repo_json(c, owner, rec)
    settings = rec["settings"]
    out.update({k: settings[k] for k in MERGE_KEYS})
    out.update(allow_update_branch=False, use_squash_pr_title_as_default=False,
               squash_merge_commit_title="COMMIT_OR_PR_TITLE", squash_merge_commit_message="COMMIT_MESSAGES",
               merge_commit_title="MERGE_MESSAGE", merge_commit_message="PR_TITLE",
               network_count=0, subscribers_count=0,
               organization=user_json(c, owner, "Organization"))
    if c.user and c.user["admin"]:
        out["security_and_analysis"] = settings["security_and_analysis"]
    return out


def _org(c: Ctx, org: str) -> dict:
    found = c.view.find_org(org)
    if not found:
        raise ApiError(404)
    return found


def _team(c: Ctx, org: str, slug: str):
    found = _org(c, org)
    _member(c)
    team = next((t for t in found["teams"] if t["slug"].lower() == slug.lower()), None)
    if not team:
        raise ApiError(404)
    return found, team


def team_json(c: Ctx, org: dict, team: dict, *, with_parent: bool = True) -> dict:
    api = f"{c.api}/orgs/{org['login']}/teams/{team['slug']}"
    out = {"id": team["id"], "node_id": node("Team", team["id"]), "url": api,
           "html_url": f"{c.web}/orgs/{org['login']}/teams/{team['slug']}", "name": team["name"],
           "slug": team["slug"], "description": team["description"], "privacy": team["privacy"],
           "notification_setting": "notifications_enabled", "permission": "pull",
           "members_url": api + "/members{/member}", "repositories_url": api + "/repos"}
    if with_parent:
        parent = next((t for t in org["teams"] if t["slug"] == team["parent"]), None)
        out["parent"] = team_json(c, org, parent, with_parent=False) if parent else None
    return out


def review_json(c: Ctx, full: str, review: dict) -> dict:
    html = f"{c.web}/{full}/pull/{review['pull']}#pullrequestreview-{review['id']}"
    pull = f"{c.api}/repos/{full}/pulls/{review['pull']}"
    return {"id": review["id"], "node_id": node("PullRequestReview", review["id"]),
            "user": user_json(c, review["user"]), "body": text(c, review["body"]), "state": review["state"],
            "html_url": html, "pull_request_url": pull, "author_association": "MEMBER",
            "_links": {"html": {"href": html}, "pull_request": {"href": pull}},
            "submitted_at": review["submitted_at"], "commit_id": review["commit_id"]}


def commit_comment_json(c: Ctx, full: str, comment: dict) -> dict:
    return {"html_url": f"{c.web}/{full}/commit/{comment['commit_id']}#commitcomment-{comment['id']}",
            "url": f"{c.api}/repos/{full}/comments/{comment['id']}", "id": comment["id"],
            "node_id": node("CommitComment", comment["id"]), "body": text(c, comment["body"]),
            "path": comment["path"], "position": comment["line"], "line": comment["line"],
            "commit_id": comment["commit_id"], "user": user_json(c, comment["user"]),
            "created_at": comment["created_at"], "updated_at": comment["updated_at"],
            "author_association": "MEMBER"}


def ruleset_json(c: Ctx, ruleset: dict, source_type: str, source: str, *, full: bool) -> dict:
    if source_type == "Repository":
        api, html = f"{c.api}/repos/{source}/rulesets/{ruleset['id']}", f"{c.web}/{source}/rules/{ruleset['id']}"
    else:
        api = f"{c.api}/orgs/{source}/rulesets/{ruleset['id']}"
        html = f"{c.web}/organizations/{source}/settings/rules/{ruleset['id']}"
    out = {"id": ruleset["id"], "name": ruleset["name"], "target": ruleset["target"],
           "source_type": source_type, "source": source, "enforcement": ruleset["enforcement"],
           "node_id": node("RepositoryRuleset", ruleset["id"]),
           "_links": {"self": {"href": api}, "html": {"href": html}},
           "created_at": ruleset["created_at"], "updated_at": ruleset["updated_at"]}
    if full:
        admin = bool(c.user and c.user["admin"])
        out.update(conditions=ruleset["conditions"], rules=ruleset["rules"],
                   current_user_can_bypass="always" if admin else "never")
        if admin:  # GitHub shows bypass actors only to those who may edit the ruleset
            out["bypass_actors"] = ruleset["bypass_actors"]
    return out


def _repo_rulesets(c: Ctx, login: str, rec: dict) -> list:
    """(ruleset, source type, source): the repository's own, then (includes_parents) the org's that apply."""
    full = f"{login}/{rec['name']}"
    found = [(r, "Repository", full) for r in rec["repo_rulesets"]]
    if c.query.get("includes_parents", "true") != "false":
        org = c.view.find_org(login)
        found += [(r, "Organization", org["login"]) for r in org["rulesets"] if ruleset_applies(r, rec["name"])]
    return found


def _actors_json(c: Ctx, org_login: str, actors: dict, url: str | None = None) -> dict:
    """{users, teams, apps} as stored (logins, team slugs, app slugs) -> GitHub's objects."""
    org = c.view.find_org(org_login) or {"teams": [], "login": org_login}
    teams = {t["slug"]: t for t in org.get("teams", [])}
    out = {}
    if url:
        out.update(url=url, users_url=f"{url}/users", teams_url=f"{url}/teams")
    out["users"] = [user_json(c, login) for login in actors.get("users", [])]
    out["teams"] = [team_json(c, org, teams[slug], with_parent=False) for slug in actors.get("teams", [])
                    if slug in teams]
    if "apps" in actors:
        if url:
            out["apps_url"] = f"{url}/apps"
        out["apps"] = [{"slug": slug, "name": slug, "id": _id("app:" + slug), "node_id": node("App", _id("app:" + slug)),
                        "owner": user_json(c, org_login, "Organization") if org_login.lower() in c.view.orgs else None}
                       for slug in actors["apps"]]
    return out


def protection_json(c: Ctx, full: str, branch: str, protection: dict) -> dict:
    api = f"{c.api}/repos/{full}/branches/{branch}/protection"
    owner = full.split("/")[0]
    out = {"url": api}
    for key, value in protection.items():
        value = dict(value) if isinstance(value, dict) else value
        if key in ("required_status_checks", "required_pull_request_reviews", "required_signatures",
                   "enforce_admins"):
            value["url"] = f"{api}/{key}"
        if key == "required_status_checks":
            value["contexts_url"] = f"{api}/required_status_checks/contexts"
        if key == "required_pull_request_reviews":
            if "dismissal_restrictions" in value:
                value["dismissal_restrictions"] = _actors_json(
                    c, owner, value["dismissal_restrictions"], f"{api}/dismissal_restrictions")
            if "bypass_pull_request_allowances" in value:
                value["bypass_pull_request_allowances"] = _actors_json(
                    c, owner, value["bypass_pull_request_allowances"])
        if key == "restrictions":
            value = _actors_json(c, owner, value, f"{api}/restrictions")
        out[key] = value
    return out


def environment_json(c: Ctx, login: str, rec: dict, env: dict) -> dict:
    full = f"{login}/{rec['name']}"
    org = c.view.find_org(login)
    rules = []
    for rule in env["protection_rules"]:
        out = {"id": rule["id"], "node_id": node("ProtectionRule", rule["id"]), "type": rule["type"]}
        if rule["type"] == "wait_timer":
            out["wait_timer"] = rule["wait_timer"]
        else:
            out["prevent_self_review"] = rule.get("prevent_self_review", False)
            out["reviewers"] = [
                {"type": "User", "reviewer": user_json(c, r["login"])} if r["type"] == "User" else
                {"type": "Team", "reviewer": team_json(c, org, next(t for t in org["teams"] if t["slug"] == r["slug"]),
                                                       with_parent=False)}
                for r in rule["reviewers"]]
        rules.append(out)
    return {"id": env["id"], "node_id": node("Environment", env["id"]), "name": env["name"],
            "url": f"{c.api}/repos/{full}/environments/{env['name']}",
            "html_url": f"{c.web}/{full}/deployments/activity_log?environments_filter={env['name']}",
            "created_at": env["created_at"], "updated_at": env["updated_at"], "can_admins_bypass": True,
            "protection_rules": rules, "deployment_branch_policy": env["deployment_branch_policy"]}


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
    login, rec, issue = _pull(c, owner, repo, number)
    return [review_json(c, f"{login}/{rec['name']}", r)
            for r in c.view.index[rec["id"]]["pull_reviews"].get(issue["number"], [])]


def list_commit_comments(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    return [commit_comment_json(c, f"{login}/{rec['name']}", x) for x in rec["commit_comments"]]


def list_collaborators(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    _require_admin(c)
    outside = set(c.view.find_org(login)["outside_collaborators"])
    people = rec["collaborators"]
    affiliation = c.query.get("affiliation", "all")
    if affiliation == "outside":
        people = [p for p in people if p["login"] in outside]
    return [user_json(c, p["login"]) | {"permissions": permissions_json(p["permission"]),
                                        "role_name": ROLE_NAMES[p["permission"]]} for p in people]


def list_repo_teams(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    _require_admin(c)
    org = c.view.find_org(login)
    return [team_json(c, org, t) | {"permission": t["repos"][rec["name"]],
                                    "permissions": permissions_json(t["repos"][rec["name"]])}
            for t in org["teams"] if rec["name"] in t["repos"]]


def get_branch_protection(c: Ctx, owner, repo, branch):
    login, rec = c.repo(owner, repo)
    _require_admin(c)
    if not any(ref == f"refs/heads/{branch}" for _, _, ref, _ in _git_refs(c, login, rec["name"], f"refs/heads/{branch}")):
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


def list_deploy_keys(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    _require_admin(c)
    full = f"{login}/{rec['name']}"
    return [{"id": k["id"], "key": k["key"], "url": f"{c.api}/repos/{full}/keys/{k['id']}", "title": k["title"],
             "verified": True, "created_at": k["created_at"], "read_only": k["read_only"],
             "added_by": "alice", "last_used": None, "enabled": True} for k in rec["deploy_keys"]]


def list_environments(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    envs = [environment_json(c, login, rec, e) for e in rec["environments"]]
    return _paged(c, f"/repos/{login}/{rec['name']}/environments", "environments", envs)


def list_environment_variables(c: Ctx, owner, repo, name):
    login, rec = c.repo(owner, repo)
    env = next((e for e in rec["environments"] if e["name"].lower() == name.lower()), None)
    _require_admin(c)
    if env is None:
        raise ApiError(404)
    return _paged(c, f"/repos/{login}/{rec['name']}/environments/{env['name']}/variables", "variables",
                  _variables(env["variables"]))


def list_repo_variables(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    _require_admin(c)
    return _paged(c, f"/repos/{login}/{rec['name']}/actions/variables", "variables", _variables(rec["variables"]))


def list_repo_secrets(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    _require_admin(c)
    return _paged(c, f"/repos/{login}/{rec['name']}/actions/secrets", "secrets", _variables(rec["secrets"]))


def list_autolinks(c: Ctx, owner, repo):
    login, rec = c.repo(owner, repo)
    _require_admin(c)
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
    found = _org(c, org)
    if not c.user:
        return []  # anonymous sees public members only; the world has none
    role = c.query.get("role", "all")
    return [user_json(c, m["login"]) for m in found["members"] if role == "all" or m["role"] == role]


def list_outside_collaborators(c: Ctx, org):
    found = _org(c, org)
    _require_admin(c, ADMIN_ORG)
    return [user_json(c, login) for login in found["outside_collaborators"]]


def list_org_teams(c: Ctx, org):
    found = _org(c, org)
    _member(c)
    return [team_json(c, found, t) for t in found["teams"]]


def get_org_team(c: Ctx, org, slug):
    found, team = _team(c, org, slug)
    return team_json(c, found, team) | {
        "members_count": len(team["members"]), "repos_count": len(team["repos"]),
        "created_at": found["created_at"], "updated_at": found["created_at"],
        "organization": org_json(c, found)}


def list_team_members(c: Ctx, org, slug):
    _, team = _team(c, org, slug)
    role = c.query.get("role", "all")
    return [user_json(c, m["login"]) for m in team["members"] if role == "all" or m["role"] == role]


def list_team_repos(c: Ctx, org, slug):
    found, team = _team(c, org, slug)
    out = []
    for name, permission in team["repos"].items():
        rec = found["repos"].get(name)
        if rec:
            out.append(repo_json(c, found["login"], rec) | {"role_name": ROLE_NAMES[permission],
                                                            "permissions": permissions_json(permission)})
    return out


def list_org_hooks(c: Ctx, org):
    found = _org(c, org)
    _require_admin(c, ADMIN_ORG)
    out = []
    for hook in found["org_hooks"]:
        api = f"{c.api}/orgs/{found['login']}/hooks/{hook['id']}"
        out.append({"id": hook["id"], "url": api, "ping_url": f"{api}/pings", "deliveries_url": f"{api}/deliveries",
                    "name": hook["name"], "events": hook["events"], "active": hook["active"],
                    "config": hook["config"], "updated_at": hook["updated_at"],
                    "created_at": hook["created_at"], "type": "Organization"})
    return out


def list_org_rulesets(c: Ctx, org):
    found = _org(c, org)
    _require_admin(c, ADMIN_ORG)
    return [ruleset_json(c, r, "Organization", found["login"], full=False) for r in found["rulesets"]]


def get_org_ruleset(c: Ctx, org, id):
    found = _org(c, org)
    _require_admin(c, ADMIN_ORG)
    for r in found["rulesets"]:
        if r["id"] == int(id):
            return ruleset_json(c, r, "Organization", found["login"], full=True)
    raise ApiError(404)


def list_org_variables(c: Ctx, org):
    found = _org(c, org)
    _require_admin(c, ADMIN_ORG)
    return _paged(c, f"/orgs/{found['login']}/actions/variables", "variables",
                  _org_variables(c, found, found["variables"], "variables"))


def list_org_secrets(c: Ctx, org):
    found = _org(c, org)
    _require_admin(c, ADMIN_ORG)
    return _paged(c, f"/orgs/{found['login']}/actions/secrets", "secrets",
                  _org_variables(c, found, found["secrets"], "secrets"))


# ------------------------------------------------------------------------ the table

R = "/repos/{owner}/{repo}"
ROUTES = [
    ("GET", "/user", get_user),
    ("GET", "/rate_limit", get_rate_limit),
    ("GET", "/users/{user}", get_user_by_login),
    ("GET", "/orgs/{org}", get_org),
    ("GET", "/orgs/{org}/repos", list_org_repos),
    ("GET", "/orgs/{org}/members", list_org_members),
    ("GET", "/orgs/{org}/outside_collaborators", list_outside_collaborators),
    ("GET", "/orgs/{org}/teams", list_org_teams),
    ("GET", "/orgs/{org}/teams/{slug}", get_org_team),
    ("GET", "/orgs/{org}/teams/{slug}/members", list_team_members),
    ("GET", "/orgs/{org}/teams/{slug}/repos", list_team_repos),
    ("GET", "/orgs/{org}/hooks", list_org_hooks),
    ("GET", "/orgs/{org}/rulesets", list_org_rulesets),
    ("GET", "/orgs/{org}/rulesets/{id}", get_org_ruleset),
    ("GET", "/orgs/{org}/actions/variables", list_org_variables),
    ("GET", "/orgs/{org}/actions/secrets", list_org_secrets),
    ("GET", "/users/{org}/repos", list_org_repos),
    ("GET", "/users/{user}/starred", list_account_nothing),
    ("GET", "/users/{user}/subscriptions", list_account_nothing),
    ("GET", "/users/{user}/followers", list_account_nothing),
    ("GET", "/users/{user}/following", list_account_nothing),
    ("GET", R, get_repo),
    ("GET", R + "/issues", list_issues),
    ("GET", R + "/issues/comments", list_repo_issue_comments),
    ("GET", R + "/issues/events", list_repo_issue_events),
    ("GET", R + "/issues/{number}", get_issue),
    ("GET", R + "/issues/{number}/comments", list_issue_comments),
    ("GET", R + "/issues/{number}/events", list_issue_events),
    ("GET", R + "/pulls", list_pulls),
    ("GET", R + "/pulls/comments", list_repo_review_comments),
    ("GET", R + "/pulls/{number}", get_pull),
    ("GET", R + "/pulls/{number}/comments", list_review_comments),
    ("GET", R + "/pulls/{number}/commits", list_pull_commits),
    ("GET", R + "/pulls/{number}/reviews", list_pull_reviews),
    ("GET", R + "/comments", list_commit_comments),
    ("GET", R + "/collaborators", list_collaborators),
    ("GET", R + "/teams", list_repo_teams),
    ("GET", R + "/branches/{branch:path}/protection", get_branch_protection),
    ("GET", R + "/rulesets", list_repo_rulesets),
    ("GET", R + "/rulesets/{id}", get_repo_ruleset),
    ("GET", R + "/keys", list_deploy_keys),
    ("GET", R + "/environments", list_environments),
    ("GET", R + "/environments/{name}/variables", list_environment_variables),
    ("GET", R + "/actions/variables", list_repo_variables),
    ("GET", R + "/actions/secrets", list_repo_secrets),
    ("GET", R + "/autolinks", list_autolinks),
    ("GET", R + "/pages", get_pages),
    ("GET", R + "/milestones", list_milestones),
    ("GET", R + "/labels", list_labels),
    ("GET", R + "/hooks", list_hooks),
    ("GET", R + "/releases", list_releases),
    ("GET", R + "/releases/{id}", get_release),
    ("GET", R + "/releases/{id}/assets", list_release_assets),
    ("GET", R + "/releases/assets/{id}", get_asset),
    ("GET", R + "/git/refs", list_refs),
    ("GET", R + "/git/refs/{prefix:path}", list_refs),
    ("GET", R + "/branches", list_branches),
    ("GET", R + "/tags", list_tags),
]


def _compile(template: str):
    def group(m):
        name, _, kind = m.group(1).partition(":")
        body = r"\d+" if name in ("number", "id") else (".+" if kind == "path" else "[^/]+")
        return f"(?P<{name}>{body})"
    return re.compile("^" + re.sub(r"\{([^}]+)\}", group, template) + "/?$")


from . import write_api  # noqa: E402  (late: it uses the shapes above)

WRITE_ROUTES = write_api.WRITE_ROUTES
ROUTES += WRITE_ROUTES
WRITE_HANDLERS = {handler for _, _, handler in WRITE_ROUTES}
COMPILED = [(method, _compile(path), handler) for method, path, handler in ROUTES]


def match(method: str, path: str):
    """(handler, params) for an API path, or (None, None); HEAD is served as GET."""
    method = "GET" if method == "HEAD" else method
    known_path = False
    for m, regex, handler in COMPILED:
        found = regex.match(path)
        if found:
            known_path = True
            if m == method:
                return handler, found.groupdict()
    return (None, "method") if known_path else (None, None)


