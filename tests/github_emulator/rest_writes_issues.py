"""The write side's issues, comments, pull requests, reviews and review comments (rest_writes.py:
the helpers, repositories, labels, milestones, releases)."""
from __future__ import annotations

from .builder import iso, next_number
from .rest import ApiError, Ctx
from .rest_shapes import comment_json, issue_json, pull_json, review_comment_json, review_json
from .rest_writes import (branch_sha, caller, change_repo, created, invalid, known_users, request_body, run_git,
                          writable_repo)

REVIEW_STATES = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}


def _labels_for(b, rec: dict, names) -> list:
    """Label names for an issue; unknown names are created (GitHub does that too)."""
    if not isinstance(names, list):
        raise invalid("Issue", "labels")
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
        raise invalid("Issue", "milestone") from None
    if not any(m["number"] == number for m in rec["milestones"]):
        raise invalid("Issue", "milestone")
    return number


def _assignees_for(b, login: str, body: dict) -> list:
    """Assignees that exist (others are dropped silently, as GitHub drops those it cannot assign)."""
    wanted = list(body.get("assignees") or [])
    if body.get("assignee"):
        wanted.insert(0, body["assignee"])
    known = known_users(b, login)
    out = []
    for name in wanted:
        if str(name).lower() in known and name not in out:
            out.append(str(name))
    return out


def _close(b, rec: dict, issue: dict, state: str, reason, actor: str, now: str) -> None:
    if state not in ("open", "closed"):
        raise invalid("Issue", "state")
    if reason is not None and reason not in ("completed", "not_planned", "reopened"):
        raise invalid("Issue", "state_reason")
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


def close_pull(b, rec: dict, issue: dict, actor: str, now: str) -> None:
    """A pull request closed by GitHub itself (its base branch deleted)."""
    _close(b, rec, issue, "closed", None, actor, now)


# ------------------------------------------------------------------------ issues and comments


def _new_issue(c: Ctx, b, rec: dict, login: str, body: dict, pull=None) -> dict:
    now = iso(b.tick())
    issue = {"id": b.new_id(), "number": next_number(rec), "title": body["title"],
             "body": body.get("body"), "user": caller(c), "state": "open",
             "labels": _labels_for(b, rec, body.get("labels") or []),
             "milestone": _milestone_for(rec, body.get("milestone")),
             "assignees": _assignees_for(b, login, body), "state_reason": None,
             "created_at": now, "updated_at": now, "closed_at": None, "pull": pull}
    rec["issues"].append(issue)
    return issue


def create_issue(c: Ctx, owner, repo):
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)
    if not isinstance(body.get("title"), (str, int)) or body.get("title") == "":
        raise invalid("Issue", "title", "missing_field")
    body["title"] = str(body["title"])

    def fn(b, rec):
        if not rec["has_issues"]:
            raise ApiError(410, "Issues are disabled for this repo")
        return _new_issue(c, b, rec, login, body)
    rec, issue = change_repo(c, login, name, fn)
    return created(issue_json(c, login, rec, issue), f"{c.api}/repos/{login}/{name}/issues/{issue['number']}")


def update_issue(c: Ctx, owner, repo, number):
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)

    def fn(b, rec):
        issue = next((i for i in rec["issues"] if i["number"] == int(number)), None)
        if issue is None:
            raise ApiError(404)
        now = iso(b.tick())
        if "title" in body:
            if not body["title"]:
                raise invalid("Issue", "title", "missing_field")
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
            _close(b, rec, issue, body.get("state", issue["state"]), body.get("state_reason"), caller(c), now)
        issue["updated_at"] = now
        return issue
    rec, issue = change_repo(c, login, name, fn)
    return issue_json(c, login, rec, issue)


def create_issue_comment(c: Ctx, owner, repo, number):
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)
    if not isinstance(body.get("body"), str) or not body["body"]:
        raise invalid("IssueComment", "body", "missing_field")

    def fn(b, rec):
        issue = next((i for i in rec["issues"] if i["number"] == int(number)), None)
        if issue is None:
            raise ApiError(404)
        now = iso(b.tick())
        comment = {"id": b.new_id(), "issue": issue["number"], "user": caller(c), "body": body["body"],
                   "created_at": now, "updated_at": now}
        rec["comments"].append(comment)
        issue["updated_at"] = now
        return comment
    rec, comment = change_repo(c, login, name, fn)
    return created(comment_json(c, f"{login}/{name}", comment),
                   f"{c.api}/repos/{login}/{name}/issues/comments/{comment['id']}")


# ------------------------------------------------------------------------ pull requests


def create_pull(c: Ctx, owner, repo):
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)
    for key in ("title", "head", "base"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise invalid("PullRequest", key, "missing_field")
    head = body["head"].split(":", 1)[1] if ":" in body["head"] else body["head"]
    base = body["base"]
    head_sha = branch_sha(c, login, name, head)
    base_sha = branch_sha(c, login, name, base)
    if head_sha is None:
        raise invalid("PullRequest", "head", message="Validation Failed: head invalid")
    if base_sha is None:
        raise invalid("PullRequest", "base", message="Validation Failed: base invalid")
    shas = run_git(c, login, name, "rev-list", "--reverse", f"{base_sha}..{head_sha}").split()
    if not shas:
        raise ApiError(422, f"Validation Failed: No commits between {base} and {head}")
    commits = []
    for sha in shas[:250]:
        parents, _, message = run_git(c, login, name, "show", "-s", "--format=%P%x00%B", sha).partition("\0")
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
    rec, issue = change_repo(c, login, name, fn)
    return created(pull_json(c, login, rec, issue), f"{c.api}/repos/{login}/{name}/pulls/{issue['number']}")


def update_pull(c: Ctx, owner, repo, number):
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)

    def fn(b, rec):
        issue = next((i for i in rec["issues"] if i["number"] == int(number) and i["pull"]), None)
        if issue is None:
            raise ApiError(404)
        now = iso(b.tick())
        if "title" in body:
            issue["title"] = str(body["title"])
        if "body" in body:
            issue["body"] = body["body"]
        if "base" in body and body["base"] != issue["pull"]["base"]:
            _change_base(c, login, name, issue, str(body["base"]))
        if "state" in body:
            if issue["pull"]["merged"]:
                raise ApiError(422, "Validation Failed: state cannot be changed. The pull request is merged.")
            _close(b, rec, issue, body["state"], None, caller(c), now)
        issue["updated_at"] = now
        return issue
    rec, issue = change_repo(c, login, name, fn)
    return pull_json(c, login, rec, issue)


