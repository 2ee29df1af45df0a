"""The write side of the REST API: what `restore-to-github` needs to recreate an organization.
This module: the helpers every write shares, repositories, labels, milestones, releases and
assets; rest_writes_issues.py: issues, comments, pull requests, reviews; rest_writes_access.py:
branch protection and collaborators.

Every handler authorizes (the admin token writes; a reader token gets 403, anonymous 401, or 404
for a private repository), then changes world.json under the writers' lock with
`mutate.write_world` (a fresh load, the change, an atomic replace), and answers from a new View of
the saved world, so the read endpoints serve what was written at once. truth.json is rebuilt lazily
(`lazy_truth`: marked stale, rebuilt by truth(root)), which keeps a write at a few milliseconds. Numbers: issues and pull
requests share one sequence per repository (`builder.next_number`, never reused).
"""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import unicodedata

from .builder import OUTSIDE, USERS, default_labels, git_env, iso, repo_defaults
from .mutate import write_world
from .rest import ADMIN_REPO, ApiError, Ctx, Response, View, git_refs
from .rest_shapes import MERGE_KEYS, asset_json, label_json, milestone_json, release_json, repo_full_json

ARCHIVED = "Repository was archived so is read-only."
JSON_TYPE = {"Content-Type": "application/json; charset=utf-8"}


def request_body(c: Ctx) -> dict:
    try:
        body = json.loads(c.body or b"{}")
    except ValueError:
        raise ApiError(400, "Problems parsing JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Problems parsing JSON")
    return body


def invalid(resource: str, field: str, code: str = "invalid", message: str | None = None) -> ApiError:
    """422 as GitHub words it: "Validation Failed" (the field in `errors`, folded into the message here)."""
    return ApiError(422, message or f"Validation Failed: {resource}.{field} {code}")


def writable_repo(c: Ctx, owner: str, repo: str, *, archived_ok: bool = False):
    """(org login, repository name) of a repository the caller may write."""
    login, rec = c.repo(owner, repo)      # 404 for a private repository without a token
    if not c.user:
        raise ApiError(401, "Requires authentication")
    if not c.user["admin"]:
        raise ApiError(403, ADMIN_REPO)
    if rec["archived"] and not archived_ok:
        raise ApiError(403, ARCHIVED)
    return login, rec["name"]


def change_repo(c: Ctx, login: str, name: str, fn):
    """fn(builder, fresh repository record) -> result, saved; c.view becomes the saved world."""
    def change(b):
        rec = repo_defaults(b.world["orgs"][login]["repos"][name])
        return fn(b, rec)
    result, world = write_world(c.root, change, lazy_truth=True)
    c.view = View(world)
    return c.view.find_repo(login, name)[1], result


def created(obj: dict, location: str | None = None) -> Response:
    headers = dict(JSON_TYPE)
    if location:
        headers["Location"] = location
    return Response(201, json.dumps(obj).encode(), headers)


def _user_names(b) -> list:
    """Logins that exist on this emulated GitHub, as they are spelt."""
    names = list(USERS) + [OUTSIDE, "emulator-admin", "emulator-reader"]
    for org in b.world["orgs"].values():
        names += [m["login"] for m in org.get("members", [])] + list(org.get("outside_collaborators", []))
        for rec in org["repos"].values():
            names += [x["login"] for x in rec.get("collaborators", [])]
    return names


def known_users(b, login: str) -> set:
    """Logins that exist on this emulated GitHub (lower case)."""
    return {n.lower() for n in _user_names(b)}


def canonical_user(b, login: str) -> str | None:
    """The login as this emulated GitHub spells it, or None for a user that does not exist."""
    return next((n for n in _user_names(b) if n.lower() == str(login).lower()), None)


def branch_sha(c: Ctx, login: str, name: str, branch: str) -> str | None:
    refs = git_refs(c, login, name, f"refs/heads/{branch}")
    return next((sha for sha, _, ref, _ in refs if ref == f"refs/heads/{branch}"), None)


