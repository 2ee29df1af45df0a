"""The github-backup runner (orgbackup/tools/github_backup/runner.py) with real github-backup
0.40.0, real git and the HTTPS emulator: no token in any process's arguments or any cached file
during a stage run, release assets repaired after an interrupted run, and the runner starting
without the rest of the package (its pure parts: tests/unit/tools/github_backup/test_runner.py;
two whole runs: tests/end_to_end/test_no_token_in_argv.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from orgbackup.tools import process
from orgbackup.cache import release_files
from orgbackup.tools.github_backup import runner as runner
from orgbackup.git.environment import git_environment
from orgbackup.backup.stages import github_backup as gb
from tests.support.process_watch import CmdlineSampler
from tests.support.run_context import ORG, make_context
from tests.support.truth_compare import files_holding


def test_no_token_in_any_argv_or_cached_file_during_a_whole_stage_run(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    ctx = make_context(emu, tmp_path, monkeypatch)
    repos = ctx.api.org_repositories(ORG)
    token = ctx.config.token.reveal()
    sampler = CmdlineSampler(token)
    sampler.start()
    try:
        result = gb.back_up_repositories(ctx, ORG, repos, hooks=True)
    finally:
        sampler.stop.set()
        sampler.join()
    assert result.problems == []
    assert sampler.samples > 20
    assert sampler.hits == [], f"{len(sampler.hits)} processes held the token: {sorted(set(sampler.hits))}"
    configs = list(ctx.org_paths(ORG).github_backup.rglob(".git/config"))
    assert len(configs) >= len(repos)
    assert files_holding(ctx.cache_dir, token.encode()) == []
    # The private repository still arrived: git asked GIT_ASKPASS.
    private = ctx.org_paths(ORG).repository_dir("private-tools") / "repository"
    assert subprocess.run(["git", "-C", str(private), "rev-parse", "HEAD"], capture_output=True).returncode == 0


def asset_bytes(world_root: Path, asset: dict) -> bytes:
    return (world_root / "assets" / str(asset["id"])).read_bytes()


def godot_assets(ctx) -> list[tuple[Path, dict]]:
    return list(release_files.expected_assets(ctx.org_paths(ORG).repository_dir("godot") / "releases"))


def test_truncated_asset_and_leftovers_are_repaired_on_the_next_run(github_emulator, world_root, tmp_path,
                                                                     monkeypatch):
    emu = github_emulator
    ctx = make_context(emu, tmp_path, monkeypatch, parts=("releases", "assets"))
    godot = [r for r in ctx.api.org_repositories(ORG) if r["name"] == "godot"]
    assert gb.back_up_repositories(ctx, ORG, godot, hooks=False).problems == []
    assets = godot_assets(ctx)
    assert len(assets) >= 2
    # What 0.40.0 leaves when killed mid-download: a truncated file at the final name
    # (and, with the runner, a temporary file).
    (path, asset), (missing, _) = assets[0], assets[1]
    path.write_bytes(path.read_bytes()[: asset["size"] // 2])
    missing.unlink()
    leftover = runner.partial_name(path).with_name(f".{path.name}.99999{runner.PARTIAL_SUFFIX}")
    leftover.write_bytes(b"half")

    ctx2 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir, parts=("releases", "assets"))
    emu.reset_counters()
    second = gb.back_up_repositories(ctx2, ORG, godot, hooks=False)
    assert second.captured.ran == [] and second.problems == []  # unchanged, yet repaired
    assert emu.counters()["assets"] >= 2
    for p, a in godot_assets(ctx2):
        assert p.stat().st_size == a["size"] and p.read_bytes() == asset_bytes(world_root, a), p
    assert not leftover.exists()


def test_killed_while_downloading_an_asset_leaves_no_truncated_file_and_the_next_run_repairs(
        github_emulator, world_root, tmp_path, monkeypatch):
    emu = github_emulator
    ctx = make_context(emu, tmp_path, monkeypatch, parts=("releases", "assets"))
    godot = [r for r in ctx.api.org_repositories(ORG) if r["name"] == "godot"]
    out = gb.prepare_run_dir(ctx, ORG, "godot", None)
    releases = ctx.org_paths(ORG).repository_dir("godot") / "releases"
    emu.set_faults(latency_ms=300)
    proc = subprocess.Popen(gb.argv_for(ctx, ORG, "godot", out, hooks=False),
                            env=process.child_environment(git_environment(ctx.files)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        partial = []
        while not partial and proc.poll() is None and time.monotonic() < deadline:
            partial = list(releases.glob(f"*/*{runner.PARTIAL_SUFFIX}")) if releases.exists() else []
            time.sleep(0.01)
        assert partial, "no asset download was caught in progress"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    emu.set_faults()
    # Atomic: every asset on disk is whole; the interrupted one is only a temporary file.
    for p, a in godot_assets(ctx):
        assert not p.exists() or p.stat().st_size == a["size"], p
    assert any(p.exists() for p in partial)

    ctx2 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir, parts=("releases", "assets"))
    result = gb.back_up_repositories(ctx2, ORG, godot, hooks=False)
    assert result.problems == []
    for p, a in godot_assets(ctx2):
        assert p.read_bytes() == asset_bytes(world_root, a), p
    assert list(releases.rglob(f"*{runner.PARTIAL_SUFFIX}")) == []


def test_the_runner_starts_without_the_rest_of_the_package():
    """One interpreter per repository: the runner imports only what it uses (url_credentials.py
    says why), not the configuration, the secret files or the command runner."""
    shown = subprocess.run(
        [sys.executable, "-c", "import sys, orgbackup.tools.github_backup.runner; "
                               "print(' '.join(sorted(m for m in sys.modules if m.startswith('orgbackup'))))"],
        capture_output=True, text=True, check=True, timeout=60)
    packages = ["orgbackup", "orgbackup.cache", "orgbackup.github", "orgbackup.tools", "orgbackup.tools.github_backup"]
    assert shown.stdout.split() == sorted(packages + [
        "orgbackup.backoff", "orgbackup.tools.github_backup.listings", "orgbackup.tools.github_backup.names",
        "orgbackup.tools.github_backup.runner", "orgbackup.cache.release_files",
        "orgbackup.cache.safe_names", "orgbackup.github.urls"])
