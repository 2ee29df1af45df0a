"""The GraphQL mutations the emulator serves (what restore-to-github sends): discussions made,
commented, answered, labelled, closed and locked, and discussions turned on (`updateRepository`).

GitHub's rules, as far as the restore meets them:
- only a token with admin rights writes (the admin token, installation tokens); others get FORBIDDEN;
- categories cannot be created through the API: they pre-exist; a repository whose discussions are
  turned on for the first time gets GitHub's six default categories (`DEFAULT_CATEGORIES`);
- a discussion takes the next number of the repository's one issue/discussion sequence
  (`builder.next_number`); a discussion needs discussions on and a category of its repository;
- labels are added by node id, each a label of the labelled discussion's repository; one it has
  already is kept once (sending the same labels again changes nothing);
- a reply is to a top-level comment of the same discussion; only a comment of a discussion in an
  answerable category can be its answer (and no reply);
- an archived repository takes no writes.
Each mutation changes world.json under the writers' lock (`mutate.write_world`, as the REST
writes) and answers from the saved world. Errors come in GitHub's shape: `data.<mutation>: null`
and an error with `type`, `path` and `message` (graphql_api.execute formats them). The
content-creation limit is the handler's (handler_rest.py), as for REST writes.
"""
from __future__ import annotations

from .builder import iso
from .graphql_objects import Ctx, _discussion_obj, _fail, _nid, _repo_obj, actor
from .mutate import write_world
from .rest import View, node

# GitHub's default categories of a repository whose discussions are turned on
DEFAULT_CATEGORIES = (
    ("Announcements", "announcements", ":mega:", "Updates from maintainers", False),
    ("General", "general", ":speech_balloon:", "Chat about anything and everything here", False),
    ("Ideas", "ideas", ":bulb:", "Share ideas for new projects", False),
    ("Polls", "polls", ":ballot_box:", "Take a vote from the community", False),
    ("Q&A", "q-a", ":pray:", "Ask the community for help", True),
    ("Show and tell", "show-and-tell", ":raised_hands:", "Show off something you've made", False),
)


def mutation_root(c: Ctx) -> dict:
    """The Mutation type's fields, for graphql_api.execute's root value."""
    return {
        "createDiscussion": lambda info, input: create_discussion(c, input),
        "addDiscussionComment": lambda info, input: add_discussion_comment(c, input),
        "markDiscussionCommentAsAnswer": lambda info, input: mark_answer(c, input),
        "closeDiscussion": lambda info, input: close_discussion(c, input),
        "lockLockable": lambda info, input: lock_lockable(c, input),
        "addLabelsToLabelable": lambda info, input: add_labels(c, input),
        "updateRepository": lambda info, input: update_repository(c, input),
    }


def _allowed(c: Ctx, mutation: str) -> None:
    if not c.user or not c.user.get("admin"):
        login = (c.user or {}).get("login", "anonymous")
        _fail("FORBIDDEN", f"{login} does not have the correct permissions to execute `{mutation}`")


def _not_found(node_id) -> None:
    _fail("NOT_FOUND", f"Could not resolve to a node with the global id of '{node_id}'")


def _repo_by_id(world: dict, node_id: str):
    for login, org in world["orgs"].items():
        for rec in org["repos"].values():
            if node("Repository", rec["id"]) == node_id:
                return login, rec
    _not_found(node_id)


def _discussion_by_id(world: dict, node_id: str):
    for login, org in world["orgs"].items():
        for rec in org["repos"].values():
            for d in rec.get("discussions") or []:
                if _nid("Discussion", d["id"]) == node_id:
                    return login, rec, d
    _not_found(node_id)


def _comment_by_id(world: dict, node_id: str):
    """(login, repository, discussion, comment, the comment it replies to or None)."""
    for login, org in world["orgs"].items():
        for rec in org["repos"].values():
            for d in rec.get("discussions") or []:
                for x in d.get("comments") or []:
                    if _nid("DiscussionComment", x["id"]) == node_id:
                        return login, rec, d, x, None
                    for r in x.get("replies") or []:
                        if _nid("DiscussionComment", r["id"]) == node_id:
                            return login, rec, d, r, x
    _not_found(node_id)


