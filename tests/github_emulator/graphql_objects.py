"""The GraphQL resolver layer: the objects a query reads (repositories with their discussions,
issues, settings, ...; organizations with their projects), built from the world View as plain
dicts whose fields with arguments are callables, and the connections that page them."""
from __future__ import annotations

import base64
import time
from dataclasses import dataclass

from graphql import GraphQLError

from .rest import View, node, user_id
from .truth import ruleset_applies


PROJECTS_SCOPE_MESSAGE = ("Your token has not been granted the required scopes to execute this query. "
                          "The 'projectsV2' field requires one of the following scopes: ['read:project'], "
                          "but your token has only been granted the: ['repo', 'read:org'] scopes. "
                          "Please modify your token's scopes at: https://github.com/settings/tokens.")


@dataclass
class Ctx:
    view: View
    user: dict | None
    web: str
    rate: dict          # after spending: limit, remaining, reset, used
    cost: int
    node_count: int
    root: object = None  # the world's folder: mutations write there (graphql_mutations.py)


def _fail(kind: str, message: str):
    raise GraphQLError(message, extensions={"type": kind})


# ------------------------------------------------------------------------ pagination


def _cursor(offset: int) -> str:
    return base64.b64encode(f"cursor:v2:{offset}".encode()).decode()


def _offset(after: str | None) -> int:
    if not after:
        return 0
    try:
        kind, version, number = base64.b64decode(after).decode().split(":")
        assert (kind, version) == ("cursor", "v2")
        return int(number) + 1
    except (ValueError, AssertionError, UnicodeDecodeError):
        _fail("INVALID_CURSOR_ARGUMENTS", f"`{after}` does not appear to be a valid cursor.")


def _connection(items: list, make, first=None, after=None, **_ignored) -> dict:
    """A connection over `items` (raw records), `make` turns a record into its object."""
    start = _offset(after)
    page = items[start:start + (first or 0)]
    end = start + len(page)
    return {"totalCount": len(items), "nodes": [make(x) for x in page],
            "pageInfo": {"hasNextPage": end < len(items), "hasPreviousPage": start > 0,
                         "startCursor": _cursor(start) if page else None,
                         "endCursor": _cursor(end - 1) if page else None}}


# ------------------------------------------------------------------------ objects


def _nid(kind: str, raw) -> str:
    """A node id as rest.node() makes them; ids the builder wrote as strings are used as they are."""
    return node(kind, raw) if isinstance(raw, int) else str(raw)


def _db(raw):
    return raw if isinstance(raw, int) else None


def actor(login: str | None):
    if not login:
        return None
    return {"__typename": "User", "id": node("User", user_id(login)), "login": login}


def rate_limit(c: Ctx) -> dict:
    reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(c.rate["reset"]))
    return {"cost": c.cost, "limit": c.rate["limit"], "nodeCount": c.node_count,
            "remaining": c.rate["remaining"], "resetAt": reset, "used": c.rate["used"]}


def find_node(c: Ctx, node_id: str):
    """GitHub's lookup by node id; the subset: discussion comments (how replies beyond the
    first page are paged), in repositories the caller may read."""
    for login, rec in c.view.repos.values():
        if rec["private"] and not c.user:
            continue
        categories = {cat["slug"]: cat for cat in rec.get("discussion_categories") or []}
        labels = {label["name"]: label for label in rec.get("labels") or []}
        for d in rec.get("discussions") or []:
            for x in d.get("comments") or []:
                if _nid("DiscussionComment", x["id"]) == node_id:
                    found = _discussion_obj(c, f"{login}/{rec['name']}", d, categories, labels)
                    return dict(found["_comment"](x), __typename="DiscussionComment")
    _fail("NOT_FOUND", f"Could not resolve to a node with the global id of '{node_id}'")


def repository(c: Ctx, owner: str, name: str):
    found = c.view.find_repo(owner, name)
    if not found or (found[1]["private"] and not c.user):
        _fail("NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'.")
    return _repo_obj(c, *found)


