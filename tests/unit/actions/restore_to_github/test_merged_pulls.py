"""The pure parts of a merged pull request's restore (orgbackup/actions/restore_to_github/merged_pulls.py):
the temporary branch's name, which refusal sends a pull request to a temporary base, the body's notes."""

from __future__ import annotations

import re

from orgbackup.actions.restore_to_github import merged_pulls
from orgbackup.actions.restore_to_github.writer import WriteRefused

MERGED = {"merged": True, "merged_at": "2023-11-15T14:11:20Z", "merge_commit_sha": "f" * 40,
          "merged_by": {"login": "alice"}, "head": {"ref": "feature/pr-3", "sha": "a" * 40},
          "base": {"ref": "main", "sha": "b" * 40}}


def test_the_temporary_base_is_a_valid_branch_name_that_says_what_it_is():
    name = merged_pulls.temporary_base_name(3)
    assert name == "orgbackup-restore/temporary-base-of-pull-3"
    assert re.fullmatch(r"[a-z0-9-]+/[a-z0-9-]+", name)  # nothing git's check-ref-format refuses
    assert merged_pulls.temporary_base_name(30) != merged_pulls.temporary_base_name(3)


def test_only_githubs_no_commits_refusal_sends_it_to_a_temporary_base():
    assert merged_pulls.no_commits_refusal(WriteRefused(422, "Validation Failed: No commits between main and x"))
    assert not merged_pulls.no_commits_refusal(WriteRefused(422, "Validation Failed: head invalid"))
    assert not merged_pulls.no_commits_refusal(WriteRefused(403, "No commits between main and x"))


def test_a_merged_pull_requests_body_says_when_as_what_and_by_whom():
    assert merged_pulls.merged_note(MERGED) == [
        f"*Merged into main on 2023-11-15 14:11 UTC as {'f' * 40} by @alice*"]
    assert merged_pulls.merged_note(dict(MERGED, merged=False, merged_at=None)) == []
    assert merged_pulls.is_merged({"merged_at": "2023-11-15T14:11:20Z"}) and not merged_pulls.is_merged({})
    note = merged_pulls.temporary_base_note(MERGED, "orgbackup-restore/temporary-base-of-pull-3", "c" * 40)
    assert "orgbackup-restore/temporary-base-of-pull-3" in note and "c" * 12 in note and "c" * 13 not in note
    assert "The base was main" in note and "\n" not in note


def test_a_temporary_base_is_no_branch_of_the_backup():
    assert merged_pulls.is_temporary_branch(f"refs/heads/{merged_pulls.temporary_base_name(3)}")
    assert not merged_pulls.is_temporary_branch("refs/heads/main")
    assert not merged_pulls.is_temporary_branch("refs/tags/orgbackup-restore/x")
    assert not merged_pulls.is_temporary_branch("refs/heads/orgbackup-restore-x")
