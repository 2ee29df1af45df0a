"""The write side of the REST API: what `restore-to-github` needs to recreate an organization.

Every handler authorizes (the admin token writes; a reader token gets 403, anonymous 401, or 404
for a private repository), then changes world.json under the writers' lock with
`world.write_world` (a fresh load, the change, an atomic replace), and answers from a new View of
the saved world, so the read endpoints serve what was written at once. truth.json is rebuilt lazily
(`lazy_truth`: marked stale, rebuilt by truth(root)), which keeps a write at a few milliseconds. Numbers: issues and pull
requests share one sequence per repository (`world.next_number`, never reused).
"""
from __future__ import annotations

import hashlib
import json
import re
import subprocess

from . import api
from .api import ApiError, Ctx, Response, View
from .world import OUTSIDE, ROLE_NAMES, USERS, git_env, iso, repo_defaults, write_world

ADMIN_REPO = "Must have admin rights to Repository."
ARCHIVED = "Repository was archived so is read-only."
REVIEW_STATES = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}
JSON_TYPE = {"Content-Type": "application/json; charset=utf-8"}


# ------------------------------------------------------------------------ helpers


def _body(c: Ctx) -> dict:
    try:
        body = json.loads(c.body or b"{}")
    except ValueError:
        raise ApiError(400, "Problems parsing JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Problems parsing JSON")
    return body


def _invalid(resource: str, field: str, code: str = "invalid", message: str | None = None) -> ApiError:
    """422 as GitHub words it: "Validation Failed" (the field in `errors`, folded into the message here)."""
    return ApiError(422, message or f"Validation Failed: {resource}.{field} {code}")


def _writer(c: Ctx, owner: str, repo: str, *, archived_ok: bool = False):
    """(org login, repository name) of a repository the caller may write."""
    login, rec = c.repo(owner, repo)      # 404 for a private repository without a token
    if not c.user:
        raise ApiError(401, "Requires authentication")
    if not c.user["admin"]:
        raise ApiError(403, ADMIN_REPO)
    if rec["archived"] and not archived_ok:
        raise ApiError(403, ARCHIVED)
    return login, rec["name"]


def _change(c: Ctx, login: str, name: str, fn):
    """fn(builder, fresh repository record) -> result, saved; c.view becomes the saved world."""
    def change(b):
        rec = repo_defaults(b.world["orgs"][login]["repos"][name])
        return fn(b, rec)
    result, world = write_world(c.root, change, lazy_truth=True)
    c.view = View(world)
    return c.view.find_repo(login, name)[1], result


def _created(obj: dict, location: str | None = None) -> Response:
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


def _known_users(b, login: str) -> set:
    """Logins that exist on this emulated GitHub (lower case)."""
    return {n.lower() for n in _user_names(b)}


def _canonical_user(b, login: str) -> str | None:
    """The login as this emulated GitHub spells it, or None for a user that does not exist."""
    return next((n for n in _user_names(b) if n.lower() == str(login).lower()), None)


def _branch_sha(c: Ctx, login: str, name: str, branch: str) -> str | None:
    refs = api._git_refs(c, login, name, f"refs/heads/{branch}")
    return next((sha for sha, _, ref, _ in refs if ref == f"refs/heads/{branch}"), None)


def _git(c: Ctx, login: str, name: str, *args) -> str:
    git_dir = c.root / "git" / login / f"{name}.git"
    return subprocess.run(["git", "--git-dir", str(git_dir), *args], capture_output=True,
                          env=git_env(), check=True).stdout.decode()


def _user(c: Ctx) -> str:
    return c.user["login"]


def _labels_for(b, rec: dict, names) -> list:
    """Label names for an issue; unknown names are created (GitHub does that too)."""
    if not isinstance(names, list):
        raise _invalid("Issue", "labels")
    out = []
    for entry in names:
        name = entry["name"] if isinstance(entry, dict) else str(entry)
        found = next((label for label in rec["labels"] if label["name"].lower() == name.lower()), None)
        if not found:
            found = {"id": b.new_id(), "name": name, "color": "ededed", "description": None}
            rec["labels"].append(found)
        if found["name"] not in out:
            out.append(found["name"])
    return out