def run_git(c: Ctx, login: str, name: str, *args) -> str:
    git_dir = c.root / "git" / login / f"{name}.git"
    return subprocess.run(["git", "--git-dir", str(git_dir), *args], capture_output=True,
                          env=git_env(), check=True).stdout.decode()


def caller(c: Ctx) -> str:
    return c.user["login"]


# ------------------------------------------------------------------------ repositories

# The types GitHub's description gives the repository fields the write side reads; no null in any
# of them (GitHub answers 422 "Invalid request" for a null description, as for any wrong type).
REPO_FIELD_TYPES = {"name": str, "description": str, "homepage": str, "private": bool, "visibility": str,
                    "has_issues": bool, "has_projects": bool, "has_wiki": bool, "auto_init": bool,
                    "default_branch": str, "archived": bool, "allow_update_branch": bool,
                    **{key: bool for key in MERGE_KEYS}}
# repos/create-in-org does not take these (repos/update does); GitHub ignores what an operation does not have.
NOT_ON_CREATE = ("web_commit_signoff_required", "allow_update_branch")


def check_repo_fields(body: dict) -> None:
    for key, kind in REPO_FIELD_TYPES.items():
        if key in body and not isinstance(body[key], kind):
            got = "null" if body[key] is None else type(body[key]).__name__
            raise ApiError(422, f"Invalid request.\n\nFor '{key}', {got} is not a {kind.__name__}.")
    if "visibility" in body and body["visibility"] not in ("public", "private"):
        # the description's enum; an enterprise's organizations also take internal (not emulated)
        raise ApiError(422, f"Invalid request.\n\nFor 'visibility', {body['visibility']!r} is not one of "
                            "public, private.")


def create_org_repo(c: Ctx, org):
    found = c.view.find_org(org)
    if not found:
        raise ApiError(404)
    if not c.user:
        raise ApiError(401, "Requires authentication")
    if not c.user["admin"]:
        raise ApiError(403, "You need admin access to the organization before adding a repository to it.")
    body = request_body(c)
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise ApiError(422, "Invalid request: name is required")
    check_repo_fields(body)
    if name.lower() in {n.lower() for n in (c.faults or {}).get("refuse_repository_creates") or []}:
        raise ApiError(422, "Repository creation failed: refused by the emulator's fault "
                            "refuse_repository_creates")
    if not re.fullmatch(r"[A-Za-z0-9._-]+", name) or name.endswith(".git") or name.endswith(".wiki"):
        raise ApiError(422, "name is invalid")
    login = found["login"]
    private = body.get("visibility", "private" if body.get("private") else "public") != "public"

    def change(b):
        repos = b.world["orgs"][login]["repos"]
        if any(n.lower() == name.lower() for n in repos):
            raise ApiError(422, "Repository creation failed: name already exists on this account")
        rec = b.repo(login, name, private=private, description=body.get("description") or "",
                     has_wiki=bool(body.get("has_wiki", True)), language=None)
        rec["labels"] = default_labels(b.new_id)  # GitHub gives every new repository its default labels
        rec["description"] = body.get("description")  # GitHub: null when not given
        rec["has_issues"] = bool(body.get("has_issues", True))
        rec["has_projects"] = bool(body.get("has_projects", True))
        rec["settings"]["homepage"] = body.get("homepage")
        # has_discussions: not a field of this operation (only POST /user/repos has it): ignored
        for key in MERGE_KEYS:
            if key in body and key not in NOT_ON_CREATE:
                rec["settings"][key] = bool(body[key])
        return rec
    _, world = write_world(c.root, change, lazy_truth=True)
    c.view = View(world)
    rec = c.view.find_repo(login, name)[1]
    return created(repo_full_json(c, login, rec), f"{c.api}/repos/{login}/{name}")