def _change_base(c: Ctx, login: str, name: str, issue: dict, base: str) -> None:
    """GitHub refuses a closed pull request's new base (its GraphQL words: "Cannot change the base
    branch of a closed pull request.") and a base that holds every commit of the head (its web
    interface: "There are no new commits between base branch ... and head branch ...")."""
    pull = issue["pull"]
    if issue["state"] != "open":
        raise ApiError(422, "Validation Failed: Cannot change the base branch of a closed pull request.")
    sha = branch_sha(c, login, name, base)
    if sha is None:
        raise invalid("PullRequest", "base", message="Validation Failed: base invalid")
    head_sha = branch_sha(c, login, name, pull["head"]) or pull["head_sha"]
    if not run_git(c, login, name, "rev-list", f"{sha}..{head_sha}").split():
        raise ApiError(422, f"Validation Failed: There are no new commits between base branch '{base}' and head "
                            f"branch '{pull['head']}'.")
    pull.update(base=base, base_sha=sha)


def _review_comment(b, c: Ctx, issue: dict, entry: dict, commit_id: str, now: str) -> dict:
    if not isinstance(entry.get("body"), str) or not entry["body"] or not entry.get("path"):
        raise invalid("PullRequestReviewComment", "body" if not entry.get("body") else "path", "missing_field")
    return {"id": b.new_id(), "pull": issue["number"], "user": caller(c), "body": entry["body"],
            "path": str(entry["path"]), "line": int(entry.get("line") or entry.get("position") or 1),
            "commit_id": entry.get("commit_id") or commit_id, "created_at": now, "updated_at": now}


def create_review(c: Ctx, owner, repo, number):
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)
    event = body.get("event")
    if event is not None and event not in REVIEW_STATES:
        raise invalid("PullRequestReview", "event")
    if event in ("COMMENT", "REQUEST_CHANGES") and not body.get("body"):
        raise ApiError(422, f"Unprocessable Entity: Review Can not {event.lower().replace('_', ' ')} "
                            "without a body")

    def fn(b, rec):
        issue = next((i for i in rec["issues"] if i["number"] == int(number) and i["pull"]), None)
        if issue is None:
            raise ApiError(404)
        now = iso(b.tick())
        commit_id = body.get("commit_id") or issue["pull"]["head_sha"]
        review = {"id": b.new_id(), "pull": issue["number"], "user": caller(c),
                  "state": REVIEW_STATES[event] if event else "PENDING", "body": body.get("body") or "",
                  "submitted_at": now if event else None, "commit_id": commit_id}
        for entry in body.get("comments") or []:
            rec["review_comments"].append(_review_comment(b, c, issue, entry, commit_id, now))
        rec["reviews"].append(review)
        issue["updated_at"] = now
        return review
    rec, review = change_repo(c, login, name, fn)
    return review_json(c, f"{login}/{name}", review)  # GitHub answers 200 here


def create_review_comment(c: Ctx, owner, repo, number):
    """POST .../pulls/{n}/comments: body, commit_id and path required (GitHub's description), where
    the comment is by line (and side) or, deprecated, position; in_reply_to answers a comment."""
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)
    for key in ("body", "commit_id", "path"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise ApiError(422, f"Invalid request.\n\n\"{key}\" wasn't supplied.")
    return _add_review_comment(c, login, name, number, body, body.get("in_reply_to"))


def create_review_comment_reply(c: Ctx, owner, repo, number, comment_id):
    """POST .../pulls/{n}/comments/{comment_id}/replies: the body alone (the thread gives the rest)."""
    login, name = writable_repo(c, owner, repo)
    body = request_body(c)
    if not isinstance(body.get("body"), str) or not body["body"]:
        raise ApiError(422, "Invalid request.\n\n\"body\" wasn't supplied.")
    return _add_review_comment(c, login, name, number, {"body": body["body"]}, comment_id)


def _add_review_comment(c: Ctx, login: str, name: str, number, body: dict, in_reply_to):
    def fn(b, rec):
        issue = next((i for i in rec["issues"] if i["number"] == int(number) and i["pull"]), None)
        if issue is None:
            raise ApiError(404)
        now = iso(b.tick())
        if in_reply_to:
            parent = next((x for x in rec["review_comments"] if x["id"] == int(in_reply_to)), None)
            if parent is None:
                raise ApiError(404)
            body["path"], body["line"] = parent["path"], parent["line"]
        comment = _review_comment(b, c, issue, body, issue["pull"]["head_sha"], now)
        rec["review_comments"].append(comment)
        issue["updated_at"] = now
        return comment
    rec, comment = change_repo(c, login, name, fn)
    return created(review_comment_json(c, f"{login}/{name}", comment),
                   f"{c.api}/repos/{login}/{name}/pulls/comments/{comment['id']}")