def _milestone_for(rec: dict, value):
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _invalid("Issue", "milestone") from None
    if not any(m["number"] == number for m in rec["milestones"]):
        raise _invalid("Issue", "milestone")
    return number


def _assignees_for(b, login: str, body: dict) -> list:
    """Assignees that exist (others are dropped silently, as GitHub drops those it cannot assign)."""
    wanted = list(body.get("assignees") or [])
    if body.get("assignee"):
        wanted.insert(0, body["assignee"])
    known = _known_users(b, login)
    out = []
    for name in wanted:
        if str(name).lower() in known and name not in out:
            out.append(str(name))
    return out


def _close(b, rec: dict, issue: dict, state: str, reason, actor: str, now: str) -> None:
    if state not in ("open", "closed"):
        raise _invalid("Issue", "state")
    if reason is not None and reason not in ("completed", "not_planned", "reopened"):
        raise _invalid("Issue", "state_reason")
    if state != issue["state"]:
        rec["events"].append({"id": b.new_id(), "issue": issue["number"],
                              "event": "closed" if state == "closed" else "reopened", "actor": actor,
                              "label": None, "created_at": now})
    issue["state"] = state
    issue["closed_at"] = (issue["closed_at"] or now) if state == "closed" else None
    if state == "closed":
        issue["state_reason"] = reason if reason in ("completed", "not_planned") else "completed"
    else:
        issue["state_reason"] = "reopened" if issue.get("state_reason") else None


# ------------------------------------------------------------------------ repositories


def create_org_repo(c: Ctx, org):
    found = c.view.find_org(org)
    if not found:
        raise ApiError(404)
    if not c.user:
        raise ApiError(401, "Requires authentication")
    if not c.user["admin"]:
        raise ApiError(403, "You need admin access to the organization before adding a repository to it.")
    body = _body(c)
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise ApiError(422, "Invalid request: name is required")
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
        rec["description"] = body.get("description")  # GitHub: null when not given
        rec["has_issues"] = bool(body.get("has_issues", True))
        rec["has_projects"] = bool(body.get("has_projects", True))
        rec["settings"]["homepage"] = body.get("homepage")
        rec["settings"]["has_discussions"] = bool(body.get("has_discussions", False))
        for key in api.MERGE_KEYS:
            if key in body:
                rec["settings"][key] = bool(body[key])
        return rec
    _, world = write_world(c.root, change, lazy_truth=True)
    c.view = View(world)
    rec = c.view.find_repo(login, name)[1]
    return _created(api.repo_full_json(c, login, rec), f"{c.api}/repos/{login}/{name}")


def update_repo(c: Ctx, owner, repo):
    login, name = _writer(c, owner, repo, archived_ok=True)
    body = _body(c)
    if "name" in body and body["name"] != name:
        raise ApiError(422, "Renaming is not supported by the emulator")

    def fn(b, rec):
        if rec["archived"] and body.get("archived", True) and set(body) - {"archived"}:
            raise ApiError(403, ARCHIVED)
        for key in ("description", "has_issues", "has_wiki", "has_projects"):
            if key in body:
                rec[key] = body[key] if key == "description" else bool(body[key])
        if "homepage" in body:
            rec["settings"]["homepage"] = body["homepage"] or None
        if "has_discussions" in body:
            rec["settings"]["has_discussions"] = bool(body["has_discussions"])
        for key in api.MERGE_KEYS:
            if key in body:
                rec["settings"][key] = bool(body[key])
        if "visibility" in body:
            if body["visibility"] not in ("public", "private", "internal"):
                raise _invalid("Repository", "visibility")
            rec["private"] = body["visibility"] != "public"
        elif "private" in body:
            rec["private"] = bool(body["private"])
        if "default_branch" in body:
            branch = str(body["default_branch"])
            if not rec["empty"] or api._git_refs(c, login, name, "refs/heads/"):
                if _branch_sha(c, login, name, branch) is None:
                    raise _invalid("Repository", "default_branch", message=(
                        f"Validation Failed: the branch {branch} does not exist"))
            rec["default_branch"] = branch
            subprocess.run(["git", "--git-dir", str(c.root / "git" / login / f"{name}.git"), "symbolic-ref",
                            "HEAD", f"refs/heads/{branch}"], env=git_env(), check=True)
        if "archived" in body:
            rec["archived"] = bool(body["archived"])
        rec["updated_at"] = iso(b.tick())
    rec, _ = _change(c, login, name, fn)
    return api.repo_full_json(c, login, rec)