def update_repo(c: Ctx, owner, repo):
    login, name = writable_repo(c, owner, repo, archived_ok=True)
    body = request_body(c)
    if "name" in body and body["name"] != name:
        raise ApiError(422, "Renaming is not supported by the emulator")
    check_repo_fields(body)

    def fn(b, rec):
        if rec["archived"] and body.get("archived", True) and set(body) - {"archived"}:
            raise ApiError(403, ARCHIVED)
        for key in ("description", "has_issues", "has_wiki", "has_projects"):
            if key in body:
                rec[key] = body[key] if key == "description" else bool(body[key])
        if "homepage" in body:
            rec["settings"]["homepage"] = body["homepage"] or None
        # has_discussions: not a field of repos/update in GitHub's description: ignored, as GitHub does
        for key in MERGE_KEYS:
            if key in body:
                rec["settings"][key] = bool(body[key])
        if "visibility" in body:
            rec["private"] = body["visibility"] != "public"
        elif "private" in body:
            rec["private"] = bool(body["private"])
        if "default_branch" in body:
            branch = str(body["default_branch"])
            if not rec["empty"] or git_refs(c, login, name, "refs/heads/"):
                if branch_sha(c, login, name, branch) is None:
                    raise invalid("Repository", "default_branch", message=(
                        f"Validation Failed: the branch {branch} does not exist"))
            rec["default_branch"] = branch
            subprocess.run(["git", "--git-dir", str(c.root / "git" / login / f"{name}.git"), "symbolic-ref",
                            "HEAD", f"refs/heads/{branch}"], env=git_env(), check=True)
        if "archived" in body:
            rec["archived"] = bool(body["archived"])
        rec["updated_at"] = iso(b.tick())
    rec, _ = change_repo(c, login, name, fn)
    return repo_full_json(c, login, rec)


def replace_topics(c: Ctx, owner, repo):
    login, name = writable_repo(c, owner, repo)
    names = request_body(c).get("names")
    if not isinstance(names, list):
        raise invalid("Repository", "names")
    topics = []
    for topic in names:
        topic = str(topic).lower()
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,49}", topic):
            raise ApiError(422, f"Validation Failed: {topic} is not a valid topic")
        if topic not in topics:
            topics.append(topic)
    if len(topics) > 20:
        raise ApiError(422, "Validation Failed: a repository cannot have more than 20 topics")

    def fn(b, rec):
        rec["topics"] = topics
        rec["updated_at"] = iso(b.tick())
    change_repo(c, login, name, fn)
    return {"names": topics}


# ------------------------------------------------------------------------ labels and milestones


def create_label(c: Ctx, owner, repo):
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)
    label_name = body.get("name")
    if not isinstance(label_name, str) or not label_name.strip():
        raise invalid("Label", "name", "missing_field")
    color = str(body.get("color") or "ededed").lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", color):
        raise invalid("Label", "color")

    def fn(b, rec):
        if any(x["name"].lower() == label_name.lower() for x in rec["labels"]):
            raise invalid("Label", "name", "already_exists")
        label = {"id": b.new_id(), "name": label_name, "color": color.lower(),
                 "description": body.get("description")}
        rec["labels"].append(label)
        return label
    rec, label = change_repo(c, login, name, fn)
    return created(label_json(c, f"{login}/{name}", label), f"{c.api}/repos/{login}/{name}/labels/{label_name}")


def update_label(c: Ctx, owner, repo, label):
    """PATCH .../labels/{label}: new_name, color, description; 200 with the label."""
    label_name = label
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)
    color = body.get("color")
    if color is not None and not re.fullmatch(r"[0-9a-fA-F]{6}", str(color).lstrip("#")):
        raise invalid("Label", "color")

    def fn(b, rec):
        label = next((x for x in rec["labels"] if x["name"].lower() == label_name.lower()), None)
        if label is None:
            raise ApiError(404)
        new_name = body.get("new_name") or label["name"]
        if new_name.lower() != label["name"].lower() and any(
                x["name"].lower() == new_name.lower() for x in rec["labels"]):
            raise invalid("Label", "name", "already_exists")
        label.update(name=new_name, color=str(color or label["color"]).lstrip("#").lower(),
                     description=body.get("description", label.get("description")))
        return label
    rec, label = change_repo(c, login, name, fn)
    return label_json(c, f"{login}/{name}", label)


