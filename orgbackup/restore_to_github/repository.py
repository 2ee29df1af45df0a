"""One repository of the backup made again in the target organization, step by step.

Order (each step resumable; see writer.create_once):
  1. the repository (never one this restore did not create: that is left alone, named)
  2. LFS objects, then every branch and tag (git push), then the wiki
  3. labels, milestones
  4. issues and pull requests in number order (numbers match; gaps become closed placeholders),
     each with its comments, review comments and reviews
  5. releases with their assets
  6. with --with-access: branch protection, collaborators
  7. the settings that would block the steps above (issues off, the default branch, topics),
     archived last
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .. import commands, git
from . import bodies
from .source import Item, SourceOrganization, SourceRepository
from .writer import TargetWriter, WriteRefused

log = logging.getLogger(__name__)

FEATURES = ("has_issues", "has_wiki", "has_projects", "has_discussions")
MERGE_SETTINGS = ("allow_merge_commit", "allow_squash_merge", "allow_rebase_merge", "allow_auto_merge",
                  "delete_branch_on_merge", "allow_update_branch", "squash_merge_commit_title",
                  "squash_merge_commit_message", "merge_commit_title", "merge_commit_message",
                  "web_commit_signoff_required")
PROTECTION_FLAGS = ("required_linear_history", "allow_force_pushes", "allow_deletions", "block_creations",
                    "required_conversation_resolution", "lock_branch", "allow_fork_syncing")
LEFT_ALONE = "left alone"
RESTORED = "restored"
INCOMPLETE = "incomplete"


@dataclass
class RepositoryOutcome:
    name: str
    state: str = RESTORED
    problems: list[str] = field(default_factory=list)
    created: Counter = field(default_factory=Counter)


@dataclass
class Target:
    """Where the restore writes: the organization, its git URL, the run's secret files."""

    org: str
    git_url: str           # https://HOST
    web_url: str
    files: object          # SecretFiles with the restore token
    stall_seconds: int
    with_access: bool


def planned_writes(repo: SourceRepository, with_access: bool) -> Counter:
    """The writes a restore of `repo` makes at most (the dry run's counts, the progress total)."""
    items = Counter(item.kind for item in repo.items)
    count = Counter(
        repository=1, labels=len(repo.labels), milestones=len(repo.milestones),
        issues=items["issue"], pulls=items["pull"], placeholders=items["gap"],
        closes=sum(1 for i in repo.items if i.kind == "gap" or i.data.get("state") == "closed"),
        comments=sum(len(i.comments) for i in repo.items),
        review_comments=sum(len(i.review_comments) for i in repo.items),
        reviews=sum(len(i.reviews) for i in repo.items),
        pull_fields=sum(1 for i in repo.items if i.kind == "pull" and pull_fields(i, {})),
        releases=len(repo.releases), assets=sum(len(r.assets) for r in repo.releases),
        settings=2 + int(bool(repo.record.get("archived"))),
    )
    if with_access:
        count["protections"] = len(repo.protection)
        count["collaborators"] = len(repo.collaborators)
    return +count


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


def find_marked(listing: list, kind: str, original_id) -> dict | None:
    mark = bodies.marker(kind, original_id)
    return next((x for x in listing if (x.get("body") or "").startswith(mark)), None)


def protection_body(protection: dict) -> dict:
    """GET .../protection's shape -> PUT's (GitHub answers {"enabled": ...} objects and URLs)."""
    checks = protection.get("required_status_checks")
    reviews = protection.get("required_pull_request_reviews")
    restrictions = protection.get("restrictions")
    body = {
        "required_status_checks": {"strict": bool(checks.get("strict")), "contexts": list(checks.get("contexts") or [])}
        if checks else None,
        "enforce_admins": bool((protection.get("enforce_admins") or {}).get("enabled")),
        "required_pull_request_reviews": {
            key: reviews[key] for key in ("dismiss_stale_reviews", "require_code_owner_reviews",
                                          "required_approving_review_count", "require_last_push_approval")
            if key in reviews} if reviews else None,
        "restrictions": {
            "users": [u["login"] for u in restrictions.get("users") or []],
            "teams": [t["slug"] for t in restrictions.get("teams") or []],
            "apps": [a["slug"] for a in restrictions.get("apps") or []],
        } if restrictions else None,
    }
    for key in PROTECTION_FLAGS:
        if isinstance(protection.get(key), dict):
            body[key] = bool(protection[key].get("enabled"))
    return body


