"""Discussions of one repository made again (a mixin of RepositoryRestore: it uses its writer,
state and keys), through GraphQL: GitHub has no REST operation that makes a discussion.

- Discussions are turned on where the backup has discussions or the original had them on
  (`updateRepository`), and the target's categories read: GitHub's API cannot create a category,
  so each discussion goes into the target's category of the same name (case-insensitive; the slug
  when no name matches). A discussion whose category the target lacks is not created: the report
  names the category and how many wait for it (a person makes it, then the same command goes on).
- Numbers: discussions share the issue sequence, and the restore cannot choose a number. A
  discussion whose number is a gap among the issues is made at that point of the sequence (so it
  keeps its number in a repository restored from scratch), the others after the last issue; the
  state keeps original number -> created number and node id either way.
- Each discussion's comments in order, each reply under its comment, the answer marked, its labels
  added (`addLabelsToLabelable`; found by name among the target repository's labels, which the
  labels step made before), then closed and locked as the backup has them; every body starts
  with the provenance header (bodies.py) whose marker finds a create a kill left unrecorded.
"""

from __future__ import annotations

import logging
from collections import Counter

from orgbackup import words
from orgbackup.github.api import GitHubError
from orgbackup.github.pages import graphql_nodes
from orgbackup.actions.restore_to_github import bodies
from orgbackup.actions.restore_to_github.discussion_queries import (ADD_COMMENT, ADD_LABELS, CLOSE_DISCUSSION,
                                                                    CREATE_DISCUSSION, FIND_COMMENTS, FIND_DISCUSSIONS,
                                                                    LOCK_DISCUSSION, MARK_ANSWER, SET_DISCUSSIONS,
                                                                    TARGET_QUERY)
from orgbackup.actions.restore_to_github.writer import WriteRefused

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ pure builders


def category_for(category: dict | None, target: list[dict]) -> dict | None:
    """The target's category for a discussion's category in the backup: the same name (case
    insensitive), else the same slug; None when the target has neither."""
    category = category or {}
    name, slug = (category.get("name") or "").lower(), (category.get("slug") or "").lower()
    by_name = next((c for c in target if name and (c.get("name") or "").lower() == name), None)
    return by_name or next((c for c in target if slug and (c.get("slug") or "").lower() == slug), None)


def author_of(record: dict) -> str:
    """The login a backed-up discussion, comment or reply names (a string there), or ghost."""
    author = record.get("author")
    return (author.get("login") if isinstance(author, dict) else author) or "ghost"


def discussion_header(record: dict, source_org: str, name: str) -> str:
    category = (record.get("category") or {}).get("name") or "?"
    return (f"*@{author_of(record)} started discussion #{record.get('number')} in {category} on "
            f"{bodies.when(record.get('createdAt'))} (restored from a backup of {source_org}/{name})*")


def comment_header(record: dict, reply: bool) -> str:
    return f"*@{author_of(record)} {'replied' if reply else 'commented'} on {bodies.when(record.get('createdAt'))}*"


def planned_discussion_writes(discussions: list[dict], settings: dict) -> Counter:
    """The writes the restore of these discussions makes at most (the dry run's counts)."""
    comments = [c for d in discussions for c in d.get("comments") or []]
    count = Counter(
        discussion_settings=int(bool(discussions) or bool(settings.get("has_discussions"))),
        discussions=len(discussions), discussion_comments=len(comments),
        discussion_replies=sum(len(c.get("replies") or []) for c in comments),
        answers=sum(1 for d in discussions if d.get("answer")),
        discussion_labels=sum(1 for d in discussions if d.get("labels")),
        discussion_closings=sum(1 for d in discussions if d.get("closed")),
        discussion_locks=sum(1 for d in discussions if d.get("locked")))
    return +count


def label_ids(names: list, target_labels: list[dict]) -> tuple[list[str], list[str]]:
    """(node ids of the target's labels of these names, case-insensitive; the names it lacks)."""
    by_name = {(label.get("name") or "").lower(): label.get("node_id") for label in target_labels}
    found = [by_name[name.lower()] for name in names if by_name.get(name.lower())]
    return found, [name for name in names if not by_name.get(name.lower())]


def answer_id(record: dict) -> str | None:
    """The backed-up id of the comment that is the discussion's answer."""
    answer = (record.get("answer") or {}).get("id")
    return answer or next((c.get("id") for c in record.get("comments") or [] if c.get("isAnswer")), None)


def find_marked_node(nodes: list[dict], kind: str, original_id) -> dict | None:
    mark = bodies.marker(kind, original_id)
    return next((n for n in nodes if n and (n.get("body") or "").startswith(mark)), None)


# ------------------------------------------------------------------ the steps