def _repo_obj(c: Ctx, login: str, rec: dict) -> dict:
    full = f"{login}/{rec['name']}"
    discussions = rec.get("discussions") or []
    categories = {cat["slug"]: cat for cat in rec.get("discussion_categories") or []}
    labels = {label["name"]: label for label in rec.get("labels") or []}
    settings = rec.get("settings") or {}

    def discussion_list(first=None, after=None, orderBy=None, categoryId=None, answered=None):
        order = orderBy or {"field": "UPDATED_AT", "direction": "DESC"}
        key = "updatedAt" if order["field"] == "UPDATED_AT" else "createdAt"
        def category_id(d):
            return _category_obj(categories.get(d["category"], _NO_CATEGORY))["id"]
        chosen = [d for d in discussions if (categoryId is None or category_id(d) == categoryId)
                  and (answered is None or bool(d.get("answer")) == answered)]
        ordered = sorted(chosen, key=lambda d: (d[key], d["number"]), reverse=order["direction"] == "DESC")
        return _connection(ordered, lambda d: _discussion_obj(c, full, d, categories, labels), first, after)

    def discussion(number):
        for d in discussions:
            if d["number"] == number:
                return _discussion_obj(c, full, d, categories, labels)
        _fail("NOT_FOUND", f"Could not resolve to a Discussion with the number of {number}.")

    def issue_list(pulls: bool, first=None, after=None, orderBy=None, states=None):
        """GitHub's `issues` (no pull requests) or `pullRequests` connection of the repository."""
        order = orderBy or {"field": "CREATED_AT", "direction": "ASC"}
        index = c.view.index[rec["id"]]
        key = {"UPDATED_AT": lambda i: (i["updated_at"], i["number"]),
               "COMMENTS": lambda i: (len(index["comments"].get(i["number"], [])), i["number"])}.get(
                   order["field"], lambda i: (i["created_at"], i["number"]))
        chosen = [i for i in rec["issues"] if bool(i["pull"]) == pulls
                  and (not states or _item_state(i) in states)]
        ordered = sorted(chosen, key=key, reverse=order["direction"] == "DESC")
        return _connection(ordered, lambda i: _issue_obj(c, login, rec, i, pulls), first, after)

    def issue_or_pull(number):
        issue = c.view.index[rec["id"]]["issues"].get(number)
        if issue is None:
            _fail("NOT_FOUND", f"Could not resolve to an issue or pull request with the number of {number}.")
        return _issue_obj(c, login, rec, issue, bool(issue["pull"]))

    return {
        "id": node("Repository", rec["id"]), "databaseId": rec["id"], "name": rec["name"],
        "nameWithOwner": full, "updatedAt": rec["updated_at"], "isPrivate": rec["private"],
        "url": f"{c.web}/{full}",
        "hasDiscussionsEnabled": bool(settings.get("has_discussions", bool(discussions))),
        "discussions": lambda info, **kw: discussion_list(**kw),
        "discussion": lambda info, number: discussion(number),
        "milestones": lambda info, **kw: _connection(
            rec["milestones"], lambda m: {"id": node("Milestone", m["id"]), "number": m["number"],
                                          "title": m["title"]}, **kw),
        "labels": lambda info, **kw: _connection(
            rec["labels"], _label_obj, **kw),
        "releases": lambda info, **kw: _connection(
            rec["releases"], lambda r: {"id": node("Release", r["id"]), "tagName": r["tag_name"],
                                        "name": r.get("name")}, **kw),
        "deployKeys": lambda info, **kw: _connection(
            rec["deploy_keys"], lambda k: {"id": node("DeployKey", k["id"]), "title": k["title"]}, **kw),
        "environments": lambda info, **kw: _connection(
            rec["environments"], lambda e: {"id": node("Environment", e.get("id", e["name"])),
                                            "name": e["name"]}, **kw),
        "rulesets": lambda info, includeParents=True, **kw: _connection(
            _rulesets(c, login, rec, includeParents),
            lambda r: _ruleset_obj(c, login, rec, r), **kw),
        "commitComments": lambda info, **kw: _connection(
            rec["commit_comments"], lambda x: {"id": node("CommitComment", x["id"]), "body": x["body"]}, **kw),
        # one rule per protected branch, its pattern the branch's name
        "branchProtectionRules": lambda info, **kw: _connection(
            sorted(rec["protected_branches"]),
            lambda b: {"id": node("BranchProtectionRule", f"{rec['id']}:{b}"), "pattern": b}, **kw),
        "collaborators": lambda info, **kw: _collaborators(c, login, rec, **kw),
        "issues": lambda info, **kw: issue_list(False, **kw),
        "issueOrPullRequest": lambda info, number: issue_or_pull(number),
        "pullRequests": lambda info, **kw: issue_list(True, **kw),
        "discussionCategories": lambda info, **kw: _connection(
            list(categories.values()), _category_obj, kw.get("first"), kw.get("after")),
    }


