"""git's argument tuples (orgbackup/git/argv.py) and environments (orgbackup/git/environment.py), built without running git."""

from __future__ import annotations

from pathlib import Path

from orgbackup.git import argv as git
from orgbackup.git.environment import anonymous_git_environment, stall_environment
from orgbackup.github.urls import without_credentials


def test_every_git_environment_limits_stalled_transfers(tmp_path):
    assert anonymous_git_environment(7)["GIT_HTTP_LOW_SPEED_TIME"] == "7"
    assert stall_environment()["GIT_HTTP_LOW_SPEED_LIMIT"] == "1"


def test_git_builders_added_for_this_stage():
    repo = Path("/c/r")
    assert git.resolve_head(repo) == ("git", "-C", "/c/r", "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    assert git.point_head(repo, "refs/heads/main") == ("git", "-C", "/c/r", "symbolic-ref", "HEAD", "refs/heads/main")
    assert git.absolute_git_dir(repo) == ("git", "-C", "/c/r", "rev-parse", "--absolute-git-dir")
    assert without_credentials("https://ghp_x:x-oauth-basic@h:8443/O/R.git") == "https://h:8443/O/R.git"
    assert without_credentials("https://h/O/R.git") == "https://h/O/R.git"
    assert without_credentials("git@github.com:O/R.git") == "git@github.com:O/R.git"
    assert git.parse_remote_urls("remote.origin.url https://h/O/R.git\nremote.up.url https://h/U/R.git\n") == {
        "origin": "https://h/O/R.git", "up": "https://h/U/R.git"}
    assert git.fsck_connectivity(repo) == ("git", "-C", "/c/r", "fsck", "--no-progress", "--no-dangling",
                                           "--connectivity-only")
    assert git.verify_pack(repo, Path("/c/r/.git/objects/pack/p.pack")) == (
        "git", "-C", "/c/r", "verify-pack", "/c/r/.git/objects/pack/p.pack")
    assert git.clone_no_checkout("https://h/O/R.git", repo) == (
        "git", "clone", "--quiet", "--no-checkout", "https://h/O/R.git", "/c/r")


def test_git_builders():
    repo = Path("/m/x.git")
    argv = git.fetch_dependency(repo, "https://h/o/x.git")
    assert argv[-2:] == git.MIRROR_REFSPECS and "--prune" in argv and "gc.auto=0" in argv
    assert not any(a.startswith("+refs/*") for a in argv)  # --prune must not reach refs/orgbackup
    assert git.fetch_commit_kept(repo, "https://h/o/x.git", "c" * 40)[-1] == (
        f"+{'c' * 40}:refs/orgbackup/kept/{'c' * 40}")
    anonymous = anonymous_git_environment()
    assert anonymous["GIT_ASKPASS"] == "" and anonymous["GIT_TERMINAL_PROMPT"] == "0"
    assert not any("TOKEN" in k and v for k, v in anonymous.items())


def test_merge_base_of_two_commits():
    assert git.merge_base(Path("/c/r"), "a1", "b2") == ("git", "-C", "/c/r", "merge-base", "a1", "b2")
