"""A damaged clone in the cache heals in the verify-and-repair stage; a stop, or a clone git cannot
read, deletes nothing (orgbackup/backup/stages/verify_repair.py, orgbackup/git/clones.py).

Real git, git-lfs and github-backup 0.40.0 against the GitHub emulator (the whole run:
tests/end_to_end/test_cache_heals.py)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from pathlib import Path

from orgbackup.tools import process
from orgbackup.backup.stages import verify_repair as vr
from tests.support.run_context import (ORG, backup_and_verify, fsck_full, git_refs, make_context, truncate_largest_pack,
                                      truth_repos)


def files(root: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under `root`."""
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def backed_up(emu, tmp_path, monkeypatch):
    """A first run of github-backup and verify-and-repair into a fresh cache: (context, repositories)."""
    ctx = make_context(emu, tmp_path, monkeypatch)
    repos, _, _, problems = backup_and_verify(ctx)
    assert problems == []
    return ctx, repos


def expected_refs(truth: dict, name: str) -> dict[str, str]:
    return {r: s for r, s in truth[name]["refs"].items() if r.startswith(("refs/heads/", "refs/tags/"))}


def test_a_truncated_pack_heals_and_intact_lfs_objects_are_not_fetched_again(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    ctx, repos = backed_up(emu, tmp_path, monkeypatch)
    paths = ctx.org_paths(ORG)
    victims = ("assets-lfs", "godot")
    lfs_before = files(paths.repository_dir("assets-lfs") / "repository" / ".git" / "lfs" / "objects")
    assert lfs_before
    for name in victims:
        truncate_largest_pack(paths.repository_dir(name) / "repository")
        assert fsck_full(paths.repository_dir(name) / "repository" / ".git").returncode != 0

    ctx2 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    emu.reset_counters()
    records, problems2 = vr.verify_and_repair(ctx2, ORG, repos)
    assert problems2 == []
    truth = truth_repos(emu)
    for name in victims:
        clone = paths.repository_dir(name) / "repository"
        checked = fsck_full(clone / ".git")
        assert checked.returncode == 0, (name, checked.stderr)
        assert git_refs(clone) == expected_refs(truth, name) == records[name]["refs"]
        assert not (clone.parent / "repository.new").exists() and not (clone.parent / "repository.old").exists()
    assert (paths.repository_dir("godot") / "repository" / "README.md").is_file()
    assert emu.counters()["lfs"] == 0  # the intact LFS objects were kept, not downloaded again
    assert files(paths.repository_dir("assets-lfs") / "repository" / ".git" / "lfs" / "objects") == lfs_before
    assert records["assets-lfs"]["lfs_objects"] == len(truth["assets-lfs"]["lfs_oids"])


def test_an_unchanged_whole_clone_is_not_checked_again(github_emulator, tmp_path, monkeypatch):
    """The memo: nothing changed on disk or on GitHub, so no git fsck runs."""
    emu = github_emulator
    ctx, repos = backed_up(emu, tmp_path, monkeypatch)
    ran = []
    real_run = process.run

    def recording_run(argv, **kwargs):
        ran.append(tuple(argv))
        return real_run(argv, **kwargs)

    monkeypatch.setattr(process, "run", recording_run)
    ctx2 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    assert vr.verify_and_repair(ctx2, ORG, repos)[1] == []
    assert not [a for a in ran if "fsck" in a or "verify-pack" in a]


def stop_at_first_git_command_on_a_clone(monkeypatch) -> None:
    """The run stops (SIGTERM: process.stop_all) right after the first ls-remote, as
    the stage starts looking at the clones; from then on every command refuses to start."""
    real_run = process.run

    def run(argv, **kwargs):
        if "ls-remote" not in argv:
            process.stop_all()
        return real_run(argv, **kwargs)

    monkeypatch.setattr(process, "run", run)


def test_a_stop_during_verify_and_repair_deletes_nothing(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    ctx, repos = backed_up(emu, tmp_path, monkeypatch)
    repositories = ctx.org_paths(ORG).github_backup / "repositories"
    truncate_largest_pack(repositories / "godot" / "repository")  # damage must not be "healed" by a stop
    before = files(repositories)

    ctx2 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    stop_at_first_git_command_on_a_clone(monkeypatch)
    try:
        records, problems2 = vr.verify_and_repair(ctx2, ORG, repos)
    finally:
        process.reset_stop()
    assert problems2  # what could not be checked is said
    assert files(repositories) == before


def test_a_clone_git_refuses_to_read_is_left_as_it_is(github_emulator, tmp_path, monkeypatch):
    """"dubious ownership" (the clone belongs to another user) is no reason to clone again."""
    emu = github_emulator
    ctx, repos = backed_up(emu, tmp_path, monkeypatch)
    clone = ctx.org_paths(ORG).repository_dir("godot") / "repository"
    before = files(clone)
    subprocess.run(["chown", "-R", "4242:4242", str(clone)], check=True)
    refused = subprocess.run(["git", "-C", str(clone), "rev-parse", "--absolute-git-dir"], capture_output=True, text=True)
    assert "dubious ownership" in refused.stderr

    ctx2 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    records, problems2 = vr.verify_and_repair(ctx2, ORG, repos)
    assert [(p.repo, p.part) for p in problems2] == [("godot", "repository")]
    assert "dubious ownership" in problems2[0].message
    assert files(clone) == before
    assert clone.stat().st_uid == 4242  # untouched, not replaced


def test_a_half_made_new_clone_is_removed_and_the_original_is_untouched(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    ctx, repos = backed_up(emu, tmp_path, monkeypatch)
    paths = ctx.org_paths(ORG)
    clone = paths.repository_dir("godot") / "repository"
    before = files(clone)
    half = clone.parent / "repository.new"
    subprocess.run(["git", "init", "--quiet", str(half)], check=True)
    (half / "half-made").write_text("an earlier run stopped while cloning\n")
    # Stopped between the two renames of a swap: only the old clone is left, as repository.old.
    wiki = paths.repository_dir("docs") / "wiki"
    wiki_before = files(wiki)
    wiki.rename(wiki.parent / "wiki.old")

    ctx2 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    records, problems2 = vr.verify_and_repair(ctx2, ORG, repos)
    assert problems2 == []
    assert not half.exists()
    assert files(clone) == before
    assert not (wiki.parent / "wiki.old").exists()
    assert files(wiki) == wiki_before


def test_sigterm_while_a_clone_is_made_again_keeps_the_old_one_and_the_next_run_heals(
        github_emulator, tmp_path, monkeypatch):
    """process.stop_all() (what SIGTERM does) from another thread, at whatever moment it lands."""
    emu = github_emulator
    ctx, repos = backed_up(emu, tmp_path, monkeypatch)
    repositories = ctx.org_paths(ORG).github_backup / "repositories"
    godot = repositories / "godot" / "repository"
    truncate_largest_pack(godot)
    before = files(repositories)
    emu.set_faults(latency_ms=150)  # so that the stop lands while git talks to GitHub

    ctx2 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    timer = threading.Timer(1.5, process.stop_all)
    timer.start()
    try:
        vr.verify_and_repair(ctx2, ORG, repos)
    finally:
        timer.cancel()
        process.reset_stop()
    after = files(repositories)
    godot_prefix = "godot/repository/"
    lost = {p for p in before if p not in after and not p.startswith(godot_prefix)}
    assert lost == set()
    godot_before = {p: h for p, h in before.items() if p.startswith(godot_prefix)}
    healed = fsck_full(godot / ".git").returncode == 0
    assert healed or all(after.get(p) == h for p, h in godot_before.items())  # swapped in whole, or untouched

    emu.set_faults()
    ctx3 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    records, problems = vr.verify_and_repair(ctx3, ORG, repos)
    assert problems == []
    assert fsck_full(godot / ".git").returncode == 0
    assert git_refs(godot) == expected_refs(truth_repos(emu), "godot")
    assert not list(repositories.glob("*/*.new")) and not list(repositories.glob("*/*.old"))