_NO_CATEGORY = {"id": 0, "name": "General", "slug": "general"}


def _category_obj(cat: dict) -> dict:
    return {"id": _nid("DiscussionCategory", cat["id"]), "name": cat["name"], "slug": cat["slug"],
            "emoji": cat.get("emoji") or ":speech_balloon:", "description": cat.get("description"),
            "isAnswerable": bool(cat.get("isAnswerable"))}


def _label_obj(label: dict) -> dict:
    return {"id": _nid("Label", label["id"]), "name": label["name"], "color": label["color"],
            "description": label.get("description"), "isDefault": bool(label.get("default"))}


def _discussion_obj(c: Ctx, full: str, d: dict, categories: dict, labels: dict) -> dict:
    url = f"{c.web}/{full}/discussions/{d['number']}"
    comments = d.get("comments") or []
    answer = next((x for x in comments if x["id"] == d.get("answer")), None) if d.get("answer") else None
    category = categories.get(d["category"]) or dict(_NO_CATEGORY, name=d["category"], slug=d["category"])

    def comment(x, parent=None):
        obj = {
            "id": _nid("DiscussionComment", x["id"]), "databaseId": _db(x["id"]), "body": x["body"],
            "author": actor(x.get("author")), "createdAt": x["createdAt"], "updatedAt": x["updatedAt"],
            "isAnswer": parent is None and x["id"] == d.get("answer"), "upvoteCount": x.get("upvoteCount", 0),
            "url": f"{url}#discussioncomment-{x['id']}",
            "replyTo": comment(parent) if parent is not None else None,
            "replies": lambda info, **kw: _connection(
                [] if parent is not None else x.get("replies") or [], lambda r: comment(r, x),
                kw.get("first"), kw.get("after")),
        }
        return obj

    return {
        "id": _nid("Discussion", d["id"]), "databaseId": _db(d["id"]), "number": d["number"],
        "title": d["title"], "body": d["body"], "url": url, "author": actor(d.get("author")),
        "createdAt": d["createdAt"], "updatedAt": d["updatedAt"], "closed": bool(d.get("closed")),
        "closedAt": d.get("closedAt"), "locked": bool(d.get("locked")), "upvoteCount": d.get("upvoteCount", 0),
        "activeLockReason": d.get("activeLockReason") if d.get("locked") else None,
        "category": _category_obj(category),
        "answer": comment(answer) if answer else None,
        "answerChosenAt": d.get("answerChosenAt") if answer else None,
        "answerChosenBy": actor(d.get("answerChosenBy")) if answer else None,
        "labels": lambda info, **kw: _connection(
            [labels.get(n) or {"id": n, "name": n, "color": "ededed"} for n in d.get("labels") or []],
            _label_obj, kw.get("first"), kw.get("after")),
        "comments": lambda info, **kw: _connection(comments, comment, kw.get("first"), kw.get("after")),
        "_comment": comment,  # for node(id:); not a field of the schema
    }


# ------------------------------------------------------------------------ organizations and projects


def organization(c: Ctx, login: str):
    org = c.view.find_org(login)
    if not org:
        _fail("NOT_FOUND", f"Could not resolve to an Organization with the login of '{login}'.")
    projects = org.get("projects") or []

    def readable():
        # a reader token is like a classic token without read:project (see the design)
        if not (c.user and c.user.get("admin")):
            _fail("INSUFFICIENT_SCOPES", PROJECTS_SCOPE_MESSAGE)

    def project_list(first=None, after=None, orderBy=None):
        readable()
        order = orderBy or {"field": "NUMBER", "direction": "DESC"}
        key = {"TITLE": "title", "NUMBER": "number", "UPDATED_AT": "updatedAt", "CREATED_AT": "createdAt"}
        ordered = sorted(projects, key=lambda p: (p[key[order["field"]]], p["number"]),
                         reverse=order["direction"] == "DESC")
        return _connection(ordered, lambda p: _project_obj(c, org, p), first, after)

    def project(number):
        readable()
        for p in projects:
            if p["number"] == number:
                return _project_obj(c, org, p)
        _fail("NOT_FOUND", f"Could not resolve to a ProjectV2 with the number {number}.")

    return {"__typename": "Organization", "id": node("Organization", org["id"]), "databaseId": org["id"],
            "login": org["login"],
            "projectsV2": lambda info, **kw: project_list(**kw),
            "projectV2": lambda info, number: project(number)}


