"""Timeouts on progress, not on the wall clock: a slow but steady transfer is never
ended, a stalled one is, with a message that says so (real git, real github-backup,
the emulator's throttle_bytes_per_second and stall_seconds faults)."""
from __future__ import annotations

import time

from orgbackup.tools import process
from orgbackup.git import argv as git
from orgbackup.git.environment import anonymous_git_environment
from orgbackup.backup.stages.dependencies import mirror_dependencies
from tests.support.run_context import make_context
from tests.support.dependencies import app_using_libfoo, mirror_refs

STALL_SECONDS = 3
TRICKLE = 200  # bytes/s: the libfoo mirror (~1.6 KB of git responses) takes ~8 s
GITIM_TRICKLE = 1000  # bytes/s: gitim's silent clones of V-Sekai take ~10 s, godot's alone > 3 s


def test_a_slow_steady_dependency_fetch_is_not_ended(github_emulator, world_root, tmp_path, monkeypatch):
    """~8 s at a trickle with a 3 s stall budget: completes (a 3 s wall-clock limit ends it)."""
    ctx = make_context(github_emulator, tmp_path, monkeypatch, orgs=("acme",), stall_seconds=STALL_SECONDS,
                       dependencies_depth=1)
    app_using_libfoo(ctx, github_emulator, world_root)
    github_emulator.set_faults(throttle_bytes_per_second=TRICKLE)
    started = time.monotonic()
    result, problems = mirror_dependencies(ctx, "acme", [{"name": "app"}])
    elapsed = time.monotonic() - started
    assert problems == [] and result["commits_present"] == 1
    assert elapsed > 2 * STALL_SECONDS, elapsed  # clearly longer than the budget
    mirror = ctx.org_paths("acme").root / result["items"][0]["path"]
    assert mirror_refs(mirror)


def test_a_slow_steady_clone_is_not_ended_and_a_stalled_one_is(github_emulator, tmp_path, monkeypatch):
    """git itself (the low-speed limit in every git environment) tells slow from stalled."""
    make_context(github_emulator, tmp_path, monkeypatch)  # hermetic git, emulator CA
    url = git.repo_url(github_emulator.base_url, "upstream-deps", "libfoo")
    env = anonymous_git_environment(STALL_SECONDS)
    github_emulator.set_faults(throttle_bytes_per_second=TRICKLE)
    started = time.monotonic()
    process.run(git.clone(url, tmp_path / "slow"), env=env)
    assert time.monotonic() - started > 2 * STALL_SECONDS
    assert (tmp_path / "slow" / ".git").is_dir()

    github_emulator.set_faults(stall_seconds=30)
    started = time.monotonic()
    result = process.run(git.clone(url, tmp_path / "stalled"), env=env, check=False)
    assert not result.ok and time.monotonic() - started < 15
    assert git.failure_reason(result.stderr).startswith("the transfer stalled and was ended")


def test_gitim_cloning_slowly_and_silently_is_not_ended(github_emulator, tmp_path, monkeypatch):
    """gitim prints one line per repository, then its git clone says nothing while the
    bytes trickle in: the watchdog counts those bytes, so gitim finishes."""
    from orgbackup.backup.stages import gitim as gitim_stage

    ctx = make_context(github_emulator, tmp_path, monkeypatch, stall_seconds=STALL_SECONDS)
    # the two largest repositories: enough silent seconds, not the whole organization's (a minute)
    repos = [r for r in ctx.api.org_repositories("V-Sekai") if r["name"] in ("godot", "game")]
    github_emulator.set_faults(throttle_bytes_per_second=GITIM_TRICKLE)
    started = time.monotonic()
    assert gitim_stage.clone_with_gitim(ctx, "V-Sekai", repos).problems == []
    assert time.monotonic() - started > 2 * STALL_SECONDS
    assert (ctx.org_paths("V-Sekai").gitim_clone("V-Sekai", "godot") / ".git").is_dir()


def test_a_stalled_tool_is_ended_with_a_clear_problem(github_emulator, tmp_path, monkeypatch):
    """The API stops answering (every request waits 30 s): gitim is ended after the stall budget."""
    from orgbackup.backup.stages import gitim as gitim_stage

    ctx = make_context(github_emulator, tmp_path, monkeypatch, stall_seconds=2)
    repos = ctx.api.org_repositories("V-Sekai")
    github_emulator.set_faults(latency_ms=30000)
    started = time.monotonic()
    problems = gitim_stage.clone_with_gitim(ctx, "V-Sekai", repos).problems
    assert time.monotonic() - started < 15
    assert len(problems) == 1 and "made no progress for 2 s" in problems[0].message, problems
