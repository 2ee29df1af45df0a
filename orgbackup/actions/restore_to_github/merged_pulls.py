"""A pull request whose commits are all in its base already (merged, or closed after they reached
the base) made a pull request again: GitHub refuses to open one with no commits between base and
head (422 "No commits between ..."), so it is opened against a temporary base branch at the merge
base of its head and its recorded base, then closed, and the branch deleted (a mixin of
RepositoryRestore beside items.IssueSteps: it uses the writer, the state and the keys).

Where the temporary branch starts: `git merge-base HEAD_SHA BASE_SHA` in the backup's clone, both
shas from the backup's pull request JSON. Not the base branch as the backup holds it (a merged pull
request's head is in it, so the merge base would be the head itself: no commits again), and not the
recorded base.sha alone (the base's tip when GitHub last looked at the pull request: it may hold
commits the pull request never had); the merge base is where GitHub's own diff of the pull request
starts, so the reopened one lists the same commits and files, and its review comments' commits are
in it.

How the branch is made: POST /repos/{o}/{r}/git/refs (GitHub's documented way to create a reference,
"git/create-ref"), not a git push: the commit is on GitHub already (the push of every branch), it is
one paced request through the writer like every other write, and its 422 "Reference already exists"
tells a rerun that a stopped run made it (a commit GitHub lacks, 422 "Object does not exist", is pushed
from the clone to the branch with git instead: make_temporary_branch, shared with deleted_heads.py).
It is deleted with DELETE .../git/refs/heads/NAME once the pull request is closed: GitHub closes an
open pull request whose base branch is deleted, and no closed pull request's base can be
changed ("Cannot change the base branch of a closed pull request").

The base stays the temporary branch: a PATCH of the base back to the original while the pull request
is open is not sent. GitHub's REST description says nothing of a base with no new commits; its web
interface refuses one ("There are no new commits between base branch ..."), and were it taken the pull
request would have no commits and its review comments no diff. The body says what the base was.

Resumable: a state row "temporary-base" (pending before the create, done after) is the sign that the
branch may exist; "temporary-base-deleted" that it is gone. A rerun after a kill finds the pull request
by its number and marker (items.create_item), and deletes a branch left behind.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from orgbackup.git import argv as git
from orgbackup.actions.restore_to_github import bodies, git_push
from orgbackup.actions.restore_to_github.source import Item
from orgbackup.actions.restore_to_github.writer import WriteRefused

log = logging.getLogger(__name__)

TEMPORARY_PREFIX = "orgbackup-restore"


def temporary_base_name(number: int) -> str:
    """The temporary base branch of pull request `number` (a name that says what it is)."""
    return f"{TEMPORARY_PREFIX}/temporary-base-of-pull-{number}"


def temporary_head_name(number: int) -> str:
    """The temporary head branch of pull request `number` whose own head branch is gone (deleted_heads.py)."""
    return f"{TEMPORARY_PREFIX}/temporary-head-of-pull-{number}"


def is_temporary_branch(ref: str) -> bool:
    """A branch a restore makes and deletes (a stopped run may leave one: not the backup's, not a
    difference between the backup's refs and the repository's)."""
    return ref.startswith(f"refs/heads/{TEMPORARY_PREFIX}/")


def no_commits_refusal(exc: WriteRefused) -> bool:
    """GitHub's 422 for a pull request whose head has no commits its base lacks."""
    return exc.status == 422 and "no commits between" in exc.message.lower()


def is_merged(data: dict) -> bool:
    return bool(data.get("merged") or data.get("merged_at"))


def merged_note(data: dict) -> list[str]:
    """The note of a merged pull request's body: when, as what, by whom (GitHub's API cannot merge
    it again: the restored one is closed)."""
    if not is_merged(data):
        return []
    by = (data.get("merged_by") or {}).get("login")
    return [f"*Merged into {(data.get('base') or {}).get('ref') or '?'} on {bodies.when(data.get('merged_at'))} "
            f"as {data.get('merge_commit_sha') or 'a commit'}" + (f" by @{by}" if by else "") + "*"]


def temporary_base_note(data: dict, name: str, sha: str) -> str:
    head, base = data.get("head") or {}, data.get("base") or {}
    return (f"*Opened again against the temporary branch {name} (at {sha[:12]}, the merge base of "
            f"{head.get('ref') or '?'} and {base.get('ref') or '?'}; deleted once closed): GitHub opens no pull "
            f"request whose commits are all in its base. The base was {base.get('ref') or '?'}.*")