def delete_label(c: Ctx, owner, repo, label):
    """DELETE .../labels/{label}: 204; gone from the repository and its issues."""
    label_name = label
    login, name = writable_repo(c, owner, repo)

    def fn(b, rec):
        label = next((x for x in rec["labels"] if x["name"].lower() == label_name.lower()), None)
        if label is None:
            raise ApiError(404)
        rec["labels"].remove(label)
        for issue in rec["issues"]:
            issue["labels"] = [n for n in issue["labels"] if n.lower() != label["name"].lower()]
        return True
    change_repo(c, login, name, fn)
    return Response(204, b"", {})


def _milestone_fields(b, ms: dict, body: dict, now: str) -> None:
    if "title" in body:
        if not isinstance(body["title"], str) or not body["title"]:
            raise invalid("Milestone", "title", "missing_field")
        ms["title"] = body["title"]
    if "description" in body:
        ms["description"] = body["description"]
    if "due_on" in body:
        due = body["due_on"]
        if due is not None and not re.fullmatch(r"\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)?)?", str(due)):
            raise invalid("Milestone", "due_on")
        # GitHub keeps the date: the due time is shown as 07:00 or 08:00 UTC; we keep the date at 07:00Z
        ms["due_on"] = f"{str(due)[:10]}T07:00:00Z" if due else None
    if "state" in body:
        if body["state"] not in ("open", "closed"):
            raise invalid("Milestone", "state")
        if body["state"] != ms["state"]:
            ms["closed_at"] = now if body["state"] == "closed" else None
        ms["state"] = body["state"]
    ms["updated_at"] = now


def create_milestone(c: Ctx, owner, repo):
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)
    if not isinstance(body.get("title"), str) or not body["title"]:
        raise invalid("Milestone", "title", "missing_field")

    def fn(b, rec):
        if any(m["title"] == body["title"] for m in rec["milestones"]):
            raise invalid("Milestone", "title", "already_exists")
        now = iso(b.tick())
        number = max([m["number"] for m in rec["milestones"]] + [rec.get("last_milestone", 0)], default=0) + 1
        rec["last_milestone"] = number
        ms = {"id": b.new_id(), "number": number, "title": body["title"], "description": None,
              "state": "open", "created_at": now, "updated_at": now, "due_on": None, "closed_at": None,
              "creator": caller(c)}
        _milestone_fields(b, ms, body, now)
        rec["milestones"].append(ms)
        return ms
    rec, ms = change_repo(c, login, name, fn)
    return created(milestone_json(c, f"{login}/{name}", rec, ms),
                   f"{c.api}/repos/{login}/{name}/milestones/{ms['number']}")


def update_milestone(c: Ctx, owner, repo, number):
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)

    def fn(b, rec):
        ms = next((m for m in rec["milestones"] if m["number"] == int(number)), None)
        if ms is None:
            raise ApiError(404)
        _milestone_fields(b, ms, body, iso(b.tick()))
        return ms
    rec, ms = change_repo(c, login, name, fn)
    return milestone_json(c, f"{login}/{name}", rec, ms)


# ------------------------------------------------------------------------ releases and assets