def _writable(rec: dict) -> None:
    if rec.get("archived"):
        _fail("UNPROCESSABLE", "Repository was archived so is read-only.")


def _write(c: Ctx, change):
    """change(builder) under the writers' lock; c.view becomes the saved world."""
    result, world = write_world(c.root, change, lazy_truth=True)
    c.view = View(world)
    return result


def _answer_discussion(c: Ctx, login: str, name: str, number: int) -> dict:
    found = c.view.find_repo(login, name)
    rec = found[1]
    categories = {cat["slug"]: cat for cat in rec.get("discussion_categories") or []}
    labels = {label["name"]: label for label in rec.get("labels") or []}
    d = next(x for x in rec["discussions"] if x["number"] == number)
    return _discussion_obj(c, f"{login}/{rec['name']}", d, categories, labels)


def _payload(input: dict, **fields) -> dict:
    return dict(fields, clientMutationId=input.get("clientMutationId"))


def create_discussion(c: Ctx, input: dict) -> dict:
    _allowed(c, "CreateDiscussion")
    title, body = input["title"], input["body"]
    if not title.strip():
        _fail("UNPROCESSABLE", "Title can't be blank")

    def change(b):
        login, rec = _repo_by_id(b.world, input["repositoryId"])
        _writable(rec)
        if not (rec.get("settings") or {}).get("has_discussions"):
            _fail("UNPROCESSABLE", "Discussions are disabled for this repository.")
        category = next((cat for cat in rec.get("discussion_categories") or []
                         if _nid("DiscussionCategory", cat["id"]) == input["categoryId"]), None)
        if category is None:
            _not_found(input["categoryId"])
        rec.setdefault("discussions", [])
        made = b.discussion(rec, title, body, c.user["login"], category["slug"])
        return login, rec["name"], made["number"]
    login, name, number = _write(c, change)
    return _payload(input, discussion=_answer_discussion(c, login, name, number))


def add_discussion_comment(c: Ctx, input: dict) -> dict:
    _allowed(c, "AddDiscussionComment")
    if not input["body"].strip():
        _fail("UNPROCESSABLE", "Body can't be blank")

    def change(b):
        login, rec, d = _discussion_by_id(b.world, input["discussionId"])
        _writable(rec)
        parent = None
        if input.get("replyToId"):
            _, _, parent_discussion, parent, grand = _comment_by_id(b.world, input["replyToId"])
            if parent_discussion is not d:
                _fail("UNPROCESSABLE", "The comment replied to is not in this discussion.")
            if grand is not None:
                _fail("UNPROCESSABLE", "A reply cannot be replied to: reply to its top-level comment.")
        made = b.discussion_comment(d, input["body"], c.user["login"], reply_to=parent)
        return login, rec["name"], d["number"], made["id"], parent["id"] if parent else None
    login, name, number, made_id, parent_id = _write(c, change)
    found = _answer_discussion(c, login, name, number)
    rec = c.view.find_repo(login, name)[1]
    d = next(x for x in rec["discussions"] if x["number"] == number)
    if parent_id is None:
        raw = next(x for x in d["comments"] if x["id"] == made_id)
        return _payload(input, comment=found["_comment"](raw))
    parent = next(x for x in d["comments"] if x["id"] == parent_id)
    raw = next(x for x in parent["replies"] if x["id"] == made_id)
    return _payload(input, comment=found["_comment"](raw, parent))


def mark_answer(c: Ctx, input: dict) -> dict:
    _allowed(c, "MarkDiscussionCommentAsAnswer")

    def change(b):
        login, rec, d, comment, parent = _comment_by_id(b.world, input["id"])
        _writable(rec)
        category = next((cat for cat in rec.get("discussion_categories") or [] if cat["slug"] == d["category"]), {})
        if not category.get("isAnswerable"):
            _fail("UNPROCESSABLE", f"The discussion's category {category.get('name', d['category'])!r} "
                                   "does not take answers.")
        if parent is not None:
            _fail("UNPROCESSABLE", "A reply cannot be marked as the answer.")
        now = iso(b.tick())
        d.update(answer=comment["id"], answerChosenAt=now, answerChosenBy=c.user["login"], updatedAt=now)
        return login, rec["name"], d["number"]
    login, name, number = _write(c, change)
    return _payload(input, discussion=_answer_discussion(c, login, name, number))