FIELD_TYPES = {"SINGLE_SELECT": "ProjectV2SingleSelectField", "ITERATION": "ProjectV2IterationField"}


def _field_obj(f: dict) -> dict:
    kind = FIELD_TYPES.get(f["dataType"], "ProjectV2Field")
    prefix = {"ProjectV2Field": "PVTF", "ProjectV2SingleSelectField": "PVTSSF", "ProjectV2IterationField": "PVTIF"}
    out = {"__typename": kind, "id": _nid(prefix[kind], f["id"]), "name": f["name"], "dataType": f["dataType"]}
    if kind == "ProjectV2SingleSelectField":
        out["options"] = [{"id": str(o["id"]), "name": o["name"], "color": o.get("color") or "GRAY",
                           "description": o.get("description") or ""} for o in f.get("options") or []]
    if kind == "ProjectV2IterationField":
        conf = f.get("configuration") or {}
        out["configuration"] = {
            "duration": conf.get("duration", 14), "startDay": conf.get("startDay", 1),
            "iterations": [{"id": str(i["id"]), "title": i["title"], "startDate": i["startDate"],
                            "duration": i.get("duration", conf.get("duration", 14))}
                           for i in conf.get("iterations") or []]}
    return out


def _project_obj(c: Ctx, org: dict, p: dict) -> dict:
    fields = p.get("fields") or []
    items = p.get("items") or []
    return {
        "id": _nid("ProjectV2", p["id"]), "number": p["number"], "title": p["title"],
        "shortDescription": p.get("shortDescription"), "readme": p.get("readme"),
        "public": bool(p.get("public")), "closed": bool(p.get("closed")),
        "url": f"{c.web}/orgs/{org['login']}/projects/{p['number']}",
        "createdAt": p["createdAt"], "updatedAt": p["updatedAt"], "creator": actor(p.get("creator")),
        "fields": lambda info, **kw: _connection(fields, _field_obj, kw.get("first"), kw.get("after")),
        "items": lambda info, **kw: _connection(items, lambda i: _item_obj(c, org, fields, i),
                                                kw.get("first"), kw.get("after")),
    }


def _item_obj(c: Ctx, org: dict, fields: list, item: dict) -> dict:
    content = _content_obj(c, org, item)
    title = (content or {}).get("title")
    values = {str(k): v for k, v in (item.get("values") or {}).items()}

    def value_obj(f):
        field_obj = _field_obj(f)
        if f["dataType"] == "TITLE":
            return {"__typename": "ProjectV2ItemFieldTextValue", "text": title, "field": field_obj}
        raw = values.get(str(f["id"]))
        if raw is None:
            return None
        kind = f["dataType"]
        if kind == "TEXT":
            return {"__typename": "ProjectV2ItemFieldTextValue", "text": raw, "field": field_obj}
        if kind == "NUMBER":
            return {"__typename": "ProjectV2ItemFieldNumberValue", "number": raw, "field": field_obj}
        if kind == "DATE":
            return {"__typename": "ProjectV2ItemFieldDateValue", "date": raw, "field": field_obj}
        if kind == "SINGLE_SELECT":
            option = next((o for o in f.get("options") or [] if str(o["id"]) == str(raw)), None)
            return {"__typename": "ProjectV2ItemFieldSingleSelectValue", "optionId": str(raw),
                    "name": option["name"] if option else None, "field": field_obj}
        if kind == "ITERATION":
            conf = f.get("configuration") or {}
            it = next((i for i in conf.get("iterations") or [] if str(i["id"]) == str(raw)), None)
            if not it:
                return None
            return {"__typename": "ProjectV2ItemFieldIterationValue", "iterationId": str(raw),
                    "title": it["title"], "startDate": it["startDate"],
                    "duration": it.get("duration", conf.get("duration", 14)), "field": field_obj}
        return None

    field_values = [v for v in (value_obj(f) for f in fields) if v is not None]
    return {
        "id": _nid("PVTI", item["id"]), "type": item["type"], "isArchived": bool(item.get("isArchived")),
        "createdAt": item["createdAt"], "updatedAt": item["updatedAt"], "content": content,
        "fieldValues": lambda info, **kw: _connection(field_values, lambda v: v, kw.get("first"), kw.get("after")),
    }


