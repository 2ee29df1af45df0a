"""Working trees sharing their files (orgbackup/git/worktree_links.py), without git."""

from __future__ import annotations

from orgbackup.git import worktree_links


def test_ls_files_stage_paths_are_regular_files_only():
    text = ("100644 " + "a" * 40 + " 0\tplain\0" + "100755 " + "b" * 40 + " 0\texec\0"
            + "120000 " + "c" * 40 + " 0\tsymlink\0" + "160000 " + "d" * 40 + " 0\tsubmodule\0"
            + "100644 " + "e" * 40 + " 2\tconflict\0")
    assert worktree_links.regular_paths(text) == ["plain", "exec"]