class TemporaryBaseSteps:
    def merge_base(self, item: Item) -> str | None:
        """The merge base of the pull request's head and recorded base in the backup's clone; None
        when either commit is not there or the head is in the base (no commits even so)."""
        head = ((item.data.get("head") or {}).get("sha") or "").strip()
        base = ((item.data.get("base") or {}).get("sha") or "").strip()
        if not head or not base or not self.repo.clone.is_dir():
            return None
        result = self.git_command(git.merge_base(self.repo.clone, head, base))
        sha = result.stdout.strip() if result.ok else ""
        return sha if sha and sha != head else None

    def open_with_no_commits(self, item: Item, pull: dict, refused: WriteRefused,
                             notes: list[str] = ()) -> tuple[dict | None, str]:
        """After GitHub's 422 `refused` to open `pull`: the pull request opened against a temporary base
        when it is closed and GitHub found no commits between its base and head; else None and why
        it becomes an issue. `notes`: the body's notes already (a temporary head's)."""
        reason = f"GitHub refused to open it again ({refused.message})"
        if not (no_commits_refusal(refused) and item.data.get("state") == "closed"):
            return None, reason
        try:
            made = self.open_against_temporary_base(item, pull, list(notes))
        except WriteRefused as exc:
            if exc.status != 422:
                raise
            return None, f"GitHub refused to open it against a temporary base ({exc.message})"
        if made is None:
            return None, f"{reason}; the backup's clone holds no merge base of its head and recorded base"
        return made, ""

    def open_against_temporary_base(self, item: Item, pull: dict, notes: list[str]) -> dict | None:
        """POST /pulls of `pull` against a temporary base branch made for it; None when there is no
        merge base to make it at (the caller makes an issue)."""
        sha = self.merge_base(item)
        if sha is None:
            return None
        name = temporary_base_name(item.number)
        self.make_temporary_branch("temporary-base", item, name, sha)
        body = dict(pull, base=name, body=self.item_body(item, notes + [temporary_base_note(item.data, name, sha)]))
        return self.write_dropping("POST", f"{self.path}/pulls", body, ("draft",), what=f"pull #{item.number}")

    def make_temporary_branch(self, kind: str, item: Item, name: str, sha: str) -> None:
        """Branch `name` at `sha` for `item` (POST git/refs; state row `kind`, pending before, done
        after). One there already was made by a stopped run: taken as it is. A commit GitHub does not
        have (422 "Object does not exist": no branch or tag the restore pushed reaches it) is pushed
        from the backup's clone to that branch instead; a refused push is a 422 too (an issue then)."""
        self.state.mark_pending(kind, self.key("item", item.number))
        try:
            self.w.write("POST", f"{self.path}/git/refs", {"ref": f"refs/heads/{name}", "sha": sha},
                         what=f"{kind.replace('-', ' ')} of #{item.number}", idempotent=False)
        except WriteRefused as exc:
            message = exc.message.lower()
            if exc.status == 422 and "already exists" in message:
                log.info("%s/%s: %s is there already (made by a stopped run)", self.target.org, self.name, name)
            elif exc.status == 422 and "object does not exist" in message:
                self.push_commit(sha, name)
            else:
                raise
        self.state.mark_done(kind, self.key("item", item.number), {"ref": name, "sha": sha})

    def push_commit(self, sha: str, branch: str) -> None:
        """`git push` of commit `sha` of the backup's clone to a new branch of the target repository."""
        url = git.repo_url(self.target.git_url, self.target.org, self.name)
        result = self.git_command(git_push.push_commit(self.repo.clone, url, sha, f"refs/heads/{branch}"))
        if not result.ok:
            raise WriteRefused(422, f"git push of {sha[:12]} to {branch} failed: "
                                    f"{git.failure_reason(result.stderr or result.stdout)}")
        log.info("%s/%s: %s pushed to %s (GitHub did not have it)", self.target.org, self.name, sha[:12], branch)

    def remove_temporary_branches(self, item: Item) -> None:
        """Delete the temporary branches of `item` (base, head) that may have been made and are not
        known gone; after the pull request is closed (GitHub closes an open one whose base is deleted)."""
        self.remove_temporary_branch("temporary-base", item, temporary_base_name(item.number))
        self.remove_temporary_branch("temporary-head", item, temporary_head_name(item.number))

    def remove_temporary_branch(self, kind: str, item: Item, name: str) -> None:
        key = self.key("item", item.number)
        if self.state.get(kind, key) is None or self.state.done_target(f"{kind}-deleted", key) is not None:
            return
        try:
            self.w.write("DELETE", f"{self.path}/git/refs/heads/{quote(name, safe='/')}",
                         what=f"delete the {kind.replace('-', ' ')} of #{item.number}")
        except WriteRefused as exc:
            if exc.status != 422 or "does not exist" not in exc.message.lower():
                self.problem(f"the temporary branch {name} of #{item.number} not deleted: {exc}")
                return
        self.state.mark_done(f"{kind}-deleted", key)