def _change_discussion(c: Ctx, node_id: str, change_record) -> dict:
    """change_record(builder, discussion) on the discussion of that node id; the discussion after it."""
    def change(b):
        login, rec, d = _discussion_by_id(b.world, node_id)
        _writable(rec)
        change_record(b, d)
        return login, rec["name"], d["number"]
    return _answer_discussion(c, *_write(c, change))


def close_discussion(c: Ctx, input: dict) -> dict:
    _allowed(c, "CloseDiscussion")

    def close(b, d):
        now = iso(b.tick())
        d.update(closed=True, closedAt=d.get("closedAt") or now, updatedAt=now,
                 stateReason=input.get("reason") or "RESOLVED")
    return _payload(input, discussion=_change_discussion(c, input["discussionId"], close))


def lock_lockable(c: Ctx, input: dict) -> dict:
    """Only discussions are lockable here (GitHub: issues and pull requests too)."""
    _allowed(c, "LockLockable")
    found = _change_discussion(c, input["lockableId"],
                               lambda b, d: d.update(locked=True, activeLockReason=input.get("lockReason")))
    return _payload(input, lockedRecord=dict(found, __typename="Discussion"), actor=actor(c.user["login"]))


def _label_by_id(world: dict, node_id: str):
    """(repository, label) of a label's node id."""
    for org in world["orgs"].values():
        for rec in org["repos"].values():
            for label in rec.get("labels") or []:
                if _nid("Label", label["id"]) == node_id:
                    return rec, label
    _not_found(node_id)


def add_labels(c: Ctx, input: dict) -> dict:
    """Only discussions are labelable here (GitHub: issues and pull requests too)."""
    _allowed(c, "AddLabelsToLabelable")

    def label(b, d):
        rec = _discussion_by_id(b.world, input["labelableId"])[1]
        for node_id in input["labelIds"]:
            owner, found = _label_by_id(b.world, node_id)
            if owner is not rec:
                _fail("UNPROCESSABLE", f"The label {found['name']!r} is not a label of the labelable's repository.")
            if found["name"] not in d.setdefault("labels", []):
                d["labels"].append(found["name"])
        d["updatedAt"] = iso(b.tick())
    found = _change_discussion(c, input["labelableId"], label)
    return _payload(input, labelable=dict(found, __typename="Discussion"))


def update_repository(c: Ctx, input: dict) -> dict:
    """hasDiscussionsEnabled (the first time: GitHub's default categories), description,
    hasIssuesEnabled, hasWikiEnabled, hasProjectsEnabled; other fields are taken and not kept."""
    _allowed(c, "UpdateRepository")

    def change(b):
        login, rec = _repo_by_id(b.world, input["repositoryId"])
        _writable(rec)
        if input.get("hasDiscussionsEnabled") is not None:
            rec.setdefault("settings", {})["has_discussions"] = bool(input["hasDiscussionsEnabled"])
            if input["hasDiscussionsEnabled"] and not rec.get("discussion_categories"):
                rec["discussion_categories"] = [
                    {"id": f"DIC_{b.new_id()}", "name": name, "slug": slug, "emoji": emoji,
                     "description": text, "isAnswerable": answerable}
                    for name, slug, emoji, text, answerable in DEFAULT_CATEGORIES]
        for field, key in (("hasIssuesEnabled", "has_issues"), ("hasWikiEnabled", "has_wiki"),
                           ("hasProjectsEnabled", "has_projects")):
            if input.get(field) is not None:
                rec[key] = bool(input[field])
        if input.get("description") is not None:
            rec["description"] = input["description"]
        rec["updated_at"] = iso(b.tick())
        return login, rec["name"]
    login, name = _write(c, change)
    return _payload(input, repository=_repo_obj(c, *c.view.find_repo(login, name)))

