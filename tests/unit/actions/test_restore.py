"""restore (orgbackup/actions/restore.py): a root restore gives the tree to the target's owner,
links not followed."""

from __future__ import annotations

import os

import pytest


@pytest.mark.skipif(os.geteuid() != 0, reason="only root's restore gives files to another owner")
def test_a_root_restore_gives_the_tree_to_the_targets_owner_links_not_followed(tmp_path):
    from orgbackup.actions.restore import take_ownership

    outside = tmp_path / "outside"
    outside.write_text("not restored\n")
    target = tmp_path / "target"
    tree = target / ".orgbackup-restore-x" / "Org"
    (tree / "repo" / ".git").mkdir(parents=True)
    (tree / "repo" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tree / "repo" / "link").symlink_to(outside)
    for path in (tree, tree / "repo", tree / "repo" / ".git", tree / "repo" / ".git" / "HEAD", tree / "repo" / "link"):
        os.lchown(path, 10001, 10001)  # as the container's user restic restored them
    os.chown(target, 4242, 4343)
    take_ownership(tree, target)
    owners = {(p.lstat().st_uid, p.lstat().st_gid) for p in [tree, *tree.rglob("*")]}
    assert owners == {(4242, 4343)}
    assert (outside.stat().st_uid, outside.stat().st_gid) == (os.getuid(), os.getgid())
