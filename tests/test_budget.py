"""The API budget planner: pure tests of the plan, then runs against the emulator with a small
hourly limit (rate_limit fault): deferred metadata, git data of every repository, convergence."""

from __future__ import annotations

import json
import re
import threading
import time

from orgbackup.tools import process
from orgbackup.backup.planning.budget import Candidate, estimate, fair_order, plan_budget, reserve_for
from tests.github_emulator.truth import truth
from tests.helpers_cli import ORG, restore, run_backup, snapshots
from tests.truth_compare import compare_org


def c(name, repo_id, cost, last=None):
    return Candidate(name, repo_id, cost, last)


def test_fair_order_never_captured_first_then_oldest_capture():
    order = fair_order([c("new-b", 9, 10), c("old", 1, 10, "2026-01-02T00:00:00Z"),
                        c("older", 2, 10, "2026-01-01T00:00:00Z"), c("new-a", 3, 10)])
    assert [x.name for x in order] == ["new-a", "new-b", "older", "old"]


def test_everything_fits_nothing_deferred():
    plan = plan_budget([c("a", 1, 30), c("b", 2, 40)], remaining=5000, limit=5000, reset=0)
    assert plan.granted == ["a", "b"] and plan.deferred == []
    assert plan.needed == plan.planned == 70


def test_reserve_is_kept_and_the_rest_deferred_in_fair_order():
    assert reserve_for(5000) == 500 and reserve_for(100) == 50
    candidates = [c("a", 1, 40), c("b", 2, 40), c("c", 3, 40, "2026-01-01T00:00:00Z")]
    plan = plan_budget(candidates, remaining=140, limit=5000, reset=1700000000)
    # 140 less a reserve of 500: nothing fits
    assert plan.granted == [] and plan.deferred == ["a", "b", "c"]
    plan = plan_budget(candidates, remaining=140, limit=200, reset=1700000000)
    assert plan.reserve == 50 and plan.granted == ["a", "b"] and plan.deferred == ["c"]
    assert "deferred 1 repositories' metadata: API budget 140 left of 200, resets " in plan.message()


def test_what_unchanged_repositories_spend_anyway_is_kept_too():
    plan = plan_budget([c("a", 1, 40), c("b", 2, 40)], remaining=200, limit=200, reset=0, fixed=80)
    assert plan.reserve == 130 and plan.granted == ["a"] and plan.deferred == ["b"]


def test_first_fit_passes_over_a_large_one_for_smaller_ones():
    plan = plan_budget([c("big", 1, 300), c("small", 2, 20)], remaining=200, limit=1000, reset=0)
    assert plan.granted == ["small"] and plan.deferred == ["big"]


def test_one_larger_than_a_whole_hour_goes_alone_when_it_heads_the_order():
    plan = plan_budget([c("huge", 1, 900), c("small", 2, 20)], remaining=1000, limit=1000, reset=0)
    assert plan.granted == ["huge"] and plan.deferred == ["small"]


def test_unknown_budget_grants_everything():
    plan = plan_budget([c("a", 1, 30)], remaining=None, limit=None, reset=None)
    assert plan.granted == ["a"] and plan.deferred == []


def test_estimates_first_capture_costs_more_than_a_changed_one():
    repo = {"open_issues_count": 10}
    assert estimate(repo, None) == 55
    assert estimate(repo, "2026-01-01T00:00:00Z") < estimate(repo, None)
    # With GitHub's counts: what the capture asks (empty listings are not asked for)
    empty = dict.fromkeys(("issues", "pulls", "milestones", "labels", "releases", "rulesets"), 0)
    assert estimate(repo, None, empty) == 7
    # 7 fixed, a page of labels, 110 items: 2 pages, comments and events 4 pages each; 10 pull
    # requests: a page of them, a page of review comments, 3 each
    assert estimate(repo, None, {**empty, "labels": 9, "issues": 100, "pulls": 10}) == 7 + 1 + 10 + 32
    assert estimate(repo, None, {**empty, "releases": 3}) == 7 + 1 + 3 * 3  # each release's assets
    assert estimate({"has_pages": True}, None, empty) == 8


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


def test_a_stop_ends_the_wait_for_the_reset(github_emulator, backup_env, capsys):
    env = dict(backup_env, BACKUP_WAIT_FOR_RATE_LIMIT="true")
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