class TargetDiscussions:
    """What the restore knows of the target repository's discussions during one run."""

    def __init__(self, node_id: str, categories: list[dict]):
        self.node_id, self.categories = node_id, categories
        self.tried: set[int] = set()          # original numbers handled this run
        self.waiting: Counter = Counter()     # category name -> discussions not created for want of it
        self.renumbered: list[tuple[int, int]] = []
        self.labels: list[dict] | None = None  # the repository's labels (REST), read once when needed


class DiscussionSteps:
    discussions_target: TargetDiscussions | None = None
    discussions_unavailable = False

    def discussions_by_number(self) -> dict[int, dict]:
        return {d["number"]: d for d in self.repo.discussions if isinstance(d.get("number"), int)}

    def discussion_target(self) -> TargetDiscussions | None:
        """The target's discussions, turned on when they are off (once a run); None (a problem
        said) when GitHub does not answer."""
        if self.discussions_target is not None or self.discussions_unavailable:
            return self.discussions_target
        try:
            found = self.w.api.graphql(TARGET_QUERY, {"o": self.target.org, "n": self.name})["repository"]
            if not found["hasDiscussionsEnabled"]:
                self.w.graphql(SET_DISCUSSIONS, {"id": found["id"], "on": True}, what=f"discussions on in {self.name}")
                self.outcome.created["discussion settings"] += 1
                found = self.w.api.graphql(TARGET_QUERY, {"o": self.target.org, "n": self.name})["repository"]
        except (GitHubError, WriteRefused, KeyError, TypeError) as exc:
            if getattr(exc, "rate_limited", False):
                raise  # a stop while waiting for the budget, or a budget spent for longer than the wait allows
            self.discussions_unavailable = True
            self.problem(f"discussions not restored: discussions could not be turned on or read ({exc})")
            return None
        categories = [c for c in (found.get("discussionCategories") or {}).get("nodes") or [] if c]
        self.discussions_target = TargetDiscussions(found["id"], categories)
        return self.discussions_target

    def restore_discussion_at(self, number: int) -> bool:
        """The discussion numbered `number` in the backup, made at this point of the number sequence
        (an issue gap); True when the target has it now (no placeholder is needed there)."""
        record = self.discussions_by_number().get(number)
        return record is not None and self.restore_discussion(record)

    def restore_discussions(self) -> None:
        """The discussions not made in the issues' gaps, in number order; then what waits for a person."""
        if not self.repo.discussions and not self.repo.settings.get("has_discussions"):
            return
        target = self.discussion_target()
        if target is None:
            return
        for number, record in sorted(self.discussions_by_number().items()):
            if number not in target.tried:
                self.restore_discussion(record)
        for category, n in sorted(target.waiting.items()):
            self.problem(f"{words.counted(n, 'discussions')} in category {category!r} not created: "
                         f"{self.target.org}/{self.name} has no such category and GitHub's API cannot make one; "
                         f"add it (Discussions, edit categories) and run the same command again")
        if target.renumbered:
            self.notice("discussions share the issues' numbers and GitHub chose these: " + ", ".join(
                f"#{old} is #{new}" for old, new in target.renumbered))
        if self.repo.settings.get("has_discussions") is False:  # off in the original: off again
            try:
                self.w.graphql(SET_DISCUSSIONS, {"id": target.node_id, "on": False}, what=f"discussions off in {self.name}")
            except WriteRefused as exc:
                self.problem(f"discussions not turned off again as in the original: {exc}")

    def restore_discussion(self, record: dict) -> bool:
        target = self.discussion_target()
        if target is None:
            return False
        number = record["number"]
        target.tried.add(number)
        category = category_for(record.get("category"), target.categories)
        if category is None:
            target.waiting[(record.get("category") or {}).get("name") or "?"] += 1
            return False
        body = bodies.with_header("discussion", record.get("id"), discussion_header(record, self.source.org, self.name),
                                  record.get("body"), bodies.attachment_notes(record.get("body"), self.source.attachments))
        variables = {"repositoryId": target.node_id, "categoryId": category["id"],
                     "title": record.get("title") or f"Discussion #{number}", "body": body}

        def create():
            return self.w.graphql(CREATE_DISCUSSION, variables, what=f"discussion #{number}")["createDiscussion"]["discussion"]
        try:
            made = self.w.create_once("discussion", self.key("discussion", number), create,
                                      lambda: self.find_discussion(record.get("id")),
                                      summary=lambda r: {"number": r.get("number"), "id": r.get("id")})
        except WriteRefused as exc:
            self.problem(f"discussion #{number} not created: {exc}")
            return False
        self.count("discussions")
        if made.get("number") != number and self.w.fresh:
            target.renumbered.append((number, made.get("number")))
        self.restore_discussion_comments(record, made)
        self.discussion_labels(record, made, target)
        if record.get("closed"):
            self.discussion_once("closed", record, CLOSE_DISCUSSION, {"id": made["id"]}, "discussion closings")
        if record.get("locked"):
            self.discussion_once("locked", record, LOCK_DISCUSSION, {"id": made["id"]}, "discussion locks")
        return True

    def restore_discussion_comments(self, record: dict, made: dict) -> dict:
        created: dict = {}  # original comment id -> created node id
        for comment in record.get("comments") or []:
            parent = self.discussion_comment(made, comment, None)
            if parent is None:
                continue
            created[comment.get("id")] = parent
            for reply in comment.get("replies") or []:
                self.discussion_comment(made, reply, parent)
        self.discussion_answer(record, created)
        return created

    def discussion_comment(self, made: dict, comment: dict, parent: str | None) -> str | None:
        """One comment (parent None) or reply of a created discussion; its created node id, None if refused."""
        kind = "discussion-reply" if parent else "discussion-comment"
        body = bodies.with_header(kind, comment.get("id"), comment_header(comment, bool(parent)), comment.get("body"),
                                  bodies.attachment_notes(comment.get("body"), self.source.attachments))
        variables = {"discussionId": made["id"], "body": body, "replyToId": parent}

        def create():
            return self.w.graphql(ADD_COMMENT, variables, what=f"comment on discussion #{made.get('number')}")[
                "addDiscussionComment"]["comment"]
        try:
            done = self.w.create_once(kind, self.key(kind, comment.get("id")), create,
                                      lambda: self.find_comment(made.get("number"), kind, comment.get("id")),
                                      summary=lambda r: {"id": r.get("id")})
        except WriteRefused as exc:
            self.problem(f"a {'reply' if parent else 'comment'} of @{author_of(comment)} on discussion "
                         f"#{made.get('number')} not created: {exc}")
            return None
        self.count("discussion replies" if parent else "discussion comments")
        return done.get("id")

    def discussion_answer(self, record: dict, created: dict) -> None:
        original = answer_id(record)
        if original is None:
            return
        if created.get(original) is None:
            self.problem(f"discussion #{record['number']}: its answer was not restored (the comment is missing)")
            return
        self.discussion_once("answer", record, MARK_ANSWER, {"id": created[original]}, "answers")

    def discussion_labels(self, record: dict, made: dict, target: TargetDiscussions) -> None:
        """The backup's labels (names) added to the created discussion; a label the target lacks (its
        create was refused, or the original deleted it after the labels were saved) is named, and a
        rerun adds it once a person made it."""
        names = [name for name in record.get("labels") or [] if isinstance(name, str) and name]
        if not names or self.state.done_target("discussion-labels", self.key(
                "discussion", record["number"])) is not None:
            return
        if target.labels is None:
            target.labels = self.w.read_all(f"{self.path}/labels")
        ids, missing = label_ids(names, target.labels)
        if ids:
            self.discussion_once("labels", record, ADD_LABELS, {"labelableId": made["id"], "labelIds": ids},
                                 "discussion labels", done=not missing)
        if missing:
            self.problem(f"discussion #{record['number']}: {words.counted(len(missing), 'labels')} not added "
                         f"({', '.join(map(repr, missing))}): {self.target.org}/{self.name} has no such label; "
                         f"add it and run the same command again")

    def discussion_once(self, what: str, record: dict, document: str, variables: dict, counted: str,
                        done: bool = True) -> None:
        """A change of a created discussion (`what`: answer, labels, closed, locked) made once (recorded
        unless `done` is false; a rerun sends it again only if a kill came between the request and its
        record: each can be repeated)."""
        key = self.key("discussion", record["number"])
        kind = f"discussion-{what}"
        if self.state.done_target(kind, key) is not None:
            return
        try:
            self.w.graphql(document, variables, what=f"discussion #{record['number']}: {what}")
        except WriteRefused as exc:
            self.problem(f"discussion #{record['number']}: {what} not restored: {exc}")
            return
        if done:
            self.state.mark_done(kind, key)
        self.outcome.created[counted] += 1

    # ------------------------------------------------------------------ finding what a kill left unrecorded

    def find_discussion(self, original_id) -> dict | None:
        return self.find_marked(FIND_DISCUSSIONS, {}, "discussion", original_id,
                                lambda data: (data.get("repository") or {}).get("discussions"))

    def find_comment(self, number: int, kind: str, original_id) -> dict | None:
        return self.find_marked(FIND_COMMENTS, {"number": number}, kind, original_id,
                                lambda data: ((data.get("repository") or {}).get("discussion") or {}).get("comments"))

    def find_marked(self, document: str, variables: dict, kind: str, original_id, connection_of) -> dict | None:
        """The node (a discussion, a comment or a reply of one) whose body carries the marker of
        (kind, original_id), page by page of the connection `connection_of(data)` names."""
        for node in graphql_nodes(self.w.api, document, dict(variables, o=self.target.org, n=self.name),
                                  connection_of):
            hit = find_marked_node([node, *((node.get("replies") or {}).get("nodes") or [])], kind, original_id)
            if hit is not None:
                return hit
        return None
