"""The pure parts of a pull request whose head branch is gone (orgbackup/actions/restore_to_github/deleted_heads.py):
which pull requests get a temporary head, its name and note, and the git push of a commit on no branch
(real git: a commit reachable from no ref pushed to a new branch of a bare repository)."""

from __future__ import annotations

import subprocess

from orgbackup.actions.restore_to_github import deleted_heads, git_push, merged_pulls

REPO = {"full_name": "V-Sekai/godot"}
CLOSED = {"state": "closed", "head": {"ref": "feature/pr-15", "sha": "a" * 40, "repo": REPO},
          "base": {"ref": "main", "sha": "b" * 40, "repo": REPO}}


def test_only_a_closed_pull_request_of_its_own_repository_without_its_branch_gets_a_temporary_head():
    gone = deleted_heads.head_of_a_closed_pull_is_gone
    assert gone(CLOSED, {"refs/heads/main": "b" * 40})
    assert not gone(CLOSED, {"refs/heads/main": "b" * 40, "refs/heads/feature/pr-15": "a" * 40})
    assert not gone(dict(CLOSED, state="open"), {})  # GitHub closes an open one whose head is deleted
    fork = dict(CLOSED, head=dict(CLOSED["head"], repo={"full_name": "someone/godot"}))
    assert not gone(fork, {}) and not gone(dict(CLOSED, head=dict(CLOSED["head"], repo=None)), {})
    assert not gone(dict(CLOSED, head=dict(CLOSED["head"], sha=None)), {})


def test_the_temporary_head_is_a_valid_branch_name_a_restore_knows_as_its_own():
    name = merged_pulls.temporary_head_name(15)
    assert name == "orgbackup-restore/temporary-head-of-pull-15" != merged_pulls.temporary_base_name(15)
    assert subprocess.run(["git", "check-ref-format", f"refs/heads/{name}"]).returncode == 0
    assert merged_pulls.is_temporary_branch(f"refs/heads/{name}")
    note = deleted_heads.temporary_head_note(CLOSED, name, "c" * 40)
    assert name in note and "c" * 12 in note and "c" * 13 not in note and "feature/pr-15 had been deleted" in note


def git(*argv, cwd=None) -> str:
    return subprocess.run(["git", *argv], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def test_a_commit_on_no_branch_is_pushed_to_a_new_branch(tmp_path):
    clone, target = tmp_path / "clone", tmp_path / "target.git"
    git("init", "-q", "-b", "main", str(clone))
    git("init", "-q", "--bare", str(target))
    ident = ("-c", "user.name=a", "-c", "user.email=a@example.invalid")
    git(*ident, "commit", "-q", "--allow-empty", "-m", "main", cwd=clone)
    git(*ident, "commit", "-q", "--allow-empty", "-m", "on a deleted branch", cwd=clone)
    gone = git("rev-parse", "HEAD", cwd=clone)
    git("reset", "-q", "--hard", "HEAD~1", cwd=clone)  # reachable from no ref now (but the reflog)
    subprocess.run(git_push.push_refs(clone, str(target)), check=True, capture_output=True)
    assert subprocess.run(["git", "-C", str(target), "cat-file", "-e", gone]).returncode != 0
    ref = f"refs/heads/{merged_pulls.temporary_head_name(15)}"
    subprocess.run(git_push.push_commit(clone, str(target), gone, ref), check=True, capture_output=True)
    assert git("-C", str(target), "rev-parse", ref) == gone
