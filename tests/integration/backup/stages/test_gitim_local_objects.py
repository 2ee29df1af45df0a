"""gitim's working clones take their objects from github-backup's clones, not from GitHub again
(orgbackup/backup/stages/gitim.py): git's own reading of the include file (insteadOf prefixes:
`game.git` is a prefix of `game.github.io.git`), then against the GitHub emulator, with git-lfs's
filters installed (as the image has them): the stages in the run's order, the emulator's byte
counter around gitim, the clones compared with a clone made straight from GitHub, a later check
that brings newer commits from GitHub, a damaged shared pack healed in both clones (the pure
builders: tests/unit/backup/stages/test_gitim.py; a restored snapshot's working clones:
tests/end_to_end/test_working_clones.py)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from orgbackup.git.environment import git_environment
from orgbackup.backup.stages import github_backup as gb
from orgbackup.backup.stages import gitim as gitim_stage
from orgbackup.backup.stages import verify_repair as vr
from tests.github_emulator import mutate, truth
from tests.support.run_context import ORG, make_context
from tests.support.snapshot import install_lfs_filters


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
    github_emulator, world_root, tmp_path, monkeypatch, gitim_installed
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


def test_damage_to_a_shared_pack_is_healed_in_both_clones(github_emulator, tmp_path, monkeypatch,
                                                          gitim_installed):
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
