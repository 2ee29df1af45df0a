"""The github-backup stage (orgbackup/backup/stages/github_backup.py): real github-backup 0.40.0
runs against the emulator (its pure builders and parsing: tests/unit/backup/stages/test_github_backup.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from orgbackup.backup.planning import changes
from orgbackup.backup.stages import github_backup as gb
from tests.support.run_context import ORG, make_context, with_config


def test_per_repository_runs_land_in_the_real_folders_and_unchanged_reruns_skip(
        github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    ctx = make_context(emu, tmp_path, monkeypatch)
    repos = ctx.api.org_repositories(ORG)
    names = sorted(r["name"] for r in repos)

    emu.reset_counters()
    first = gb.back_up_repositories(ctx, ORG, repos, hooks=True)
    first_api = emu.counters()["api"]
    assert first.problems == []
    assert sorted(first.captured.ran) == names and first.captured.skipped == []
    assert set(first.captured.reasons.values()) == {"new"}

    paths = ctx.org_paths(ORG)
    godot = paths.repository_dir("godot")
    # github-backup followed the per-run symlink: the data is in the real folder.
    run_link = gb.run_dir(ctx, ORG, "godot") / "repositories" / "godot"
    assert run_link.is_symlink() and Path(os.readlink(run_link)) == godot
    assert not godot.is_symlink()
    assert (godot / "repository" / ".git").is_dir()
    assert len(list((godot / "issues").glob("*.json"))) == 125
    assert len(list((godot / "pulls").glob("*.json"))) == 5
    assert json.loads((godot / "hooks" / "hooks.json").read_text())[0]["name"] == "web"
    assert sorted(p.name for p in (godot / "releases" / "v1.0").iterdir()) == ["godot-linux.bin", "godot-windows.bin"]
    assert (gb.run_dir(ctx, ORG, "godot") / "last_update").exists()
    # The empty repository: an empty clone, no problem.
    empty = paths.repository_dir("empty") / "repository"
    assert (empty / ".git").is_dir()
    # The log is kept, without the token.
    log_text = gb.log_path(ctx, ORG, "godot").read_text()
    assert "Retrieving V-Sekai/godot issues" in log_text
    # --as-app: no GET /user per repository (an organization's backup never needs the login)
    assert "Backing up user" not in log_text and "--as-app" in gb.argv_for(ctx, ORG, "godot", godot, hooks=True)
    assert emu.admin_token not in log_text

    godot_state = ctx.state_store().row_for(ORG, next(r for r in repos if r["name"] == "godot"))
    assert godot_state.activity_mark and godot_state.last_run

    # Nothing changed: a new run asks one GraphQL question per 50 repositories and skips all.
    ctx2 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    emu.reset_counters()
    second = gb.back_up_repositories(ctx2, ORG, repos, hooks=True)
    assert second.captured.ran == [] and sorted(second.captured.skipped) == names and second.problems == []
    assert emu.counters()["api"] == emu.counters()["graphql"] == -(-len(repos) // changes.ACTIVITY_BATCH)
    assert emu.counters()["git"] == 0
    # The decision is shared: asking again within the same run costs nothing.
    emu.reset_counters()
    assert all(v is None for v in changes.change_decisions(ctx2, ORG, repos).values())
    assert emu.counters()["api"] == 0
    print(f"API requests: first run {first_api}, unchanged re-run {-(-len(repos) // changes.ACTIVITY_BATCH)}")

    # full_refresh_days=0 runs everything again; an incremental run keeps the data.
    ctx3 = with_config(make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir), full_refresh_days=0)
    third = gb.back_up_repositories(ctx3, ORG, [r for r in repos if r["name"] == "godot"], hooks=False)
    assert third.captured.ran == ["godot"] and third.problems == []
    # It was incremental: github-backup asked for issues since the mark (GitHub's clock).
    mark = quote(godot_state.activity_mark, safe="")
    assert f"since={mark}" in gb.log_path(ctx, ORG, "godot").read_text()
    assert len(list((godot / "issues").glob("*.json"))) == 125


def test_api_failure_is_a_problem_of_that_repository(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    # The reader token cannot read hooks: 0.40.0 ends the run on that 404.
    ctx = make_context(emu, tmp_path, monkeypatch, token=emu.reader_token, parts=("labels",), hooks="on")
    repos = [r for r in ctx.api.org_repositories(ORG) if r["name"] in ("godot", "game")]
    result = gb.back_up_repositories(ctx, ORG, repos, hooks=True)
    assert sorted(result.captured.ran) == ["game", "godot"]
    assert {p.repo for p in result.problems} == {"game", "godot"}
    assert all(p.part == "github-backup" for p in result.problems)
    assert any("exited with 1" in p.message for p in result.problems)
    assert any("API request returned HTTP 404" in p.message for p in result.problems)
    # A failed run does not count as done: the next run tries again.
    assert ctx.state_store().row_for(ORG, next(r for r in repos if r["name"] == "godot")).last_run is None
    again = gb.back_up_repositories(make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir,
                                              token=emu.reader_token, parts=("labels",)),
                                 ORG, repos, hooks=False)
    assert sorted(again.captured.ran) == ["game", "godot"] and again.problems == []