def collaborator_permission(person: dict) -> str:
    role = person.get("role_name")
    if role in ("pull", "triage", "push", "maintain", "admin"):
        return role
    role = {"read": "pull", "write": "push"}.get(role or "")
    if role:
        return role
    perms = person.get("permissions") or {}
    return next((p for p in ("admin", "maintain", "push", "triage") if perms.get(p)), "pull")


class RepositoryRestore:
    def __init__(self, writer: TargetWriter, source: SourceOrganization, repo: SourceRepository, target: Target):
        self.w, self.source, self.repo, self.target = writer, source, repo, target
        self.state = writer.state
        self.name = repo.name
        self.path = f"repos/{target.org}/{repo.name}"
        self.outcome = RepositoryOutcome(repo.name)
        self.milestones: dict[int, int] = {}  # original number -> created number
        self.numbers_differ = False

    def key(self, *parts) -> str:
        return "/".join([self.name.lower(), *map(str, parts)])

    def count(self, what: str) -> None:
        """One more `what` created by this run (not one recorded or found from an earlier run)."""
        if self.w.fresh:
            self.outcome.created[what] += 1

    def problem(self, text: str) -> None:
        log.warning("%s/%s: %s", self.target.org, self.name, text)
        self.outcome.problems.append(text)
        self.outcome.state = INCOMPLETE

    # ------------------------------------------------------------------ the steps

    def run(self) -> RepositoryOutcome:
        if self.state.done_target("finished", self.key()) is not None:
            return self.outcome  # restored completely by an earlier run: nothing to do
        if not self.ensure_repository():
            return self.outcome
        pushed = self.push_git()
        self.push_wiki()
        self.labels()
        self.create_milestones()
        for item in self.repo.items:
            self.restore_item(item)
        for release in self.repo.releases:
            self.restore_release(release)
        if self.target.with_access:
            self.restore_access()
        self.final_settings(pushed)
        if not self.outcome.problems:
            self.state.mark_done("finished", self.key())
        return self.outcome

    def settings_value(self, key: str, default=None):
        if key in self.repo.settings:
            return self.repo.settings[key]
        return self.repo.record.get(key, default)

    def ensure_repository(self) -> bool:
        existing = self.w.read(self.path)
        row = self.state.get("repository", self.key())
        if existing is not None:
            ours = row and (row[0] == "pending" or (row[1] or {}).get("id") == existing.get("id"))
            if not ours:
                self.outcome.state = LEFT_ALONE
                self.outcome.problems.append(
                    f"{self.target.org}/{existing.get('name', self.name)} already exists and was not created by "
                    f"this restore: left alone (restore it into another organization, or delete it first)")
                return False
            if row[0] == "pending":
                self.state.mark_done("repository", self.key(), {"id": existing["id"]})
            return True
        if row is not None and row[0] == "done":
            # Created by an earlier run, deleted since: everything recorded for it is gone too.
            self.state.forget_prefix(self.key())
        settings = self.repo.settings
        body = {"name": self.name, "description": settings.get("description"),
                "homepage": settings.get("homepage") or None,
                "private": bool(self.settings_value("private", False)),
                # features on while restoring (issues, wiki); the final step sets the originals
                "has_issues": True, "has_wiki": True,
                "has_projects": bool(settings.get("has_projects", True)),
                "has_discussions": bool(settings.get("has_discussions", False)),
                "auto_init": False}
        if settings.get("visibility"):
            body["visibility"] = settings["visibility"]
        body.update({k: settings[k] for k in MERGE_SETTINGS if k in settings})
        self.w.create_once(
            "repository", self.key(),
            lambda: self.w.write("POST", f"orgs/{self.target.org}/repos", body, what=f"create {self.name}",
                                 idempotent=False),
            lambda: self.w.read(self.path), summary=lambda r: {"id": r.get("id")})
        self.count("repository")
        return True

    def git_command(self, argv):
        return commands.run(argv, env=git.push_environment(self.target.files, self.target.stall_seconds),
                            idle_timeout=self.target.stall_seconds, check=False)

    def remote_refs(self, url: str) -> dict[str, str] | None:
        result = self.git_command(git.ls_remote(url))
        return git.parse_ref_lines(result.stdout) if result.ok else None

    def push_git(self) -> bool:
        """LFS objects first (all of them), then branches and tags; True when the refs are GitHub's now."""
        want = self.repo.refs
        if not want or not self.repo.clone.is_dir():
            return False
        url = git.repo_url(self.target.git_url, self.target.org, self.name)
        if self.remote_refs(url) == want:
            return True
        oids = sorted(p.name for p in (self.repo.clone / ".git" / "lfs" / "objects").glob("??/??/*")
                      if len(p.name) == 64)
        for start in range(0, len(oids), 200):
            result = self.git_command(git.lfs_push_objects(self.repo.clone, url, oids[start:start + 200]))
            if not result.ok:
                self.problem(f"LFS objects not pushed: {git.failure_reason(result.stderr or result.stdout)}")
                return False
        if oids:
            self.outcome.created["lfs objects"] += len(oids)
        result = self.git_command(git.push_refs(self.repo.clone, url))
        if not result.ok:
            self.problem(f"git push failed: {git.failure_reason(result.stderr or result.stdout)}")
            return False
        if self.remote_refs(url) != want:
            self.problem("after the push the repository's branches and tags are not the backup's")
            return False
        self.outcome.created["refs"] += len(want)
        return True

    def push_wiki(self) -> None:
        wiki = self.repo.wiki
        if wiki is None:
            return
        want = (self.repo.record.get("wiki") or {}).get("refs") or {}
        url = git.wiki_url(self.target.git_url, self.target.org, self.name)
        have = self.remote_refs(url)
        if have == want:
            return
        if have is None:
            self.problem(f"wiki not pushed: GitHub makes a wiki's git repository only when its first page is "
                         f"saved; open {self.target.web_url}/{self.target.org}/{self.name}/wiki, save a page, "
                         f"and run the same command again")
            return
        # The first page saved by hand is the only history there: the wiki is replaced by the backup's.
        result = self.git_command(git.push_refs(wiki, url, force=True))
        if not result.ok or self.remote_refs(url) != want:
            self.problem(f"wiki push failed: {git.failure_reason(result.stderr or result.stdout)}")
            return
        self.outcome.created["wiki refs"] += len(want)

    def labels(self) -> None:
        names = {label["name"].lower() for label in self.w.read_all(f"{self.path}/labels")}
        for label in self.repo.labels:
            if label["name"].lower() in names:
                continue
            body = {"name": label["name"], "color": label.get("color") or "ededed",
                    "description": label.get("description") or ""}
            try:
                self.w.create_once(
                    "label", self.key("label", label["name"].lower()),
                    lambda: self.w.write("POST", f"{self.path}/labels", body, what=f"label {label['name']}",
                                         idempotent=False),
                    lambda: None, summary=lambda r: {"id": r.get("id")})
                self.count("labels")
            except WriteRefused as exc:
                if exc.status != 422:
                    self.problem(f"label {label['name']!r} not created: {exc}")

    def create_milestones(self) -> None:
        existing = None
        for ms in self.repo.milestones:
            def find(ms=ms):
                nonlocal existing
                existing = existing if existing is not None else self.w.read_all(
                    f"{self.path}/milestones", {"state": "all"})
                return next((m for m in existing if m.get("title") == ms.get("title")), None)
            body = {"title": ms["title"], "state": ms.get("state") or "open",
                    "description": ms.get("description") or ""}
            if ms.get("due_on"):
                body["due_on"] = ms["due_on"]
            try:
                made = self.w.create_once(
                    "milestone", self.key("milestone", ms["number"]),
                    lambda: self.w.write("POST", f"{self.path}/milestones", body, what=f"milestone {ms['title']}",
                                         idempotent=False),
                    find, summary=lambda r: {"number": r.get("number")})
                self.milestones[ms["number"]] = made["number"]
                self.count("milestones")
            except WriteRefused as exc:
                self.problem(f"milestone {ms.get('title')!r} not created: {exc}")

    # ------------------------------------------------------------------ issues and pull requests

    def restore_item(self, item: Item) -> None:
        try:
            made = self.create_item(item)
        except WriteRefused as exc:
            self.problem(f"#{item.number} not created: {exc}")
            return
        if made.get("number") != item.number and not self.numbers_differ:
            self.numbers_differ = True
            self.problem(f"numbers no longer match from #{item.number} on (GitHub gave #{made.get('number')}): "
                         "something else created an issue in the repository during the restore")
        number = made.get("number")
        as_pull = made.get("as") == "pull"
        self.close_item(item, number, as_pull)
        for comment in item.comments:
            self.restore_comment(number, "issue-comment", comment, bodies.login_of(comment), "commented")
        for review in item.reviews:
            self.restore_review(number, review, as_pull)
        replies: dict[int, int] = {}
        for comment in item.review_comments:
            self.restore_review_comment(number, comment, as_pull, replies)

    def item_body(self, item: Item, notes: list[str]) -> str:
        data = item.data
        what = "opened the pull request" if item.kind == "pull" else "opened the issue"
        header = f"*@{bodies.login_of(data)} {what} #{item.number} on {bodies.when(data.get('created_at'))} " \
                 f"(restored from a backup of {self.source.org}/{self.name})*"
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
        same_repo = ((head.get("repo") or {}).get("full_name") or "").lower() == \
            ((base.get("repo") or {}).get("full_name") or "").lower() != ""
        if data.get("merged") or data.get("merged_at"):
            return f"merged on {bodies.when(data.get('merged_at'))} as {data.get('merge_commit_sha') or 'a commit'}"
        if not same_repo:
            return f"its head {head.get('label') or '?'} was in another repository"
        for side, ref in (("head", head.get("ref")), ("base", base.get("ref"))):
            if f"refs/heads/{ref}" not in self.repo.refs:
                return f"its {side} branch {ref!r} is not in the backup"
        return None

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
                head, base = item.data["head"], item.data["base"]
                pull = {"title": item.data.get("title") or f"#{item.number}", "body": self.item_body(item, []),
                        "head": head["ref"], "base": base["ref"], "draft": bool(item.data.get("draft"))}
                try:
                    return self.write_dropping("POST", f"{self.path}/pulls", pull, ("draft",),
                                               what=f"pull #{item.number}")
                except WriteRefused as exc:
                    if exc.status != 422:
                        raise
                    reason = f"GitHub refused to open it again ({exc.message})"
            notes = [f"*This was a pull request ({item.data.get('head', {}).get('label', '?')} into "
                     f"{item.data.get('base', {}).get('ref', '?')}) that could not be opened again: {reason}*"] \
                if item.kind == "pull" else []
            return self.write_dropping("POST", path, self.issue_body(item, self.item_body(item, notes)),
                                       ("assignees",), what=f"issue #{item.number}")

        made = self.w.create_once("item", key, create, find, summary=summary)
        self.count("pulls" if made.get("as") == "pull" else "issues")
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
        body = {"body": self.comment_body("review-comment", comment, verb)}
        reply_to = replies.get(comment.get("in_reply_to_id"))
        if reply_to:
            body["in_reply_to"] = reply_to
        else:
            body.update({k: comment[k] for k in ("commit_id", "path", "line", "side", "start_line", "start_side")
                         if comment.get(k) is not None})
            if "line" not in body and comment.get("position") is not None:
                body["position"] = comment["position"]

        def create():
            try:
                return self.w.write("POST", path, body, what=f"review comment on #{number}", idempotent=False)
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

    # ------------------------------------------------------------------ releases

    def restore_release(self, release) -> None:
        data = release.data
        tag = data.get("tag_name")
        body = {"tag_name": tag, "name": data.get("name") or "", "body": data.get("body") or "",
                "draft": bool(data.get("draft")), "prerelease": bool(data.get("prerelease"))}
        if data.get("target_commitish"):
            body["target_commitish"] = data["target_commitish"]

        def find():
            return next((r for r in self.w.read_all(f"{self.path}/releases") if r.get("tag_name") == tag), None)
        try:
            made = self.w.create_once(
                "release", self.key("release", tag),
                # target_commitish may name a branch deleted since; the tag is what counts
                lambda: self.write_dropping("POST", f"{self.path}/releases", body, ("target_commitish",),
                                            what=f"release {tag}"),
                find, summary=lambda r: {"id": r.get("id"), "upload_url": r.get("upload_url")})
            self.count("releases")
        except WriteRefused as exc:
            self.problem(f"release {tag} not created: {exc}")
            return
        for asset, path in release.assets:
            self.upload_asset(tag, made, asset, path)

    def upload_asset(self, tag: str, release: dict, asset: dict, path: Path) -> None:
        name = asset["name"]
        if not path.is_file():
            self.problem(f"release {tag}: asset {name} is not in the backup")
            return
        upload = (release.get("upload_url") or "").split("{", 1)[0]
        params = {"name": name}
        if asset.get("label"):
            params["label"] = asset["label"]

        def find():
            listing = self.w.read_all(f"{self.path}/releases/{release['id']}/assets")
            return next((a for a in listing if a.get("name") == name), None)
        try:
            self.w.create_once(
                "asset", self.key("asset", tag, name),
                lambda: self.w.write("POST", upload, data=path.read_bytes(), params=params,
                                     content_type=asset.get("content_type") or "application/octet-stream",
                                     what=f"asset {name}", idempotent=False),
                find, summary=lambda r: {"id": r.get("id")})
            self.count("assets")
        except WriteRefused as exc:
            self.problem(f"release {tag}: asset {name} not uploaded: {exc}")

    # ------------------------------------------------------------------ access and settings

    def restore_access(self) -> None:
        for branch, protection in sorted(self.repo.protection.items()):
            if f"refs/heads/{branch}" not in self.repo.refs:
                self.problem(f"protection of {branch!r} not restored: the branch is not in the backup")
                continue
            try:
                self.w.write("PUT", f"{self.path}/branches/{branch}/protection", protection_body(protection),
                             what=f"protection of {branch}")
                self.outcome.created["protections"] += 1
            except WriteRefused as exc:
                self.problem(f"protection of {branch!r} not restored: {exc}")
        for person in self.repo.collaborators:
            login = person.get("login")
            try:
                self.w.write("PUT", f"{self.path}/collaborators/{login}",
                             {"permission": collaborator_permission(person)}, what=f"collaborator {login}")
                self.outcome.created["collaborators"] += 1
            except WriteRefused as exc:
                self.problem(f"collaborator @{login} not added: {exc}")

    def final_settings(self, pushed: bool) -> None:
        settings = self.repo.settings
        body = {key: bool(settings[key]) for key in FEATURES if key in settings}
        branch = self.settings_value("default_branch")
        if pushed and branch and f"refs/heads/{branch}" in self.repo.refs:
            body["default_branch"] = branch
        try:
            if body:
                self.w.write("PATCH", self.path, body, what=f"settings of {self.name}")
            if settings.get("topics"):
                self.w.write("PUT", f"{self.path}/topics", {"names": settings["topics"]}, what="topics")
            if self.settings_value("archived") and not self.outcome.problems:
                # Last: an archived repository takes no more writes (a rerun would need it open).
                self.w.write("PATCH", self.path, {"archived": True}, what=f"archive {self.name}")
        except WriteRefused as exc:
            self.problem(f"settings not restored: {exc}")

