"""gitim's working clones take their objects from github-backup's clones, not from GitHub again.

Part 1: the pure builders (the include file, the environment) and git's own reading of them
(insteadOf prefixes: `game.git` is a prefix of `game.github.io.git`).
Part 2: against the GitHub emulator, with git-lfs's filters installed (as the image has them):
the stages in run.py's order, the emulator's byte counter around gitim, the clones compared
with a clone made straight from GitHub, a later check that brings newer commits from GitHub,
and a restored snapshot whose working clones are whole.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from orgbackup.git import worktree_links
from orgbackup.git.environment import git_environment
from orgbackup.backup.stages import github_backup as gb
from orgbackup.backup.stages import gitim as gitim_stage
from orgbackup.backup.stages import verify_repair as vr
from tests.github_emulator import mutate, truth
from tests.helpers_run import ORG, make_context
from tests.helpers_snapshot import install_lfs_filters
from tests.test_gitim import gitim_installed  # noqa: F401 -- the fixture

# Part 1: pure


def test_include_file_maps_each_url_to_its_local_clone_and_the_others_to_themselves():
    text = gitim_stage.local_objects_config(
        {"https://h/O/game.git": Path('/cache/O/github-backup/repositories/game/repo "x"\\y')},
        ["https://h/O/game.git", "https://h/O/game.github.io.git"])
    assert text == ('[url "/cache/O/github-backup/repositories/game/repo \\"x\\"\\\\y"]\n'
                    '\tinsteadOf = "https://h/O/game.git"\n'
                    '[url "https://h/O/game.github.io.git"]\n'
                    '\tinsteadOf = "https://h/O/game.github.io.git"\n')
    assert gitim_stage.local_objects_config({}, []) == ""
    with pytest.raises(ValueError):
        gitim_stage.local_objects_config({"https://h/O/x.git": Path("/a\nb")})


def test_include_comes_after_the_environments_own_config_entries():
    env = {"GIT_CONFIG_COUNT": "2", "GIT_CONFIG_KEY_0": "a.b", "GIT_CONFIG_VALUE_0": "",
           "GIT_CONFIG_KEY_1": "c.d", "GIT_CONFIG_VALUE_1": "e"}
    out = gitim_stage.with_config_include(env, Path("/s/include.gitconfig"))
    assert out["GIT_CONFIG_COUNT"] == "3"
    assert (out["GIT_CONFIG_KEY_2"], out["GIT_CONFIG_VALUE_2"]) == ("include.path", "/s/include.gitconfig")
    assert {k: out[k] for k in env if k != "GIT_CONFIG_COUNT"} == {k: v for k, v in env.items() if k != "GIT_CONFIG_COUNT"}
    assert gitim_stage.with_config_include({}, Path("/i"))["GIT_CONFIG_COUNT"] == "1"


def test_git_reads_the_include_as_meant(tmp_path, hermetic_git_env):
    """The longest key wins: the identity entry keeps game.github.io's URL as it is."""
    include = tmp_path / "include.gitconfig"
    local = tmp_path / 'clones/game "1"'
    include.write_text(gitim_stage.local_objects_config(
        {"https://h/O/game.git": local}, ["https://h/O/game.git", "https://h/O/game.github.io.git"]))
    env = gitim_stage.with_config_include(dict(os.environ), include)

    def rewritten(url: str) -> str:
        out = subprocess.run(["git", "ls-remote", "--get-url", url], env=env, capture_output=True, text=True,
                             check=True)
        return out.stdout.strip()

    assert rewritten("https://h/O/game.git") == str(local)
    assert rewritten("https://h/O/game.github.io.git") == "https://h/O/game.github.io.git"
    assert rewritten("https://h/O/other.git") == "https://h/O/other.git"


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


def test_ls_files_stage_paths_are_regular_files_only():
    text = ("100644 " + "a" * 40 + " 0\tplain\0" + "100755 " + "b" * 40 + " 0\texec\0"
            + "120000 " + "c" * 40 + " 0\tsymlink\0" + "160000 " + "d" * 40 + " 0\tsubmodule\0"
            + "100644 " + "e" * 40 + " 2\tconflict\0")
    assert worktree_links.regular_paths(text) == ["plain", "exec"]


# Part 2: against the emulator