def replace_topics(c: Ctx, owner, repo):
    login, name = _writer(c, owner, repo)
    names = _body(c).get("names")
    if not isinstance(names, list):
        raise _invalid("Repository", "names")
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
    _change(c, login, name, fn)
    return {"names": topics}


# ------------------------------------------------------------------------ labels and milestones


def create_label(c: Ctx, owner, repo):
    login, name = _writer(c, owner, repo)
    body = _body(c)
    label_name = body.get("name")
    if not isinstance(label_name, str) or not label_name.strip():
        raise _invalid("Label", "name", "missing_field")
    color = str(body.get("color") or "ededed").lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", color):
        raise _invalid("Label", "color")

    def fn(b, rec):
        if any(x["name"].lower() == label_name.lower() for x in rec["labels"]):
            raise _invalid("Label", "name", "already_exists")
        label = {"id": b.new_id(), "name": label_name, "color": color.lower(),
                 "description": body.get("description")}
        rec["labels"].append(label)
        return label
    rec, label = _change(c, login, name, fn)
    return _created(api.label_json(c, f"{login}/{name}", label), f"{c.api}/repos/{login}/{name}/labels/{label_name}")


def _milestone_fields(b, ms: dict, body: dict, now: str) -> None:
    if "title" in body:
        if not isinstance(body["title"], str) or not body["title"]:
            raise _invalid("Milestone", "title", "missing_field")
        ms["title"] = body["title"]
    if "description" in body:
        ms["description"] = body["description"]
    if "due_on" in body:
        due = body["due_on"]
        if due is not None and not re.fullmatch(r"\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)?)?", str(due)):
            raise _invalid("Milestone", "due_on")
        # GitHub keeps the date: the due time is shown as 07:00 or 08:00 UTC; we keep the date at 07:00Z
        ms["due_on"] = f"{str(due)[:10]}T07:00:00Z" if due else None
    if "state" in body:
        if body["state"] not in ("open", "closed"):
            raise _invalid("Milestone", "state")
        if body["state"] != ms["state"]:
            ms["closed_at"] = now if body["state"] == "closed" else None
        ms["state"] = body["state"]
    ms["updated_at"] = now


def create_milestone(c: Ctx, owner, repo):
    login, name = _writer(c, owner, repo)
    body = _body(c)
    if not isinstance(body.get("title"), str) or not body["title"]:
        raise _invalid("Milestone", "title", "missing_field")

    def fn(b, rec):
        if any(m["title"] == body["title"] for m in rec["milestones"]):
            raise _invalid("Milestone", "title", "already_exists")
        now = iso(b.tick())
        number = max([m["number"] for m in rec["milestones"]] + [rec.get("last_milestone", 0)], default=0) + 1
        rec["last_milestone"] = number
        ms = {"id": b.new_id(), "number": number, "title": body["title"], "description": None,
              "state": "open", "created_at": now, "updated_at": now, "due_on": None, "closed_at": None,
              "creator": _user(c)}
        _milestone_fields(b, ms, body, now)
        rec["milestones"].append(ms)
        return ms
    rec, ms = _change(c, login, name, fn)
    return _created(api.milestone_json(c, f"{login}/{name}", rec, ms),
                    f"{c.api}/repos/{login}/{name}/milestones/{ms['number']}")


def update_milestone(c: Ctx, owner, repo, number):
    login, name = _writer(c, owner, repo)
    body = _body(c)

    def fn(b, rec):
        ms = next((m for m in rec["milestones"] if m["number"] == int(number)), None)
        if ms is None:
            raise ApiError(404)
        _milestone_fields(b, ms, body, iso(b.tick()))
        return ms
    rec, ms = _change(c, login, name, fn)
    return api.milestone_json(c, f"{login}/{name}", rec, ms)