def _content_obj(c: Ctx, org: dict, item: dict):
    content = item.get("content") or {}
    if item["type"] == "DRAFT_ISSUE":
        return {"__typename": "DraftIssue", "id": _nid("DI", item["id"]), "title": content.get("title", ""),
                "body": content.get("body") or "", "creator": actor(content.get("creator")),
                "createdAt": item["createdAt"], "updatedAt": item["updatedAt"]}
    found = c.view.find_repo(content.get("owner") or org["login"], content.get("repo", ""))  # owner: another's
    if not found:
        return None
    login, rec = found
    issue = c.view.index[rec["id"]]["issues"].get(content.get("number"))
    if not issue:
        return None
    return _issue_obj(c, login, rec, issue, item["type"] == "PULL_REQUEST")


def _rulesets(c: Ctx, login: str, rec: dict, include_parents: bool) -> list:
    """The repository's own rulesets, then (includeParents) the organization's that apply (as REST's)."""
    found = list(rec["repo_rulesets"])
    if include_parents:
        org = c.view.find_org(login) or {}
        found += [r for r in org.get("rulesets", []) if ruleset_applies(r, rec["name"])]
    return found


def _ruleset_obj(c: Ctx, login: str, rec: dict, ruleset: dict) -> dict:
    """A ruleset with its source: the repository's own, or its organization's."""
    own = any(r["id"] == ruleset["id"] for r in rec["repo_rulesets"])
    if own:
        source = {"__typename": "Repository", "id": node("Repository", rec["id"]), "name": rec["name"]}
    else:
        org = c.view.find_org(login) or {}
        source = {"__typename": "Organization", "id": node("Organization", org.get("id", 0)), "login": login}
    return {"id": node("RepositoryRuleset", ruleset["id"]), "databaseId": ruleset["id"], "name": ruleset["name"],
            "source": source}


# GitHub's role names of the five repository roles (REST's role_name), and GraphQL's permission of each
_PERMISSION_ENUM = {"pull": "READ", "triage": "TRIAGE", "push": "WRITE", "maintain": "MAINTAIN", "admin": "ADMIN"}
_ROLE_NAME = {"pull": "read", "triage": "triage", "push": "write", "maintain": "maintain", "admin": "admin"}


def _collaborators(c: Ctx, login: str, rec: dict, affiliation=None, first=None, after=None) -> dict:
    """Repository.collaborators as REST's listing (rest_metadata.list_collaborators): push access
    needed (the emulator's admin token), refused to others as GitHub does (FORBIDDEN, null).
    A person with a custom role (`role_name` in the world) has its base permission and the
    role's name in permissionSources, as GitHub shows custom repository roles."""
    if not c.user or not c.user["admin"]:
        _fail("FORBIDDEN", "Must have push access to view repository collaborators.")
    people = rec["collaborators"]
    if affiliation == "OUTSIDE":
        outside = set((c.view.find_org(login) or {}).get("outside_collaborators") or [])
        people = [p for p in people if p["login"] in outside]
    page = _connection(people, lambda p: p, first, after)
    chosen = page.pop("nodes")

    def edge(person: dict, offset: int) -> dict:
        role = person.get("role_name") or _ROLE_NAME[person["permission"]]
        default = {"pull": "READ", "triage": "READ", "push": "WRITE", "maintain": "WRITE"}.get(person["permission"], "ADMIN")
        return {"cursor": _cursor(offset), "permission": _PERMISSION_ENUM[person["permission"]],
                "node": _user_obj(person["login"]),
                "permissionSources": [{"permission": default, "roleName": role}]}

    start = _offset(after)
    return dict(page, edges=[edge(p, start + i) for i, p in enumerate(chosen)],
                nodes=[_user_obj(p["login"]) for p in chosen])


def _user_obj(login: str) -> dict:
    return {"__typename": "User", "id": node("User", user_id(login)), "databaseId": user_id(login), "login": login}


def _item_state(issue: dict) -> str:
    if issue["pull"] and issue["pull"].get("merged_at"):
        return "MERGED"
    return issue["state"].upper()


def _issue_obj(c: Ctx, login: str, rec: dict, issue: dict, pull: bool) -> dict:
    full = f"{login}/{rec['name']}"
    return {"__typename": "PullRequest" if pull else "Issue",
            "id": node("PullRequest" if pull else "Issue", issue["id"]), "number": issue["number"],
            "title": issue["title"], "url": f"{c.web}/{full}/{'pull' if pull else 'issues'}/{issue['number']}",
            "createdAt": issue["created_at"], "updatedAt": issue["updated_at"],
            "repository": lambda info: _repo_obj(c, login, rec)}
