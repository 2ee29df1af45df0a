"""The benchmark's measures (bench/measure.py): which part of a clone a file is."""

from __future__ import annotations


def test_clone_parts_are_objects_working_trees_and_gits_other_files():
    from bench.measure import clone_part

    assert clone_part(("repository", ".git", "objects", "pack", "pack-1.pack")) == "objects"
    assert clone_part(("repository", ".git", "lfs", "objects", "ab", "cd", "abcd")) == "objects"
    assert clone_part(("mirror.git", "objects", "pack")) == "objects"  # a bare mirror
    assert clone_part(("repository", ".git", "logs", "HEAD")) == "git_other"
    assert clone_part(("repository", ".git")) == "git_other"
    assert clone_part(("repository", "data", "objects", "x.bin")) == "working_tree"  # a folder named objects
    assert clone_part(("repository", "README.md")) == "working_tree"