# ------------------------------------------------------------------------ issues and comments


def _new_issue(c: Ctx, b, rec: dict, login: str, body: dict, pull=None) -> dict:
    now = iso(b.tick())
    issue = {"id": b.new_id(), "number": api_next_number(rec), "title": body["title"],
             "body": body.get("body"), "user": _user(c), "state": "open",
             "labels": _labels_for(b, rec, body.get("labels") or []),
             "milestone": _milestone_for(rec, body.get("milestone")),
             "assignees": _assignees_for(b, login, body), "state_reason": None,
             "created_at": now, "updated_at": now, "closed_at": None, "pull": pull}
    rec["issues"].append(issue)
    return issue


def api_next_number(rec: dict) -> int:
    from .world import next_number
    return next_number(rec)


def create_issue(c: Ctx, owner, repo):
    login, name = _writer(c, owner, repo)
    body = _body(c)
    if not isinstance(body.get("title"), (str, int)) or body.get("title") == "":
        raise _invalid("Issue", "title", "missing_field")
    body["title"] = str(body["title"])

    def fn(b, rec):
        if not rec["has_issues"]:
            raise ApiError(410, "Issues are disabled for this repo")
        return _new_issue(c, b, rec, login, body)
    rec, issue = _change(c, login, name, fn)
    return _created(api.issue_json(c, login, rec, issue), f"{c.api}/repos/{login}/{name}/issues/{issue['number']}")


def update_issue(c: Ctx, owner, repo, number):
    login, name = _writer(c, owner, repo)
    body = _body(c)

    def fn(b, rec):
        issue = next((i for i in rec["issues"] if i["number"] == int(number)), None)
        if issue is None:
            raise ApiError(404)
        now = iso(b.tick())
        if "title" in body:
            if not body["title"]:
                raise _invalid("Issue", "title", "missing_field")
            issue["title"] = str(body["title"])
        if "body" in body:
            issue["body"] = body["body"]
        if "labels" in body:
            issue["labels"] = _labels_for(b, rec, body["labels"] or [])
        if "milestone" in body:
            issue["milestone"] = _milestone_for(rec, body["milestone"])
        if "assignees" in body or "assignee" in body:
            issue["assignees"] = _assignees_for(b, login, body)
        if "state" in body or "state_reason" in body:
            _close(b, rec, issue, body.get("state", issue["state"]), body.get("state_reason"), _user(c), now)
        issue["updated_at"] = now
        return issue
    rec, issue = _change(c, login, name, fn)
    return api.issue_json(c, login, rec, issue)


def create_issue_comment(c: Ctx, owner, repo, number):
    login, name = _writer(c, owner, repo)
    body = _body(c)
    if not isinstance(body.get("body"), str) or not body["body"]:
        raise _invalid("IssueComment", "body", "missing_field")

    def fn(b, rec):
        issue = next((i for i in rec["issues"] if i["number"] == int(number)), None)
        if issue is None:
            raise ApiError(404)
        now = iso(b.tick())
        comment = {"id": b.new_id(), "issue": issue["number"], "user": _user(c), "body": body["body"],
                   "created_at": now, "updated_at": now}
        rec["comments"].append(comment)
        issue["updated_at"] = now
        return comment
    rec, comment = _change(c, login, name, fn)
    return _created(api.comment_json(c, f"{login}/{name}", comment),
                    f"{c.api}/repos/{login}/{name}/issues/comments/{comment['id']}")


# ------------------------------------------------------------------------ pull requests


