"""The API budget over whole backup runs against the emulator with a small hourly limit (the
rate_limit fault): the estimate against what a first run spends, deferred metadata, git data of
every repository, convergence, waiting for the reset (the planner itself:
tests/unit/backup/planning/test_budget.py)."""

from __future__ import annotations

import json
import re
import threading
import time

import pytest

from orgbackup.tools import process
from tests.github_emulator.truth import truth
from tests.support.cli import ORG, restore, run_backup, snapshots
from tests.support.truth_compare import compare_org


def test_the_estimate_follows_what_a_first_run_spends(github_emulator, backup_env, tmp_path, capsys):
    """The planner's estimate of a first run (from GitHub's counts) against the REST requests the
    run made for its repositories (GraphQL has its own budget): never well under (the budget
    would run out before the reserve), not far over (repositories deferred for nothing)."""
    github_emulator.reset_counters()
    status, summary, _ = run_backup(backup_env, capsys)
    assert status == 0, summary
    manifest = json.loads((restore(backup_env, summary["orgs"][0]["snapshot_id"], tmp_path / "r")
                           / "manifest.json").read_text())
    needed = manifest["budget"]["needed"]
    routes = github_emulator.routes()
    # what the run spends on the organization, not on its repositories
    org_level = sum(n for route, n in routes.items() if route.split()[-1].startswith(("get_org", "list_org", "get_user",
                                                                                      "get_rate_limit", "list_team")))
    spent = github_emulator.counters()["api"] - org_level - routes.get("POST graphql", 0)
    assert 0.9 * spent <= needed <= 1.3 * spent, (needed, spent, routes)


# Against the emulator: real github-backup, git, restic; a small hourly limit (the rate_limit fault).

# The default world's first run spends ~150 REST requests (the repositories' ~136 of them,
# see above): an hour of 160 holds some of the repositories, the rest is deferred.
SMALL_LIMIT = 160


GIT_DATA = re.compile(r"no repository clone|: refs/|LFS object|wiki")


def git_differences(diffs: list[str]) -> list[str]:
    return [d for d in diffs if GIT_DATA.search(d)]


def test_a_first_run_over_the_budget_defers_metadata_then_converges(github_emulator, backup_env, tmp_path, capsys):
    github_emulator.set_faults(rate_limit=SMALL_LIMIT)
    status, summary, _ = run_backup(backup_env, capsys)
    assert status == 3, summary
    org = summary["orgs"][0]
    assert org["status"] == "incomplete"
    line = next(p for p in org["problem_list"] if "deferred" in p)
    assert re.search(rf"deferred \d+ repositories' metadata: API budget \d+ left of {SMALL_LIMIT}, "
                     r"resets \d\d:\d\d UTC", line), line
    expected = truth(github_emulator.root)
    repos = expected["orgs"][ORG]["repos"]
    restored = restore(backup_env, org["snapshot_id"], tmp_path / "restore-1")
    manifest = json.loads((restored / "manifest.json").read_text())
    deferred = manifest["deferred"]
    assert deferred and set(deferred) < set(repos)
    assert manifest["budget"]["limit"] == SMALL_LIMIT and manifest["budget"]["granted"]
    assert all(name in line for name in deferred)
    assert all(manifest["repositories"][name].get("deferred") for name in deferred)
    assert [p["kind"] for p in manifest["problems"]] == ["deferred"]
    # git data of every repository, deferred or not, is in the snapshot; every difference is metadata
    diffs = compare_org(ORG, expected, restored)
    assert git_differences(diffs) == []
    assert diffs and all(d.split(":")[0].split("/")[1] in deferred for d in diffs), diffs
    snapshot = next(s for s in snapshots(backup_env) if s["id"].startswith(org["snapshot_id"]))
    assert "incomplete" in snapshot["tags"]
    # No request was refused: the reserve held
    assert github_emulator.rate("emulator-admin", spend=False)["remaining"] > 0

    # A fresh hour: the deferred come first and the run converges
    github_emulator.new_rate_window()
    status, summary, _ = run_backup(backup_env, capsys)
    assert status == 0, summary
    second = restore(backup_env, summary["orgs"][0]["snapshot_id"], tmp_path / "restore-2")
    assert compare_org(ORG, truth(github_emulator.root), second) == []
    manifest = json.loads((second / "manifest.json").read_text())
    assert manifest["deferred"] == [] and set(deferred) <= set(manifest["budget"]["granted"])


