"""The REST API's common ground: the request (Ctx), the world it reads (Store, View), errors,
pagination, and the lookups and access rules every endpoint shares.

Every handler gets a Ctx (the request: world, identity, base URLs, query) and the path
parameters; it returns a dict (an object), a list (paginated by the server), a Response, or
raises ApiError. The JSON shapes are rest_shapes.py's; the endpoints rest_reads.py's (the
repository data github-backup reads), rest_metadata.py's (settings, access, the organization)
and rest_writes*.py's (what restore-to-github writes); routes.py is the table of them all.
Add an endpoint by adding its handler and one line to routes.ROUTES.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from . import page_limits
from .builder import WEB, git_env, org_defaults, repo_defaults


class ApiError(Exception):
    MESSAGES = {401: "Requires authentication", 403: "Forbidden", 404: "Not Found",
                422: "Validation Failed"}

    def __init__(self, status: int, message: str | None = None, errors: list | None = None):
        super().__init__(message)
        self.status = status
        self.message = message or self.MESSAGES.get(status, "Error")
        self.errors = errors  # GitHub's `errors` of a 422, where the emulator gives them as GitHub does


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

    def hidden(self, user: dict | None, login: str, rec: dict) -> bool:
        """A private repository is hidden from anonymous requests; a person's private one (an
        account of type User) also from every token but its owner's and the admin token."""
        if not rec["private"]:
            return False
        if not user:
            return True
        personal = self.orgs[login.lower()].get("type") == "User"
        return personal and not user["admin"] and user["login"].lower() != login.lower()


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
    faults: dict | None = None  # the active faults (server.Emulator.set_faults) the write side acts on

    def repo(self, owner: str, name: str):
        found = self.view.find_repo(owner, name)
        if not found or self.view.hidden(self.user, *found):
            raise ApiError(404)
        return found

    def since(self) -> str:
        return self.query.get("since") or ""


def user_id(login: str) -> int:
    return zlib.crc32(login.encode()) % 10_000_000 + 1


def node(kind: str, number: int) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode()


def text(c: Ctx, body: str | None) -> str | None:
    """A stored body with the {{WEB}} placeholder made this request's https://HOST."""
    return body.replace(WEB, c.web) if body else body


def sign(secret: bytes, asset_id: int) -> str:
    return hmac.new(secret, str(asset_id).encode(), hashlib.sha256).hexdigest()[:32]


def ordered(items: list, c: Ctx, keys: dict, default: str, asc_default=None) -> list:
    sort = c.query.get("sort", default)
    key = keys.get(sort, keys[default])
    asc = asc_default(sort) if asc_default else False
    direction = c.query.get("direction", "asc" if asc else "desc")
    return sorted(items, key=key, reverse=direction != "asc")


def state_matches(c: Ctx, state: str, default: str = "open") -> bool:
    wanted = c.query.get("state", default)
    return wanted == "all" or wanted == state


def git_refs(c: Ctx, owner: str, name: str, pattern: str) -> list:
    git_dir = c.root / "git" / owner / f"{name}.git"
    out = subprocess.run(["git", "--git-dir", str(git_dir), "for-each-ref",
                          "--format=%(objectname) %(objecttype) %(refname) %(*objectname)", pattern],
                         capture_output=True, env=git_env(), check=True).stdout.decode()
    return [line.split(" ") for line in out.splitlines()]


# ------------------------------------------------------------------------ pages


def paginate(items: list, query: dict, url: str, headers: dict) -> list:
    """One page of `items` (GitHub's per_page and page) and the Link header to the others.
    per_page's default and maximum are the operation's (page_limits.py: a larger per_page is
    served as the maximum); the listings GitHub answers without Link get none."""
    def number(key, default):
        try:
            return int(query.get(key, default))
        except ValueError:
            return default
    if page_limits.unpaged(url):
        return items
    default, maximum = page_limits.limits(url)
    per_page = min(max(number("per_page", default), 1), maximum)
    page = max(number("page", 1), 1)
    last = max(1, -(-len(items) // per_page))
    links = []
    if page_limits.without_link(url):
        return items[(page - 1) * per_page: page * per_page]
    for rel, target in (("next", page + 1), ("last", last), ("first", 1), ("prev", page - 1)):
        if (rel in ("next", "last") and page < last) or (rel in ("first", "prev") and page > 1):
            links.append(f'<{url}?{urlencode({**query, "page": target})}>; rel="{rel}"')
    if links:
        headers["Link"] = ", ".join(links)
    return items[(page - 1) * per_page: page * per_page]


def paged(c: Ctx, path: str, key: str, items: list) -> Response:
    """An object {"total_count", key: [...]} with one page of items (and Link), as GitHub pages them."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    page = paginate(items, c.query, c.api + path, headers)
    return Response(200, json.dumps({"total_count": len(items), key: page}).encode(), headers)


# ------------------------------------------------------------------------ lookups and access


ADMIN_REPO = "Must have admin rights to Repository."
ADMIN_ORG = "Must have admin rights to Organization."
LEVELS = ["pull", "triage", "push", "maintain", "admin"]


def require_admin(c: Ctx, message: str = ADMIN_REPO) -> None:
    """As the emulator's rule: anonymous -> 404, a reader token -> 403, the admin token passes."""
    if not c.user:
        raise ApiError(404)
    if not c.user["admin"]:
        raise ApiError(403, message)


def require_owner(c: Ctx) -> None:
    """An owner of the organization: the admin token and a token added with owner=True; anonymous -> 404,
    any other token (a reader's, a member's who administers repositories) -> 403 as GitHub answers."""
    if not c.user:
        raise ApiError(404)
    if not c.user.get("owner", c.user["admin"]):
        raise ApiError(403, ADMIN_ORG)


def require_member(c: Ctx) -> None:
    """What an organization member may read (the reader token is one); anonymous -> 404."""
    if not c.user:
        raise ApiError(404)


def org_or_404(c: Ctx, org: str) -> dict:
    found = c.view.find_org(org)
    if not found:
        raise ApiError(404)
    return found


def team_or_404(c: Ctx, org: str, slug: str):
    found = org_or_404(c, org)
    require_member(c)
    team = next((t for t in found["teams"] if t["slug"].lower() == slug.lower()), None)
    if not team:
        raise ApiError(404)
    return found, team


def issue_or_404(c: Ctx, owner, repo, number):
    login, rec = c.repo(owner, repo)
    issue = c.view.index[rec["id"]]["issues"].get(int(number))
    if not issue:
        raise ApiError(404)
    return login, rec, issue


def pull_or_404(c: Ctx, owner, repo, number):
    login, rec, issue = issue_or_404(c, owner, repo, number)
    if not issue["pull"]:
        raise ApiError(404)
    return login, rec, issue


def release_or_404(c: Ctx, owner, repo, release_id):
    login, rec = c.repo(owner, repo)
    rel = c.view.index[rec["id"]]["releases"].get(int(release_id))
    if not rel:
        raise ApiError(404)
    return login, rec, rel
