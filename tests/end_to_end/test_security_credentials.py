"""A repository writer must never get the token (docs/security.md), over whole backup runs: a
.lfsconfig naming another server gets nothing on the first clone and on a cached one; a
dependency outside the organization gets no token and no foreign LFS (real git, git-lfs,
github-backup, restic, the emulator and an attacker's HTTPS server on loopback whose
certificate the clients trust: tests/support/attacker_server.py)."""

from __future__ import annotations

from pathlib import Path

from tests.support.attacker_server import plant_lfsconfig
from tests.support.cli import ORG, restore, run_backup
from tests.support.snapshot import install_lfs_filters
from tests.support.truth_compare import compare_org


LFS_REPO = "assets-lfs"


def test_a_lfsconfig_naming_another_server_gets_nothing_on_the_first_clone_and_on_a_cached_one(
        github_emulator, world_root, backup_env, attacker, tmp_path, capsys):
    """Two whole backups (the first clones, then the cached clones and gitim's working clones)
    of an organization where one repository's .lfsconfig names the attacker's server: the server
    hears nothing, every LFS object comes from GitHub, and the report names the repository."""
    install_lfs_filters()  # as in the image: checkouts run git-lfs's smudge filter
    data = plant_lfsconfig(world_root, ORG, LFS_REPO, attacker.url)
    for night in (1, 2):
        status, summary, _ = run_backup(backup_env, capsys)
        assert attacker.requests() == [], night
        assert status == 3, summary
        problems = summary["orgs"][0]["problem_list"]
        assert any(f"{ORG}/{LFS_REPO}" in p and f"sends Git LFS to {attacker.url}/lfs" in p for p in problems), problems
        assert all(LFS_REPO in p for p in problems), problems
    cache = Path(backup_env["BACKUP_CACHE_DIR"])
    assert [p for p in cache.rglob("config") if attacker.host in p.read_text(errors="replace")] == []
    restored = restore(backup_env, summary["orgs"][0]["snapshot_id"], tmp_path / "restored")
    planted = restored / "gitim" / ORG / LFS_REPO / "planted.bin"
    assert planted.read_bytes() == data  # checked out from the object github-backup took from GitHub
    assert compare_org(ORG, github_emulator.truth(), restored) == []


def test_a_dependency_outside_the_organization_gets_no_token_and_no_foreign_lfs(
        github_emulator, world_root, backup_env, attacker, capsys):
    """upstream-deps/libfoo (a submodule of godot; anyone can own such a repository) gets a
    .lfsconfig naming the attacker: the dependency is mirrored anonymously, its Git LFS objects
    come from its own server, and the attacker hears nothing."""
    plant_lfsconfig(world_root, "upstream-deps", "libfoo", attacker.url)
    status, summary, _ = run_backup(backup_env, capsys)
    assert attacker.requests() == []
    mirror = Path(backup_env["BACKUP_CACHE_DIR"]) / ORG / "dependencies" / github_emulator.host.replace(":", "_") / \
        "upstream-deps" / "libfoo.git"
    objects = list((mirror / "lfs" / "objects").rglob("*"))
    assert [p for p in objects if p.is_file()], "the dependency's LFS object came from its own server"
    assert status == 0, summary