def create_release(c: Ctx, owner, repo):
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)
    tag = body.get("tag_name")
    if not isinstance(tag, str) or not tag:
        raise invalid("Release", "tag_name", "missing_field")
    if subprocess.run(["git", "check-ref-format", f"refs/tags/{tag}"], capture_output=True, env=git_env()).returncode:
        raise invalid("Release", "tag_name")  # as GitHub: a tag git refuses (.., a NUL, ...)
    draft, prerelease = bool(body.get("draft")), bool(body.get("prerelease"))

    def fn(b, rec):
        if any(r["tag_name"] == tag for r in rec["releases"]):
            raise invalid("Release", "tag_name", "already_exists")
        target = body.get("target_commitish") or rec["default_branch"]
        tag_exists = bool(git_refs(c, login, name, f"refs/tags/{tag}"))
        if not tag_exists and not draft:
            # as GitHub: publishing a release of a missing tag makes the tag at target_commitish
            try:
                sha = run_git(c, login, name, "rev-parse", "--verify", f"{target}^{{commit}}").strip()
            except subprocess.CalledProcessError:
                raise invalid("Release", "target_commitish") from None
            run_git(c, login, name, "update-ref", f"refs/tags/{tag}", sha)
        now = iso(b.tick())
        rel = {"id": b.new_id(), "tag_name": tag, "target_commitish": target, "name": body.get("name"),
               "body": body.get("body"), "draft": draft, "prerelease": prerelease, "created_at": now,
               "published_at": None if draft else now, "author": caller(c), "assets": []}
        rec["releases"].append(rel)
        return rel
    rec, rel = change_repo(c, login, name, fn)
    return created(release_json(c, f"{login}/{name}", rel), f"{c.api}/repos/{login}/{name}/releases/{rel['id']}")


def upload_asset(c: Ctx, owner, repo, id):
    """POST https://HOST/api/uploads/repos/{o}/{r}/releases/{id}/assets?name=N[&label=L], raw body."""
    if not c.uploads:
        raise ApiError(404)
    login, name = writable_repo(c, owner, repo)
    asset_name = c.query.get("name")
    if not asset_name:
        raise ApiError(422, "Validation Failed: name is required")
    sent_name = asset_name
    asset_name = github_asset_name(asset_name)
    starter = sent_name in ((c.faults or {}).get("asset_upload_starter") or [])
    content_type = c.headers.get("Content-Type") or "application/octet-stream"
    data = c.body

    def fn(b, rec):
        rel = next((r for r in rec["releases"] if r["id"] == int(id)), None)
        if rel is None:
            raise ApiError(404)
        if any(a["name"] == asset_name for a in rel["assets"]):
            raise invalid("ReleaseAsset", "name", "already_exists")
        half_done = starter and sent_name not in rel.setdefault("starter_faults", [])
        if half_done:  # the fault: the upload stops half-way, GitHub keeps the asset as "starter"
            rel["starter_faults"].append(sent_name)
        aid = b.new_id()
        path = c.root / "assets" / str(aid)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{aid}.tmp")
        kept = data[:len(data) // 2] if half_done else data
        tmp.write_bytes(kept)
        tmp.replace(path)
        now = iso(b.tick())
        asset = {"id": aid, "name": asset_name, "label": c.query.get("label", ""), "size": len(kept),
                 "state": "starter" if half_done else "uploaded",
                 "content_type": content_type, "sha256": hashlib.sha256(data).hexdigest(),
                 "created_at": now, "updated_at": now, "download_count": 0}
        rel["assets"].append(asset)
        return rel, asset
    rec, (rel, asset) = change_repo(c, login, name, fn)
    if asset["state"] == "starter":
        raise ApiError(502, "Server Error")
    return created(asset_json(c, f"{login}/{name}", rel, asset))


def github_asset_name(name: str) -> str:
    """The name GitHub gives an uploaded asset: letters without accents, every run of characters
    other than [A-Za-z0-9._-] (dots around it included) one dot, no dot at either end:
    "my file (1).zip" -> "my.file.1.zip" (as seen on GitHub: travis-ci/dpl#821)."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    return re.sub(r"\.*[^A-Za-z0-9._-]+\.*", ".", plain).strip(".") or name


def delete_asset(c: Ctx, owner, repo, id):
    """DELETE .../releases/assets/{id}: 204."""
    login, name = writable_repo(c, owner, repo)

    def fn(b, rec):
        for rel in rec["releases"]:
            for asset in rel["assets"]:
                if asset["id"] == int(id):
                    rel["assets"].remove(asset)
                    return True
        raise ApiError(404)
    change_repo(c, login, name, fn)
    return Response(204, b"", {})
