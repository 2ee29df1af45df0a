"""Personal accounts and their gists: building them into the world, serving them over REST, and
what a complete backup of them holds (their truth).

A personal account is a record of `world["orgs"]` (the world's map of every account) with
`"type": "User"`: its repositories live, are served and are checked like an organization's; an
organization's own endpoints (`/orgs/{login}`...) answer 404 for it, as GitHub's do.

A gist is `{"id", "description", "public", "created_at", "updated_at", "history"}` in its owner's
`gists`; its git repository is `git/_gists/<ID>.git` (no login starts with `_`), one commit per
revision, served at `/gist/<ID>.git` (GitHub Enterprise Server's form) to anyone: a secret gist
is unlisted, not private. Its files are those of the newest revision.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .builder import Builder, FastImport, git, init_bare, iso
from .rest import ApiError, Ctx
from .rest_shapes import user_json

GISTS_DIR = "_gists"
LANGUAGES = {".py": "Python", ".md": "Markdown"}  # GitHub's linguist names; any other file: Text


def gist_git_dir(root: Path, gist_id: str) -> Path:
    return Path(root) / "git" / GISTS_DIR / f"{gist_id}.git"


# ------------------------------------------------------------------------ building


def add_user(b: Builder, login: str) -> dict:
    """A personal account (its record is made as an organization's, then marked a person's)."""
    account = b.org(login)
    account["type"] = "User"
    account.setdefault("gists", [])
    return account


def add_gist(b: Builder, owner: str, description: str, revisions: list[dict], *, public: bool = True) -> dict:
    """A gist of `owner` (a personal account) with a commit per revision ({file: text, or None to
    delete it}), the newest last."""
    gist_id = hashlib.md5(f"{owner}/{b.new_id()}".encode()).hexdigest()  # 32 hex digits, as GitHub's
    init_bare(gist_git_dir(b.root, gist_id))
    created = iso(b.clock())
    gist = {"id": gist_id, "description": description, "public": public, "created_at": created,
            "updated_at": created, "history": []}
    b.world["orgs"][owner]["gists"].append(gist)
    for files in revisions:
        add_revision(b, owner, gist_id, files)
    return gist


def add_revision(b: Builder, owner: str, gist_id: str, files: dict) -> str:
    """A new revision of the gist (an edit on GitHub): its commit's sha."""
    gist = next(g for g in b.world["orgs"][owner]["gists"] if g["id"] == gist_id)
    when = b.tick()
    stream = FastImport()
    parent = gist["history"][0]["version"] if gist["history"] else None
    mark = stream.commit("refs/heads/main", files, "", when, parents=(parent,) if parent else ())
    sha = stream.run(gist_git_dir(b.root, gist_id))[mark]
    gist["history"].insert(0, {"version": sha, "committed_at": iso(when)})
    gist["updated_at"] = iso(when)
    return sha


# ------------------------------------------------------------------------ reading


def files_at_head(root: Path, gist_id: str) -> dict[str, str]:
    git_dir = gist_git_dir(root, gist_id)
    names = git(git_dir, "ls-tree", "--name-only", "main").splitlines()
    return {name: git(git_dir, "show", f"main:{name}") for name in names}


def find_gist(c: Ctx, gist_id: str) -> tuple[str, dict]:
    for login, account in c.view.orgs.items():
        for gist in account.get("gists", []):
            if gist["id"] == gist_id:
                return account["login"], gist
    raise ApiError(404)


def personal_account(c: Ctx, login: str) -> dict | None:
    account = c.view.find_org(login)
    return account if account is not None and account.get("type") == "User" else None


def gist_json(c: Ctx, owner: str, gist: dict, *, full: bool) -> dict:
    """GitHub's base-gist (a listing's) or, `full`, gist-simple (GET /gists/{id}: files' content
    and the history)."""
    url = f"{c.api}/gists/{gist['id']}"
    files = {}
    for name, text in files_at_head(c.root, gist["id"]).items():
        files[name] = {"filename": name, "type": "text/plain",
                       "language": LANGUAGES.get(Path(name).suffix, "Text"), "size": len(text.encode()),
                       "raw_url": f"{c.web}/gist/{owner}/{gist['id']}/raw/{gist['history'][0]['version']}/{name}"}
        if full:
            files[name].update(content=text, truncated=False)
    out = {"url": url, "forks_url": f"{url}/forks", "commits_url": f"{url}/commits", "id": gist["id"],
           "node_id": f"G_{gist['id'][:12]}", "git_pull_url": f"{c.web}/gist/{gist['id']}.git",
           "git_push_url": f"{c.web}/gist/{gist['id']}.git", "html_url": f"{c.web}/gist/{gist['id']}",
           "files": files, "public": gist["public"], "created_at": gist["created_at"],
           "updated_at": gist["updated_at"], "description": gist["description"], "comments": 0,
           "comments_enabled": True, "user": None, "comments_url": f"{url}/comments",
           "owner": user_json(c, owner), "truncated": False}
    if full:
        out.update(forks=[], history=[{"version": h["version"], "committed_at": h["committed_at"],
                                       "change_status": {}, "url": f"{url}/{h['version']}",
                                       "user": user_json(c, owner)} for h in gist["history"]])
    return out


# ------------------------------------------------------------------------ REST


def _since(c: Ctx, gists: list[dict]) -> list[dict]:
    since = c.since()
    return [g for g in gists if not since or g["updated_at"] >= since]


def list_own_gists(c: Ctx):
    """GET /gists: the token's user's gists, secret ones included."""
    if not c.user:
        raise ApiError(401)
    account = personal_account(c, c.user["login"])
    gists = account.get("gists", []) if account else []
    return [gist_json(c, account["login"], g, full=False) for g in _since(c, gists)]


def list_user_gists(c: Ctx, user):
    """GET /users/{user}/gists: the public ones, whoever asks."""
    account = personal_account(c, user)
    if account is None:
        if c.view.find_org(user):
            return []
        raise ApiError(404)
    public = [g for g in account.get("gists", []) if g["public"]]
    return [gist_json(c, account["login"], g, full=False) for g in _since(c, public)]


def get_gist(c: Ctx, gist_id):
    owner, gist = find_gist(c, gist_id)
    return gist_json(c, owner, gist, full=True)


# ------------------------------------------------------------------------ truth


def gists_truth(root: Path, account: dict) -> dict:
    """{id: {"public", "description", "revisions" (newest first), "files" (the newest's)}}."""
    return {g["id"]: {"public": g["public"], "description": g["description"],
                      "revisions": [h["version"] for h in g["history"]],
                      "files": files_at_head(root, g["id"])}
            for g in account.get("gists", [])}
