"""The github-backup stage: argument tuples, output parsing, change detection, and
real github-backup 0.40.0 runs against the emulator."""
from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from orgbackup.config.settings import ALL_PARTS
from orgbackup.cache.state_store import RepoState
from orgbackup.backup.planning import changes
from orgbackup.backup.stages import github_backup as gb
from tests.helpers_run import ORG, make_context, with_config

OUT = Path("/cache/.state/V-Sekai/github-backup-runs/godot")


def argv(**kw):
    values = dict(output_dir=OUT, parts=ALL_PARTS, hooks=False,
                  github_host=None, prefer_ssh=False)
    values.update(kw)
    return gb.github_backup_argv(ORG, "godot", **values)


# ---------------------------------------------------------------- pure builders


def test_argv_asks_every_part_explicitly_never_all():
    assert argv() == gb.RUNNER + (
        "V-Sekai", "--organization",
        "-o", str(OUT),
        "--incremental", "--private", "--fork", "--lfs",
        "-R", "godot",
        "--repositories", "--wikis",
        "--issues", "--issue-comments", "--issue-events",
        "--pulls", "--pull-comments", "--pull-commits", "--pull-details",
        "--milestones", "--labels", "--releases", "--assets",
        "--as-app",  # no GET /user per repository
    )
    assert "--all" not in argv(hooks=True)


def test_argv_parts_hooks_host_and_ssh():
    only = argv(parts=("releases",), hooks=True, github_host="ghe.example.com:8443", prefer_ssh=True)
    assert only[only.index("--repositories"):] == (
        "--repositories", "--releases", "--hooks", "-H", "ghe.example.com:8443", "--prefer-ssh", "--as-app")
    assert "--assets" not in argv(parts=("releases",))
    assert "--assets" not in argv(parts=("assets",))  # assets only come with releases
    assert argv(parts=())[-2:] == ("--repositories", "--as-app")


def test_argv_carries_no_token():
    assert not any("ghp_" in a for a in argv())


def test_problems_in_output():
    text = (
        "2026-11-25T03:00:00.000: Requesting https://h/api/v3/repos/V-Sekai/godot/issues?per_page=100\n"
        "2026-11-25T03:00:01.000: Skipping godot (https://*****:x-oauth-basic@h/V-Sekai/godot.wiki.git) since it's not initialized\n"
        "git returned 128:\n\t git lfs clone https://***:x-oauth-basic@h/V-Sekai/godot.git /x\n"
        "2026-11-25T03:00:02.000: API request returned HTTP 404: Not Found\n"
        "2026-11-25T03:00:03.000: Skipping download of asset https://h/a/1 due to HTTPError: Not Found\n"
        "git returned 0:\n"
    )
    assert gb.problems_in_output(text) == [
        "API request returned HTTP 404: Not Found",
        "git returned 128:",
        "Skipping download of asset https://h/a/1 due to HTTPError: Not Found",
    ]
    assert gb.problems_in_output("Backing up user V-Sekai\n") == []


def test_change_reason():
    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    repo = {"pushed_at": "2026-11-20T00:00:00Z", "updated_at": "2026-11-19T00:00:00Z"}
    entry = RepoState("o", 1, "r", "r", pushed_at=repo["pushed_at"], updated_at=repo["updated_at"],
                      last_run="2026-11-24T00:00:00Z")
    reason = lambda e, r=repo, days=7: changes.change_reason(e, r, full_refresh_days=days, now=now)  # noqa: E731
    assert reason(None) == "new"
    assert reason(RepoState("o", 1, "r", "r")) == "new"
    assert reason(entry) is None
    assert reason(entry, {**repo, "pushed_at": "2026-11-24T10:00:00Z"}) == "pushed"
    assert reason(entry, {**repo, "updated_at": "2026-11-24T10:00:00Z"}) == "updated"
    assert reason(entry, days=0).startswith("full refresh")
    assert reason(replace(entry, last_run="2026-11-10T00:00:00Z")).startswith("full refresh")
    # Spread over the nights: of 700 repositories run yesterday, those whose id falls on tonight.
    due = [i for i in range(700) if reason(replace(entry, repo_id=i), {**repo, "id": i})]
    assert len(due) == 100 and all((now.date().toordinal() - i) % 7 == 0 for i in due)
    assert reason(replace(entry, repo_id=due[0], last_run="2026-11-25T00:00:00Z"), {**repo, "id": due[0]}) is None


def test_activity_reason_uses_githubs_clock():
    assert changes.latest_activity([]) is None
    assert changes.latest_activity([{"updated_at": "2023-12-01T00:00:00Z"}, {"updated_at": "2023-12-02T00:00:00Z"}]) \
        == "2023-12-02T00:00:00Z"
    assert changes.activity_reason(None, None) is None
    assert changes.activity_reason(None, "2023-12-01T00:00:00Z")
    assert changes.activity_reason("2023-12-01T00:00:00Z", "2023-12-01T00:00:00Z") is None
    assert changes.activity_reason("2023-12-01T00:00:00Z", "2023-12-01T00:00:01Z")


# --------------------------------------------------------- against the emulator


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


def test_longest_repositories_are_expected_first():
    from orgbackup.backup.stages.github_backup import expected_seconds

    busy = {"name": "godot", "open_issues_count": 120, "size": 900}
    quiet = {"name": "docs", "open_issues_count": 0, "size": 10}
    assert expected_seconds(busy, None) > expected_seconds(quiet, None)
    # A measured time beats the guess.
    assert expected_seconds(quiet, RepoState("o", 1, "docs", "docs", seconds=99.0)) == 99.0


def test_an_lfs_fetch_failure_is_recognised_with_its_command_line():
    from orgbackup.backup.stages.github_backup import LFS_FETCH_FAILURE, problems_in_output

    text = ("Updating empty in /cache/repositories/empty/repository\n"
            "git returned 2:\n\t git lfs fetch --all --prune\n"
            "git returned 128:\n\t git fetch --all --force --tags --prune\n")
    left = LFS_FETCH_FAILURE.sub("", text)
    assert problems_in_output(left) == ["git returned 128:"]
    assert problems_in_output(text) == ["git returned 2:", "git returned 128:"]