def git(*args, cwd=None) -> str:
    return subprocess.run(("git",) + tuple(str(a) for a in args), cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def all_refs(clone: Path) -> dict[str, str]:
    lines = git("-C", clone, "for-each-ref", "--format=%(objectname) %(refname)").splitlines()
    return {ref: sha for sha, ref in (line.split(" ", 1) for line in lines)}


def working_tree(clone: Path) -> dict[str, str]:
    """{path: sha256 of the file's bytes} of every tracked file (LFS files smudged or not);
    a submodule's folder (a gitlink) as "folder"."""
    files = [f for f in git("-C", clone, "ls-files", "-z").split("\0") if f]
    return {f: "folder" if (clone / f).is_dir() else hashlib.sha256((clone / f).read_bytes()).hexdigest()
            for f in files}


def lfs_files(clone: Path) -> str:
    return git("-C", clone, "lfs", "ls-files", "--long")


def first_run_stages(ctx, repos):
    """run.py's order: github-backup (capture), verify and repair, then the working clones."""
    result = gb.back_up_repositories(ctx, ORG, repos, hooks=True)
    assert result.problems == []
    records, problems = vr.verify_and_repair(ctx, ORG, repos)
    assert problems == []
    return {name: r["refs"] for name, r in records.items() if "refs" in r and not r.get("problems")}


def test_first_run_clones_from_the_cache_equal_to_github_and_later_checks_fetch_from_github(
    github_emulator, world_root, tmp_path, monkeypatch, gitim_installed  # noqa: F811
):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    install_lfs_filters()  # in the hermetic HOME: clones smudge LFS files, as in the image
    paths = ctx.org_paths(ORG)
    repos = ctx.api.org_repositories(ORG)
    checked = first_run_stages(ctx, repos)
    world = truth(world_root)["orgs"][ORG]["repos"]
    with_commits = {name for name, rec in world.items() if rec["refs"]}
    assert with_commits <= set(checked) and "assets-lfs" in with_commits and "private-tools" in with_commits
    # Nothing gitim clones is there yet: gitim runs after github-backup's clones are checked.
    assert not (paths.gitim / ORG).exists()

    github_emulator.reset_counters()
    states, problems = gitim_stage.gitim_and_working_clones(ctx, ORG, repos, remote_refs=checked)
    assert problems == []
    served, requests = github_emulator.bytes_served(), github_emulator.counters()
    # Only the empty repository (no github-backup clone to take from) was asked for: its refs
    # advertisement, no pack, no LFS object. Every other clone came from the cache.
    print(f"gitim + check: {served} bytes served, {requests} requests")
    assert served["lfs"] == 0 and requests["lfs"] == 0
    assert served["git"] < 2048 and requests["git"] <= 2 * (len(world) - len(with_commits))
    for name in with_commits:
        assert states[name]["head"] == world[name]["refs"][f"refs/heads/{world[name]['default_branch']}"]

    # Equal to a clone made straight from GitHub: refs, HEAD, working tree, LFS files.
    for repo in repos:
        name = repo["name"]
        if name not in with_commits:
            continue
        ours = paths.gitim_clone(ORG, name)
        theirs = tmp_path / "straight" / name
        subprocess.run(["git", "clone", "--quiet", repo["clone_url"], str(theirs)], check=True,
                       env=dict(os.environ, **git_environment(ctx.files)))
        assert all_refs(ours) == all_refs(theirs), name
        assert git("-C", ours, "symbolic-ref", "HEAD") == git("-C", theirs, "symbolic-ref", "HEAD")
        assert git("-C", ours, "rev-parse", "HEAD") == git("-C", theirs, "rev-parse", "HEAD")
        assert working_tree(ours) == working_tree(theirs), name
        assert lfs_files(ours) == lfs_files(theirs), name
        assert git("-C", ours, "status", "--porcelain") == ""
        # GitHub's URL, no alternates: the clone stands alone; its objects are shared by hard links.
        assert git("-C", ours, "remote", "get-url", "origin") == repo["clone_url"]
        assert not (ours / ".git" / "objects" / "info" / "alternates").exists()
        assert not list((ours / ".git" / "hooks").glob("*.sample"))  # no template files (init.templateDir)
        packs = list((ours / ".git" / "objects" / "pack").glob("*.pack"))
        assert packs and all(p.stat().st_nlink > 1 for p in packs), name
    # One working tree on disk: the working clone's files are github-backup's clone's.
    for name in ("assets-lfs", "godot"):
        source = paths.repository_dir(name) / "repository"
        for path in working_tree(paths.gitim_clone(ORG, name)):
            ours = paths.gitim_clone(ORG, name) / path
            if ours.is_file() and not ours.is_symlink():
                assert os.stat(ours).st_ino == os.stat(source / path).st_ino, (name, path)
    lfs_work = paths.gitim_clone(ORG, "assets-lfs")
    oids = {line.split()[0] for line in lfs_files(lfs_work).splitlines()}
    assert oids
    for line in git("-C", lfs_work, "lfs", "ls-files", "--long").splitlines():
        oid, path = line.split()[0], line[67:]
        obj = lfs_work / ".git" / "lfs" / "objects" / oid[:2] / oid[2:4] / oid
        assert obj.is_file() and obj.stat().st_nlink > 1  # the github-backup clone's object
        # ... and the checked-out file in both working trees is that same inode: stored once
        assert os.stat(lfs_work / path).st_ino == obj.stat().st_ino, path

    # A day later: the check brings the newer commits from GitHub (github-backup's clones are
    # left as they were, so nothing newer could come from them).
    mutate(world_root)
    after = truth(world_root)["orgs"][ORG]["repos"]
    ctx2 = make_context(github_emulator, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    repos2 = ctx2.api.org_repositories(ORG)
    github_emulator.reset_counters()
    states2, problems = gitim_stage.gitim_and_working_clones(ctx2, ORG, [r for r in repos2 if r["name"] in with_commits])
    assert problems == []
    moved = {n for n in with_commits if n in after and after[n]["refs"].get(f"refs/heads/{after[n]['default_branch']}")
             != world[n]["refs"].get(f"refs/heads/{world[n]['default_branch']}")}
    assert moved and github_emulator.bytes_served()["git"] > 0
    for name in with_commits & set(after):
        head = after[name]["refs"][f"refs/heads/{after[name]['default_branch']}"]
        assert states2[name]["head"] == head
        assert git("-C", paths.gitim_clone(ORG, name), "rev-parse", "HEAD") == head
        # both clones whole where their files were shared: each at its own commit, nothing modified
        assert git("-C", paths.gitim_clone(ORG, name), "status", "--porcelain") == ""
        assert git("-C", paths.repository_dir(name) / "repository", "status", "--porcelain") == ""


def test_a_restored_snapshot_holds_whole_working_clones(github_emulator, backup_env, tmp_path, capsys,
                                                        gitim_installed):  # noqa: F811
    """The real CLI: a first run (git and LFS served about the organization's data once), its
    snapshot restored elsewhere (the cache gone): every
    working clone passes `git fsck` and is at GitHub's head, needing nothing outside itself."""
    import shutil

    from tests.helpers_cli import restore, run_backup
    from tests.truth_compare import compare_org

    install_lfs_filters()
    github_emulator.reset_counters()
    status, summary, _ = run_backup(backup_env, capsys)
    assert status == 0, summary
    served = github_emulator.bytes_served()
    data = sum(f.stat().st_size for base in (github_emulator.root / "git" / ORG, github_emulator.root / "lfs" / ORG)
               for f in base.rglob("*") if f.is_file())
    print(f"first run: git {served['git']} + LFS {served['lfs']} bytes served for {data} bytes of data")
    assert served["git"] + served["lfs"] <= 1.1 * data  # every byte crossed the network once
    shutil.rmtree(backup_env["BACKUP_CACHE_DIR"])
    restored = restore(backup_env, summary["orgs"][0]["snapshot_id"], tmp_path / "restored")
    expected = truth(github_emulator.root)
    assert compare_org(ORG, expected, restored) == []
    clones = sorted(p for p in (restored / "gitim" / ORG).iterdir() if p.is_dir())
    assert {p.name for p in clones} == set(expected["orgs"][ORG]["repos"])
    for clone in clones:
        assert not (clone / ".git" / "objects" / "info" / "alternates").exists()
        fsck = subprocess.run(["git", "-C", str(clone), "fsck", "--full", "--no-dangling"], capture_output=True,
                              text=True)
        assert fsck.returncode == 0, (clone.name, fsck.stderr)
        if expected["orgs"][ORG]["repos"][clone.name]["refs"]:
            assert git("-C", clone, "status", "--porcelain") == "", clone.name


def test_damage_to_a_shared_pack_is_healed_in_both_clones(github_emulator, tmp_path, monkeypatch,
                                                          gitim_installed):  # noqa: F811
    """Hard links share damage: a pack truncated in github-backup's clone is the working clone's
    pack too. verify-and-repair makes github-backup's clone again; the working clone's own check
    (its memo sees the changed pack) makes it again as well, from the healed clone."""
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    paths = ctx.org_paths(ORG)
    repos = ctx.api.org_repositories(ORG)
    checked = first_run_stages(ctx, repos)
    assert gitim_stage.gitim_and_working_clones(ctx, ORG, repos, remote_refs=checked).problems == []
    work = paths.gitim_clone(ORG, "godot")
    pack = max((work / ".git" / "objects" / "pack").glob("*.pack"), key=lambda p: p.stat().st_size)
    assert pack.stat().st_nlink > 1
    os.chmod(pack, 0o644)
    with open(pack, "r+b") as f:  # in place: both clones' file
        f.truncate(pack.stat().st_size // 2)

    ctx2 = make_context(github_emulator, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    records, problems = vr.verify_and_repair(ctx2, ORG, repos)
    assert problems == []
    checked2 = {name: r["refs"] for name, r in records.items() if "refs" in r and not r.get("problems")}
    github_emulator.reset_counters()
    states, problems = gitim_stage.gitim_and_working_clones(ctx2, ORG, repos, remote_refs=checked2)
    assert problems == [] and states["godot"]["head"] == checked2["godot"]["refs/heads/main"]
    assert github_emulator.bytes_served()["git"] == 0  # made again from the healed local clone
    for clone in (work, paths.repository_dir("godot") / "repository"):
        fsck = subprocess.run(["git", "-C", str(clone), "fsck", "--full", "--no-dangling"], capture_output=True,
                              text=True)
        assert fsck.returncode == 0, (clone, fsck.stderr)
    assert git("-C", work, "remote", "get-url", "origin") == repos[[r["name"] for r in repos].index("godot")]["clone_url"]
    assert git("-C", work, "status", "--porcelain") == ""
