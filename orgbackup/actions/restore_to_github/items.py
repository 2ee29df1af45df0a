"""Issues and pull requests of one repository, in number order, with their comments,
reviews and review comments (a mixin of RepositoryRestore: it uses its writer, state and keys).

A pull request becomes one again when GitHub accepts it (one whose commits are all in its base,
a merged one, against a temporary base: merged_pulls.py; a closed one whose head branch is gone, from
a temporary head: deleted_heads.py), else an issue that says why; a gap in the
numbers is a closed placeholder; every body starts with the provenance header. An item is closed
after its comments and reviews, as it was (and a pull request takes reviews while it is open)."""

from __future__ import annotations

import logging

from orgbackup.actions.restore_to_github import bodies
from orgbackup.actions.restore_to_github.deleted_heads import TemporaryHeadSteps, head_in_own_repository
from orgbackup.actions.restore_to_github.merged_pulls import is_merged, merged_note
from orgbackup.actions.restore_to_github.source import Item
from orgbackup.actions.restore_to_github.writer import WriteRefused

log = logging.getLogger(__name__)


def pull_fields(item: Item, milestones: dict) -> dict:
    """What POST /pulls cannot set: labels, milestone, assignees (a PATCH of the issue)."""
    body = {}
    labels = [label["name"] for label in item.data.get("labels") or []]
    if labels:
        body["labels"] = labels
    number = (item.data.get("milestone") or {}).get("number")
    if number:
        body["milestone"] = milestones.get(number, number)
    assignees = [a["login"] for a in item.data.get("assignees") or [] if a.get("login")]
    if assignees:
        body["assignees"] = assignees
    return body


def review_comment_body(comment: dict, text: str) -> dict | None:
    """POST .../pulls/{n}/comments's body for a review comment of the backup (not a reply), or None
    when the backup lacks what it requires (commit_id, path). Where the comment is: line and side
    (start_line, start_side for several lines); an outdated one (line null) at its original line
    on its original commit; a comment on the file as subject_type file; the deprecated position
    only when nothing else says where."""
    commit, path = comment.get("commit_id"), comment.get("path")
    body = {"body": text, "commit_id": commit, "path": path}
    if comment.get("subject_type") == "file":
        body["subject_type"] = "file"
    elif comment.get("line") is not None:
        body.update({k: comment[k] for k in ("line", "side", "start_line", "start_side") if comment.get(k) is not None})
    elif comment.get("original_line") is not None:
        body["commit_id"] = comment.get("original_commit_id") or commit
        body["line"] = comment["original_line"]
        if comment.get("original_start_line") is not None:
            body["start_line"] = comment["original_start_line"]
        body.update({k: comment[k] for k in ("side", "start_side") if comment.get(k) is not None})
    elif comment.get("position") is not None:
        body["position"] = comment["position"]
    if body.get("start_line") is not None and body.get("start_line") == body.get("line"):
        body.pop("start_line")
        body.pop("start_side", None)
    if not body["commit_id"] or not body["path"]:
        return None
    return body


def find_marked(listing: list, kind: str, original_id) -> dict | None:
    mark = bodies.marker(kind, original_id)
    return next((x for x in listing if (x.get("body") or "").startswith(mark)), None)