def test_waiting_for_the_reset_instead_of_deferring(github_emulator, backup_env, tmp_path, capsys):
    env = dict(backup_env, BACKUP_WAIT_FOR_RATE_LIMIT="true")
    # The hour's budget is almost spent and resets in a few seconds; a whole hour holds the run.
    github_emulator.set_faults(rate_limit=1000, rate_limit_reset_in=6)
    for _ in range(940):  # 60 left: preflight and the change decisions leave less than the reserve
        github_emulator.rate("emulator-admin", spend=True)
    started = time.monotonic()
    status, summary, _ = run_backup(env, capsys)
    assert status == 0, summary
    assert time.monotonic() - started > 4
    restored = restore(backup_env, summary["orgs"][0]["snapshot_id"], tmp_path / "restore")
    assert compare_org(ORG, truth(github_emulator.root), restored) == []
    manifest = json.loads((restored / "manifest.json").read_text())
    assert manifest["deferred"] == [] and len(manifest["budget"]["granted"]) == 10
    assert manifest["budget"]["remaining"] > 900  # read again after the reset


@pytest.mark.parametrize("setting", [{"BACKUP_WAIT_FOR_RATE_LIMIT": "true"},
                                     {}])  # 600 s: within BACKUP_RATE_LIMIT_MAX_WAIT's default, 900 s
def test_a_stop_ends_the_wait_for_the_reset(github_emulator, backup_env, capsys, setting):
    env = dict(backup_env, **setting)
    github_emulator.set_faults(rate_limit=1000, rate_limit_reset_in=600)
    for _ in range(940):
        github_emulator.rate("emulator-admin", spend=True)
    threading.Timer(5, process.stop_all).start()
    started = time.monotonic()
    try:
        status, summary, _ = run_backup(env, capsys)
    finally:
        process.reset_stop()
    assert status == 1 and time.monotonic() - started < 60
    assert "stopped while waiting for the API budget's reset" in summary["orgs"][0]["problem_list"][-1]


# Issue 29: a reset that comes within BACKUP_RATE_LIMIT_MAX_WAIT (default 900 s) is waited for
# without BACKUP_WAIT_FOR_RATE_LIMIT; one beyond it defers as before.

def spend_all_but(github_emulator, left: int, limit: int = 1000) -> None:
    for _ in range(limit - left):
        github_emulator.rate("emulator-admin", spend=True)


def test_a_reset_within_the_bound_is_waited_for_not_deferred(github_emulator, backup_env, tmp_path, capsys, caplog):
    github_emulator.set_faults(rate_limit=1000, rate_limit_reset_in=8)
    spend_all_but(github_emulator, 60)  # preflight and the change decisions leave less than the reserve
    caplog.set_level("INFO")
    status, summary, seconds = run_backup(backup_env, capsys)
    print(f"exit {status}, {seconds:.0f} s, problems {summary['orgs'][0]['problem_list']}")
    assert status == 0, summary
    assert seconds > 5
    waits = [r.getMessage() for r in caplog.records if "for GitHub's API budget to reset at" in r.getMessage()]
    assert waits and re.search(r"waiting \d+ s for GitHub's API budget to reset at \d\d:\d\d:\d\d UTC", waits[0]), waits
    restored = restore(backup_env, summary["orgs"][0]["snapshot_id"], tmp_path / "restore")
    assert compare_org(ORG, truth(github_emulator.root), restored) == []
    manifest = json.loads((restored / "manifest.json").read_text())
    assert manifest["deferred"] == [] and len(manifest["budget"]["granted"]) == 10


def test_a_reset_beyond_the_bound_still_defers(github_emulator, backup_env, capsys):
    env = dict(backup_env, BACKUP_RATE_LIMIT_MAX_WAIT="30")
    github_emulator.set_faults(rate_limit=1000, rate_limit_reset_in=600)
    spend_all_but(github_emulator, 60)
    status, summary, seconds = run_backup(env, capsys)
    assert status == 3, summary
    line = next(p for p in summary["orgs"][0]["problem_list"] if "deferred" in p)
    assert re.search(r"deferred \d+ repositories' metadata: API budget \d+ left of 1000, resets \d\d:\d\d UTC", line)
    assert seconds < 120  # nothing waited for the reset ten minutes away

