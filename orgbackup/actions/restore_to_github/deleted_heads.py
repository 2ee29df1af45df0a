"""A closed pull request whose head branch is gone (deleted on merge, or after it was closed: the
backup has no such branch) made a pull request again from a temporary head branch
`orgbackup-restore/temporary-head-of-pull-N` at its recorded head.sha, closed as the others, and the
branch deleted then (a mixin of RepositoryRestore: it uses the writer, the state and the keys).

When: the pull request is closed (GitHub closes an open one whose head branch is deleted, so an open
one with no head branch is not the case), its head was a branch of this repository (not a fork's),
and head.sha is a commit of the backup's clone. A merge commit keeps it on the base branch; a squash
or rebase merge leaves it on no branch, and the clone holds it only when an earlier backup fetched
the branch before it was deleted (git keeps what a fetch --prune leaves for a while). Else it becomes
an issue, as before.

How: POST git/refs at head.sha (merged_pulls.make_temporary_branch: the state rows "temporary-head"
and "temporary-head-deleted", a branch a stopped run made taken as it is). GitHub has the commit when
a pushed branch or tag reaches it; when not, its 422 "Object does not exist" makes it a `git push
SHA:refs/heads/NAME` from the clone. A merged one then meets GitHub's "No commits between" and is
opened against a temporary base as well (merged_pulls.py). Both branches are deleted once it is
closed; it keeps reading its temporary head, and its body names the branch it came from.
"""

from __future__ import annotations

from orgbackup.git import argv as git
from orgbackup.actions.restore_to_github.merged_pulls import TemporaryBaseSteps, temporary_head_name
from orgbackup.actions.restore_to_github.source import Item


def temporary_head_note(data: dict, name: str, sha: str) -> str:
    head = (data.get("head") or {}).get("ref") or "?"
    return (f"*Opened again from the temporary branch {name} (at {sha[:12]}, its head's last commit; deleted "
            f"once closed): its head branch {head} had been deleted.*")


def head_in_own_repository(data: dict) -> bool:
    """The pull request's head was a branch of its base's repository (not a fork's)."""
    head, base = data.get("head") or {}, data.get("base") or {}
    return ((head.get("repo") or {}).get("full_name") or "").lower() == \
        ((base.get("repo") or {}).get("full_name") or "").lower() != ""


def head_of_a_closed_pull_is_gone(data: dict, refs: dict) -> bool:
    """A closed pull request whose head was a branch of its own repository that the backup does not have."""
    head = data.get("head") or {}
    return data.get("state") == "closed" and head_in_own_repository(data) and bool(head.get("sha")) and \
        f"refs/heads/{head.get('ref')}" not in refs


class TemporaryHeadSteps(TemporaryBaseSteps):
    def head_commit(self, item: Item) -> str | None:
        """head.sha of a closed pull request whose head branch is gone, when the backup's clone has
        that commit (a temporary head can be made at it); None otherwise."""
        if not head_of_a_closed_pull_is_gone(item.data, self.repo.refs) or not self.repo.clone.is_dir():
            return None
        sha = item.data["head"]["sha"].strip()
        result = self.git_command(git.rev_parse(self.repo.clone, sha))
        return sha if result.ok and result.stdout.strip() == sha else None

    def pull_head(self, item: Item) -> tuple[str, list[str]]:
        """The branch to open `item` from and the body's notes: its own head branch, or a temporary one
        made at head.sha when that branch is gone (a 422 WriteRefused when GitHub refuses it)."""
        head = item.data["head"]
        if f"refs/heads/{head['ref']}" in self.repo.refs:
            return head["ref"], []
        sha = self.head_commit(item)
        name = temporary_head_name(item.number)
        self.make_temporary_branch("temporary-head", item, name, sha)
        return name, [temporary_head_note(item.data, name, sha)]