class IssueSteps(TemporaryHeadSteps):
    def restore_item(self, item: Item) -> None:
        try:
            made = self.create_item(item)
        except WriteRefused as exc:
            self.problem(f"#{item.number} not created: {exc}")
            self.remove_temporary_branches(item)
            return
        if made.get("number") != item.number and not self.numbers_differ:
            self.numbers_differ = True
            self.problem(f"numbers no longer match from #{item.number} on (GitHub gave #{made.get('number')}): "
                         "something else created an issue in the repository during the restore")
        number = made.get("number")
        as_pull = made.get("as") == "pull"
        for comment in item.comments:
            self.restore_comment(number, "issue-comment", comment, bodies.login_of(comment), "commented")
        for review in item.reviews:
            self.restore_review(number, review, as_pull)
        replies: dict[int, int] = {}
        for comment in item.review_comments:
            self.restore_review_comment(number, comment, as_pull, replies)
        self.close_item(item, number, as_pull)
        self.remove_temporary_branches(item)

    def item_body(self, item: Item, notes: list[str]) -> str:
        data = item.data
        what = "opened the pull request" if item.kind == "pull" else "opened the issue"
        header = f"*@{bodies.login_of(data)} {what} #{item.number} on {bodies.when(data.get('created_at'))} " \
                 f"(restored from a backup of {self.source.org}/{self.name})*"
        if item.kind == "pull":
            notes = merged_note(data) + notes
        notes = notes + bodies.attachment_notes(data.get("body"), self.source.attachments)
        return bodies.with_header(item.kind, data.get("id"), header, data.get("body"), notes)

    def issue_body(self, item: Item, body: str) -> dict:
        out = {"title": item.data.get("title") or f"#{item.number}", "body": body}
        out.update(pull_fields(item, self.milestones))
        return out

    def pull_reason(self, item: Item) -> str | None:
        """Why pull request `item` cannot be one again (None: try)."""
        data = item.data
        head, base = data.get("head") or {}, data.get("base") or {}
        if not head_in_own_repository(data):
            return f"its head {head.get('label') or '?'} was in another repository"
        if f"refs/heads/{base.get('ref')}" not in self.repo.refs:
            return f"its base branch {base.get('ref')!r} is not in the backup"
        if f"refs/heads/{head.get('ref')}" not in self.repo.refs and self.head_commit(item) is None:
            return f"its head branch {head.get('ref')!r} is not in the backup" + (
                f", nor its head commit {head.get('sha') or '?'}" if data.get("state") == "closed" else "")
        return None

    def open_pull(self, item: Item) -> tuple[dict | None, str]:
        """POST /pulls of `item` (from a temporary head when its head branch is gone, against a temporary
        base when GitHub finds no commits between its base and head); else None and why not."""
        try:
            head, notes = self.pull_head(item)
        except WriteRefused as exc:
            if exc.status != 422:
                raise
            return None, f"its head {item.data['head'].get('sha')} could not be made a branch again ({exc.message})"
        pull = {"title": item.data.get("title") or f"#{item.number}", "body": self.item_body(item, notes),
                "head": head, "base": item.data["base"]["ref"], "draft": bool(item.data.get("draft"))}
        try:
            return self.write_dropping("POST", f"{self.path}/pulls", pull, ("draft",), what=f"pull #{item.number}"), ""
        except WriteRefused as exc:
            if exc.status != 422:
                raise
            return self.open_with_no_commits(item, pull, exc, notes)

    def create_item(self, item: Item) -> dict:
        key = self.key("item", item.number)
        path = f"{self.path}/issues"

        def find():
            found = self.w.read(f"{path}/{item.number}")
            # Only what this restore made (its marker): a number someone else took is no adoption.
            return found if found and (found.get("body") or "").startswith(bodies.MARKER) else None

        def summary(r):
            return {"number": r.get("number"), "id": r.get("id"), "as": "pull" if r.get("pull_request") or
                    r.get("head") else "issue"}

        if item.kind == "gap":
            body = {"title": bodies.PLACEHOLDER_TITLE.format(number=item.number),
                    "body": bodies.with_header("placeholder", f"{self.name}#{item.number}",
                                               f"*#{item.number} of {self.source.org}/{self.name} is not in the "
                                               "backup (deleted, transferred, or a discussion)*", None),
                    "labels": [bodies.PLACEHOLDER_LABEL]}
            made = self.w.create_once("item", key, lambda: self.w.write("POST", path, body, what=f"#{item.number}",
                                                                        idempotent=False), find, summary=summary)
            self.count("placeholders")
            return made

        def create():
            reason = self.pull_reason(item) if item.kind == "pull" else None
            if item.kind == "pull" and reason is None:
                made, reason = self.open_pull(item)
                if made is not None:
                    return made
            notes = [f"*This was a pull request ({item.data.get('head', {}).get('label', '?')} into "
                     f"{item.data.get('base', {}).get('ref', '?')}) that could not be opened again: {reason}*"] \
                if item.kind == "pull" else []
            return self.write_dropping("POST", path, self.issue_body(item, self.item_body(item, notes)),
                                       ("assignees",), what=f"issue #{item.number}")

        made = self.w.create_once("item", key, create, find, summary=summary)
        self.count("pulls" if made.get("as") == "pull" else "issues")
        if made.get("as") == "pull" and is_merged(item.data):
            self.count("merged pulls")
        if made.get("as") == "pull" and pull_fields(item, self.milestones) and \
                self.state.done_target("pull-fields", key) is None:
            self.write_dropping("PATCH", f"{path}/{made['number']}", pull_fields(item, self.milestones),
                                ("assignees",), what=f"labels of #{item.number}")
            self.state.mark_done("pull-fields", key)
        return made

    def write_dropping(self, method: str, path: str, body: dict, optional: tuple[str, ...], *, what: str):
        """A create that GitHub may refuse (422) for an optional field alone: a draft pull request on a
        plan without drafts, an assignee who cannot be assigned; then sent again without them."""
        try:
            return self.w.write(method, path, body, what=what, idempotent=method != "POST")
        except WriteRefused as exc:
            dropped = [key for key in optional if body.get(key)]
            if exc.status != 422 or not dropped:
                raise
            log.info("%s/%s: %s without %s (%s)", self.target.org, self.name, what, ", ".join(dropped), exc.message)
            return self.w.write(method, path, {k: v for k, v in body.items() if k not in dropped}, what=what,
                                idempotent=method != "POST")

    def close_item(self, item: Item, number: int, as_pull: bool) -> None:
        closed = item.kind == "gap" or item.data.get("state") == "closed"
        key = self.key("item", item.number)
        if not closed or self.state.done_target("closed", key) is not None:
            return
        if as_pull:
            self.w.write("PATCH", f"{self.path}/pulls/{number}", {"state": "closed"}, what=f"close #{number}")
        else:
            reason = "not_planned" if item.kind == "gap" else (item.data.get("state_reason") or "completed")
            if reason not in ("completed", "not_planned"):
                reason = "completed"
            self.w.write("PATCH", f"{self.path}/issues/{number}", {"state": "closed", "state_reason": reason},
                         what=f"close #{number}")
        self.state.mark_done("closed", key)

    def comment_body(self, kind: str, comment: dict, verb: str, notes: list[str] = ()) -> str:
        header = f"*@{bodies.login_of(comment)} {verb} on " \
                 f"{bodies.when(comment.get('created_at') or comment.get('submitted_at'))}*"
        notes = list(notes) + bodies.attachment_notes(comment.get("body"), self.source.attachments)
        return bodies.with_header(kind, comment.get("id"), header, comment.get("body"), notes)

    def restore_comment(self, number: int, kind: str, comment: dict, author: str, verb: str,
                        notes: list[str] = ()) -> None:
        path = f"{self.path}/issues/{number}/comments"
        body = {"body": self.comment_body(kind, comment, verb, notes)}
        try:
            self.w.create_once(
                kind, self.key(kind, comment.get("id")),
                lambda: self.w.write("POST", path, body, what=f"comment on #{number}", idempotent=False),
                lambda: find_marked(self.w.read_all(path), kind, comment.get("id")),
                summary=lambda r: {"id": r.get("id")})
            self.count("comments")
        except WriteRefused as exc:
            self.problem(f"a comment of @{author} on #{number} not created: {exc}")

    def restore_review(self, number: int, review: dict, as_pull: bool) -> None:
        state = (review.get("state") or "COMMENTED").lower().replace("_", " ")
        verb = f"reviewed ({state})"
        if not as_pull:
            self.restore_comment(number, "review", review, bodies.login_of(review), verb)
            return
        path = f"{self.path}/pulls/{number}/reviews"
        # COMMENT, whatever the original state: GitHub lets no one approve their own pull request,
        # and the restore's token opened them all; the header says what the review was.
        body = {"event": "COMMENT", "body": self.comment_body("review", review, verb)}
        try:
            self.w.create_once(
                "review", self.key("review", review.get("id")),
                lambda: self.w.write("POST", path, body, what=f"review on #{number}", idempotent=False),
                lambda: find_marked(self.w.read_all(path), "review", review.get("id")),
                summary=lambda r: {"id": r.get("id")})
            self.count("reviews")
        except WriteRefused as exc:
            self.problem(f"a review of @{bodies.login_of(review)} on #{number} not created: {exc}")

    def restore_review_comment(self, number: int, comment: dict, as_pull: bool, replies: dict) -> None:
        where = f"{comment.get('path')}" + (f" line {comment['line']}" if comment.get("line") else "")
        verb = f"commented on {where}"
        if not as_pull:
            self.restore_comment(number, "review-comment", comment, bodies.login_of(comment), verb)
            return
        path = f"{self.path}/pulls/{number}/comments"
        text = self.comment_body("review-comment", comment, verb)
        reply_to = replies.get(comment.get("in_reply_to_id"))
        if reply_to:
            # A reply: its own operation, which takes the body alone (the thread gives the rest).
            url, body = f"{path}/{reply_to}/replies", {"body": text}
        else:
            url, body = path, review_comment_body(comment, text)

        def create():
            try:
                if body is None:
                    raise WriteRefused(422, "the backup has no commit or path for it")
                return self.w.write("POST", url, body, what=f"review comment on #{number}", idempotent=False)
            except WriteRefused as exc:
                if exc.status != 422:
                    raise
                # Its commit or line is not in the restored history: kept as a conversation comment.
                note = f"*(a review comment on {where} that GitHub did not take back: {exc.message})*"
                return self.w.write("POST", f"{self.path}/issues/{number}/comments",
                                    {"body": self.comment_body("review-comment", comment, verb, [note])},
                                    what=f"comment on #{number}", idempotent=False)

        def find():
            return (find_marked(self.w.read_all(path), "review-comment", comment.get("id"))
                    or find_marked(self.w.read_all(f"{self.path}/issues/{number}/comments"), "review-comment",
                                   comment.get("id")))
        try:
            made = self.w.create_once("review-comment", self.key("review-comment", comment.get("id")), create, find,
                                      summary=lambda r: {"id": r.get("id"), "review": bool(r.get("path"))})
            if made.get("review"):
                replies[comment.get("id")] = made["id"]
            self.count("review comments")
        except WriteRefused as exc:
            self.problem(f"a review comment of @{bodies.login_of(comment)} on #{number} not created: {exc}")
