"""Working trees sharing their files (orgbackup/git/worktree_links.py) with real git and git-lfs:
identical files share an inode and a checkout breaks only its own; checked-out LFS files share
their object's inode and a checkout leaves the object."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from orgbackup.git import worktree_links
from tests.support.snapshot import install_lfs_filters


def test_identical_working_tree_files_share_an_inode_and_a_checkout_breaks_only_its_own(tmp_path, hermetic_git_env):
    up = tmp_path / "up"
    git("init", "--quiet", "-b", "main", up)
    (up / "same.txt").write_text("same\n")
    (up / "tool.sh").write_text("#!/bin/sh\n")
    (up / "tool.sh").chmod(0o755)
    (up / "sub").mkdir()
    (up / "sub" / "deep.bin").write_bytes(os.urandom(5000))
    os.symlink("same.txt", up / "link")
    git("-C", up, "add", ".")
    git("-C", up, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "one")
    a, b = tmp_path / "a", tmp_path / "b"
    git("clone", "--quiet", "--no-hardlinks", up, a)
    git("clone", "--quiet", "--no-hardlinks", up, b)
    (b / "sub" / "deep.bin").unlink()
    (b / "sub" / "deep.bin").write_bytes(os.urandom(5000))  # a local change: not linked
    (a / "tool.sh").chmod(0o644)  # another mode: not linked

    shared = worktree_links.share_identical_files(a, b)
    assert (shared.linked, shared.already) == (1, 0) and shared.bytes_saved == 5
    assert os.stat(a / "same.txt").st_ino == os.stat(b / "same.txt").st_ino
    for path in ("tool.sh", "sub/deep.bin", "link"):
        assert os.lstat(a / path).st_ino != os.lstat(b / path).st_ino
    assert os.path.islink(b / "link") and not (b / ".git" / worktree_links.LINK_NAME).exists()
    assert git("-C", b, "status", "--porcelain") == "M sub/deep.bin"  # (stripped)
    assert worktree_links.share_identical_files(a, b).already == 1

    # git replaces a file it checks out (unlink, then write): the other clone keeps its bytes.
    (up / "same.txt").write_text("changed\n")
    git("-C", up, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-am", "two")
    git("-C", a, "pull", "--quiet", "--ff-only")
    assert (a / "same.txt").read_text() == "changed\n" and (b / "same.txt").read_text() == "same\n"


def test_checked_out_lfs_files_share_the_inode_of_their_object_and_a_checkout_leaves_the_object(
        tmp_path, hermetic_git_env):
    install_lfs_filters()
    up = tmp_path / "up"
    git("init", "--quiet", "-b", "main", up)
    git("-C", up, "lfs", "track", "*.bin", "a b/*.bin")
    (up / "a b").mkdir()
    first, spaced = os.urandom(30000), os.urandom(7000)
    (up / "wall.bin").write_bytes(first)
    (up / "a b" / "c d.bin").write_bytes(spaced)
    (up / "plain.txt").write_text("not in LFS\n")
    commit = ("-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet")
    git("-C", up, "add", ".")
    git("-C", up, *commit, "-m", "one")
    clone = tmp_path / "clone"
    git("clone", "--quiet", "--no-hardlinks", up, clone)
    git("-C", clone, "lfs", "fetch", "--all")
    listed = dict((p, o) for o, p in worktree_links.checked_out_lfs_files(lfs_files(clone)))
    assert sorted(listed) == ["a b/c d.bin", "wall.bin"]

    def object_of(path):
        oid = listed[path]
        return clone / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid

    shared = worktree_links.share_lfs_objects(clone)
    assert shared.linked == 2 and shared.bytes_saved == len(first) + len(spaced)
    for path in listed:
        assert os.stat(clone / path).st_ino == os.stat(object_of(path)).st_ino
    assert git("-C", clone, "status", "--porcelain") == ""
    assert git("-C", clone, "lfs", "fsck") .startswith("Git LFS fsck OK")
    assert worktree_links.share_lfs_objects(clone).already == 2

    # A new version checked out replaces the working file; the old object keeps its bytes.
    (up / "wall.bin").write_bytes(os.urandom(30000))
    git("-C", up, *commit, "-am", "two")
    git("-C", clone, "pull", "--quiet", "--ff-only")
    assert hashlib.sha256(object_of("wall.bin").read_bytes()).hexdigest() == listed["wall.bin"]
    assert (clone / "wall.bin").read_bytes() != first


def git(*args, cwd=None) -> str:
    return subprocess.run(("git",) + tuple(str(a) for a in args), cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def lfs_files(clone: Path) -> str:
    return git("-C", clone, "lfs", "ls-files", "--long")
