"""A restored snapshot holds whole working clones: gitim's clones, made from github-backup's (their
objects taken from the cache, not from GitHub again), come back from restic whole (real git,
git-lfs, github-backup 0.40.0, the gitim stand-in and restic against the GitHub emulator)."""

from __future__ import annotations

import subprocess

from tests.github_emulator import truth
from tests.support.run_context import ORG
from tests.support.snapshot import install_lfs_filters


def git(*args, cwd=None) -> str:
    return subprocess.run(("git",) + tuple(str(a) for a in args), cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def test_a_restored_snapshot_holds_whole_working_clones(github_emulator, backup_env, tmp_path, capsys,
                                                        gitim_installed):
    """The real CLI: a first run (git and LFS served about the organization's data once), its
    snapshot restored elsewhere (the cache gone): every
    working clone passes `git fsck` and is at GitHub's head, needing nothing outside itself."""
    import shutil

    from tests.support.cli import restore, run_backup
    from tests.support.truth_compare import compare_org

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