def create_pull(c: Ctx, owner, repo):
    login, name = _writer(c, owner, repo)
    body = _body(c)
    for key in ("title", "head", "base"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise _invalid("PullRequest", key, "missing_field")
    head = body["head"].split(":", 1)[1] if ":" in body["head"] else body["head"]
    base = body["base"]
    head_sha = _branch_sha(c, login, name, head)
    base_sha = _branch_sha(c, login, name, base)
    if head_sha is None:
        raise _invalid("PullRequest", "head", message="Validation Failed: head invalid")
    if base_sha is None:
        raise _invalid("PullRequest", "base", message="Validation Failed: base invalid")
    shas = _git(c, login, name, "rev-list", "--reverse", f"{base_sha}..{head_sha}").split()
    if not shas:
        raise ApiError(422, f"Validation Failed: No commits between {base} and {head}")
    commits = []
    for sha in shas[:250]:
        parents, _, message = _git(c, login, name, "show", "-s", "--format=%P%x00%B", sha).partition("\0")
        commits.append({"sha": sha, "message": message.strip(), "parents": parents.split()})

    def fn(b, rec):
        for other in rec["issues"]:
            p = other["pull"]
            if p and other["state"] == "open" and p["head"] == head and p["base"] == base:
                raise ApiError(422, f"Validation Failed: A pull request already exists for {login}:{head}.")
        pull = {"head": head, "base": base, "head_sha": head_sha, "base_sha": base_sha, "merged": False,
                "merge_commit_sha": None, "merged_at": None, "commits": commits,
                "draft": bool(body.get("draft"))}
        return _new_issue(c, b, rec, login, {"title": body["title"], "body": body.get("body")}, pull=pull)
    rec, issue = _change(c, login, name, fn)
    return _created(api.pull_json(c, login, rec, issue), f"{c.api}/repos/{login}/{name}/pulls/{issue['number']}")


def update_pull(c: Ctx, owner, repo, number):
    login, name = _writer(c, owner, repo)
    body = _body(c)

    def fn(b, rec):
        issue = next((i for i in rec["issues"] if i["number"] == int(number) and i["pull"]), None)
        if issue is None:
            raise ApiError(404)
        now = iso(b.tick())
        if "title" in body:
            issue["title"] = str(body["title"])
        if "body" in body:
            issue["body"] = body["body"]
        if "base" in body:
            sha = _branch_sha(c, login, name, str(body["base"]))
            if sha is None:
                raise _invalid("PullRequest", "base", message="Validation Failed: base invalid")
            issue["pull"].update(base=str(body["base"]), base_sha=sha)
        if "state" in body:
            if issue["pull"]["merged"]:
                raise ApiError(422, "Validation Failed: state cannot be changed. The pull request is merged.")
            _close(b, rec, issue, body["state"], None, _user(c), now)
        issue["updated_at"] = now
        return issue
    rec, issue = _change(c, login, name, fn)
    return api.pull_json(c, login, rec, issue)


def _review_comment(b, c: Ctx, issue: dict, entry: dict, commit_id: str, now: str) -> dict:
    if not isinstance(entry.get("body"), str) or not entry["body"] or not entry.get("path"):
        raise _invalid("PullRequestReviewComment", "body" if not entry.get("body") else "path", "missing_field")
    return {"id": b.new_id(), "pull": issue["number"], "user": _user(c), "body": entry["body"],
            "path": str(entry["path"]), "line": int(entry.get("line") or entry.get("position") or 1),
            "commit_id": entry.get("commit_id") or commit_id, "created_at": now, "updated_at": now}


def create_review(c: Ctx, owner, repo, number):
    login, name = _writer(c, owner, repo)
    body = _body(c)
    event = body.get("event")
    if event is not None and event not in REVIEW_STATES:
        raise _invalid("PullRequestReview", "event")
    if event in ("COMMENT", "REQUEST_CHANGES") and not body.get("body"):
        raise ApiError(422, f"Unprocessable Entity: Review Can not {event.lower().replace('_', ' ')} "
                            "without a body")

    def fn(b, rec):
        issue = next((i for i in rec["issues"] if i["number"] == int(number) and i["pull"]), None)
        if issue is None:
            raise ApiError(404)
        now = iso(b.tick())
        commit_id = body.get("commit_id") or issue["pull"]["head_sha"]
        review = {"id": b.new_id(), "pull": issue["number"], "user": _user(c),
                  "state": REVIEW_STATES[event] if event else "PENDING", "body": body.get("body") or "",
                  "submitted_at": now if event else None, "commit_id": commit_id}
        for entry in body.get("comments") or []:
            rec["review_comments"].append(_review_comment(b, c, issue, entry, commit_id, now))
        rec["reviews"].append(review)
        issue["updated_at"] = now
        return review
    rec, review = _change(c, login, name, fn)
    return api.review_json(c, f"{login}/{name}", review)  # GitHub answers 200 here


def create_review_comment(c: Ctx, owner, repo, number):
    login, name = _writer(c, owner, repo)
    body = _body(c)

    def fn(b, rec):
        issue = next((i for i in rec["issues"] if i["number"] == int(number) and i["pull"]), None)
        if issue is None:
            raise ApiError(404)
        now = iso(b.tick())
        if body.get("in_reply_to"):
            parent = next((x for x in rec["review_comments"] if x["id"] == int(body["in_reply_to"])), None)
            if parent is None:
                raise ApiError(404)
            body.setdefault("path", parent["path"])
            body.setdefault("line", parent["line"])
        comment = _review_comment(b, c, issue, body, issue["pull"]["head_sha"], now)
        rec["review_comments"].append(comment)
        issue["updated_at"] = now
        return comment
    rec, comment = _change(c, login, name, fn)
    return _created(api.review_comment_json(c, f"{login}/{name}", comment),
                    f"{c.api}/repos/{login}/{name}/pulls/comments/{comment['id']}")


# ------------------------------------------------------------------------ releases and assets


def create_release(c: Ctx, owner, repo):
    login, name = _writer(c, owner, repo)
    body = _body(c)
    tag = body.get("tag_name")
    if not isinstance(tag, str) or not tag:
        raise _invalid("Release", "tag_name", "missing_field")
    if subprocess.run(["git", "check-ref-format", f"refs/tags/{tag}"], capture_output=True, env=git_env()).returncode:
        raise _invalid("Release", "tag_name")  # as GitHub: a tag git refuses (.., a NUL, ...)
    draft, prerelease = bool(body.get("draft")), bool(body.get("prerelease"))

    def fn(b, rec):
        if any(r["tag_name"] == tag for r in rec["releases"]):
            raise _invalid("Release", "tag_name", "already_exists")
        target = body.get("target_commitish") or rec["default_branch"]
        tag_exists = bool(api._git_refs(c, login, name, f"refs/tags/{tag}"))
        if not tag_exists and not draft:
            # as GitHub: publishing a release of a missing tag makes the tag at target_commitish
            try:
                sha = _git(c, login, name, "rev-parse", "--verify", f"{target}^{{commit}}").strip()
            except subprocess.CalledProcessError:
                raise _invalid("Release", "target_commitish") from None
            _git(c, login, name, "update-ref", f"refs/tags/{tag}", sha)
        now = iso(b.tick())
        rel = {"id": b.new_id(), "tag_name": tag, "target_commitish": target, "name": body.get("name"),
               "body": body.get("body"), "draft": draft, "prerelease": prerelease, "created_at": now,
               "published_at": None if draft else now, "author": _user(c), "assets": []}
        rec["releases"].append(rel)
        return rel
    rec, rel = _change(c, login, name, fn)
    return _created(api.release_json(c, f"{login}/{name}", rel), f"{c.api}/repos/{login}/{name}/releases/{rel['id']}")


def upload_asset(c: Ctx, owner, repo, id):
    """POST https://HOST/api/uploads/repos/{o}/{r}/releases/{id}/assets?name=N[&label=L], raw body."""
    if not c.uploads:
        raise ApiError(404)
    login, name = _writer(c, owner, repo)
    asset_name = c.query.get("name")
    if not asset_name:
        raise ApiError(422, "Validation Failed: name is required")
    asset_name = re.sub(r"[^A-Za-z0-9._+-]", ".", asset_name)  # GitHub replaces other characters
    content_type = c.headers.get("Content-Type") or "application/octet-stream"
    data = c.body

    def fn(b, rec):
        rel = next((r for r in rec["releases"] if r["id"] == int(id)), None)
        if rel is None:
            raise ApiError(404)
        if any(a["name"] == asset_name for a in rel["assets"]):
            raise _invalid("ReleaseAsset", "name", "already_exists")
        aid = b.new_id()
        path = c.root / "assets" / str(aid)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{aid}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        now = iso(b.tick())
        asset = {"id": aid, "name": asset_name, "label": c.query.get("label", ""), "size": len(data),
                 "content_type": content_type, "sha256": hashlib.sha256(data).hexdigest(),
                 "created_at": now, "updated_at": now, "download_count": 0}
        rel["assets"].append(asset)
        return rel, asset
    rec, (rel, asset) = _change(c, login, name, fn)
    return _created(api.asset_json(c, f"{login}/{name}", rel, asset))


# ------------------------------------------------------------------------ access: protection, collaborators

PERMISSIONS = ("pull", "triage", "push", "maintain", "admin")
PROTECTION_FLAGS = ("required_linear_history", "allow_force_pushes", "allow_deletions", "block_creations",
                    "required_conversation_resolution", "lock_branch", "allow_fork_syncing")


def _flag(body: dict, key: str, default=False) -> bool:
    value = body.get(key, default)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _invalid("BranchProtection", key, message=f"Invalid request.\n\nFor '{key}', {json.dumps(value)} "
                                                          "is not a boolean.")
    return value


def _actors(b, login: str, value, key: str, *, apps: bool = True) -> dict:
    """{users, teams[, apps]} of a request -> stored logins / team slugs / app slugs (422 for unknown ones)."""
    if not isinstance(value, dict):
        raise _invalid("BranchProtection", key, message=f"Invalid request.\n\nFor '{key}', "
                                                          f"{json.dumps(value)} is not an object.")
    org = b.world["orgs"][login]
    slugs = {t["slug"].lower(): t["slug"] for t in org.get("teams", [])}
    out = {"users": [], "teams": []}
    for name in value.get("users") or []:
        user = _canonical_user(b, name)
        if user is None:
            raise ApiError(422, f"Validation Failed: Could not find user {name} for {key}")
        out["users"].append(user)
    for slug in value.get("teams") or []:
        if str(slug).lower() not in slugs:
            raise ApiError(422, f"Validation Failed: Could not find team {slug} for {key}")
        out["teams"].append(slugs[str(slug).lower()])
    if apps:
        out["apps"] = [str(a) for a in value.get("apps") or []]
    return out


def set_branch_protection(c: Ctx, owner, repo, branch):
    """PUT .../branches/{branch}/protection: GitHub's body (the four required keys, null to switch one
    off, and the optional booleans); stored as the world stores protections, answered as GET answers."""
    login, name = _writer(c, owner, repo)
    body = _body(c)
    for key in ("required_status_checks", "enforce_admins", "required_pull_request_reviews", "restrictions"):
        if key not in body:
            raise ApiError(422, f"Invalid request.\n\n\"{key}\" wasn't supplied.")
    if _branch_sha(c, login, name, branch) is None:
        raise ApiError(404, "Branch not found")

    def fn(b, rec):
        protection = {}
        checks = body["required_status_checks"]
        if checks is not None:
            if not isinstance(checks, dict) or "strict" not in checks or \
                    ("contexts" not in checks and "checks" not in checks):
                raise ApiError(422, "Invalid request.\n\nFor 'required_status_checks', strict and contexts "
                                    "(or checks) are required.")
            if checks.get("checks") is not None:
                listed = [{"context": str(x["context"]), "app_id": x.get("app_id")} for x in checks["checks"]]
            else:
                listed = [{"context": str(x), "app_id": None} for x in checks.get("contexts") or []]
            protection["required_status_checks"] = {"strict": bool(checks["strict"]),
                                                    "contexts": [x["context"] for x in listed], "checks": listed}
        protection["enforce_admins"] = {"enabled": _flag(body, "enforce_admins")}
        reviews = body["required_pull_request_reviews"]
        if reviews is not None:
            if not isinstance(reviews, dict):
                raise _invalid("BranchProtection", "required_pull_request_reviews")
            count = reviews.get("required_approving_review_count", 1)
            if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 6:
                raise ApiError(422, "Invalid request.\n\nrequired_approving_review_count must be between 0 and 6.")
            stored = {"dismiss_stale_reviews": _flag(reviews, "dismiss_stale_reviews"),
                      "require_code_owner_reviews": _flag(reviews, "require_code_owner_reviews"),
                      "require_last_push_approval": _flag(reviews, "require_last_push_approval"),
                      "required_approving_review_count": count}
            for key in ("dismissal_restrictions", "bypass_pull_request_allowances"):
                if reviews.get(key):
                    stored[key] = _actors(b, login, reviews[key], key)
            protection["required_pull_request_reviews"] = stored
        if body["restrictions"] is not None:
            protection["restrictions"] = _actors(b, login, body["restrictions"], "restrictions")
        old = rec["protected_branches"].get(branch) or {}
        protection["required_signatures"] = old.get("required_signatures", {"enabled": False})
        for key in PROTECTION_FLAGS:
            protection[key] = {"enabled": _flag(body, key)}
        rec["protected_branches"][branch] = protection
        return protection
    rec, protection = _change(c, login, name, fn)
    return api.protection_json(c, f"{login}/{name}", branch, protection)


def add_collaborator(c: Ctx, owner, repo, username):
    """PUT .../collaborators/{username} {"permission"}: GitHub invites (201 with the invitation) and the
    user joins on accepting; the emulator makes the user a collaborator at once. 204 (no body) when the
    user already is one (the permission is updated, as GitHub does)."""
    login, name = _writer(c, owner, repo, archived_ok=True)
    permission = _body(c).get("permission", "push")
    if permission not in PERMISSIONS:
        raise ApiError(422, f"Validation Failed: permission {permission!r} is not one of "
                            f"{', '.join(PERMISSIONS)}")

    def fn(b, rec):
        user = _canonical_user(b, username)
        if user is None:
            raise ApiError(404)
        found = next((x for x in rec["collaborators"] if x["login"].lower() == user.lower()), None)
        if found:
            found["permission"] = permission
            return user, False
        rec["collaborators"].append({"login": user, "permission": permission})
        org = b.world["orgs"][login]
        members = {m["login"].lower() for m in org.get("members", [])}
        outside = org.setdefault("outside_collaborators", [])
        if user.lower() not in members and user.lower() not in (x.lower() for x in outside):
            outside.append(user)   # a collaborator who is not a member is an outside collaborator
        return user, (b.new_id(), iso(b.tick()))
    rec, (user, invitation) = _change(c, login, name, fn)
    if not invitation:
        return Response(204, b"", {})
    full = f"{login}/{name}"
    invitation, created_at = invitation
    return _created({
        "id": invitation, "node_id": api.node("RepositoryInvitation", invitation),
        "repository": api.repo_json(c, login, rec), "invitee": api.user_json(c, user),
        "inviter": api.user_json(c, _user(c)), "permissions": ROLE_NAMES[permission],
        "created_at": created_at, "expired": False,
        "url": f"{c.api}/user/repository_invitations/{invitation}", "html_url": f"{c.web}/{full}/invitations"})


R = "/repos/{owner}/{repo}"
WRITE_ROUTES = [
    ("POST", "/orgs/{org}/repos", create_org_repo),
    ("PATCH", R, update_repo),
    ("PUT", R + "/topics", replace_topics),
    ("POST", R + "/labels", create_label),
    ("POST", R + "/milestones", create_milestone),
    ("PATCH", R + "/milestones/{number}", update_milestone),
    ("POST", R + "/issues", create_issue),
    ("PATCH", R + "/issues/{number}", update_issue),
    ("POST", R + "/issues/{number}/comments", create_issue_comment),
    ("POST", R + "/pulls", create_pull),
    ("PATCH", R + "/pulls/{number}", update_pull),
    ("POST", R + "/pulls/{number}/reviews", create_review),
    ("POST", R + "/pulls/{number}/comments", create_review_comment),
    ("POST", R + "/releases", create_release),
    ("POST", R + "/releases/{id}/assets", upload_asset),   # only on the uploads host
    ("PUT", R + "/branches/{branch:path}/protection", set_branch_protection),
    ("PUT", R + "/collaborators/{username}", add_collaborator),
]
