"""The metrics (orgbackup/monitoring/metrics.py): a complete organization in a failed run (the
textfile itself, checked by promtool: tests/integration/monitoring/test_metrics.py)."""

from __future__ import annotations

from orgbackup.monitoring import metrics
from orgbackup.results import OrgResult, RunResult


def result(command: str, status: int, *orgs: OrgResult, seconds: float = 12.5) -> RunResult:
    return RunResult(command, status, seconds=seconds, orgs=list(orgs), summary="the summary", api_requests=40)


def test_a_complete_org_in_a_failed_run_takes_the_run_status_only_when_no_org_explains_it():
    complete = OrgResult("a", "complete")
    # verify after backup failed: nothing in the organizations says why, so the run's status stands
    assert metrics.run_samples(result("backup", 1, complete), 1.0)["orgbackup_run_status"] == {"a": 1.0}
    both = metrics.run_samples(result("backup", 1, complete, OrgResult("b", "failed")), 1.0)
    assert both["orgbackup_run_status"] == {"a": 0.0, "b": 1.0}


def test_the_months_lfs_bytes_and_the_budget_are_gauges_the_budget_only_when_set():
    lfs = {"month": "2026-12", "limit": 80000, "used": 78003, "downloaded": 78003, "deferred_bytes": 92000,
           "deferred_repositories": 1, "reset": "2027-01-01"}
    samples = metrics.run_samples(result("backup", 3, OrgResult("a", "incomplete", lfs=lfs),
                                         OrgResult("b", "complete", lfs=dict(lfs, limit=None, deferred_bytes=0))), 1.0)
    assert samples["orgbackup_lfs_month_bytes"] == {"a": 78003, "b": 78003}
    assert samples["orgbackup_lfs_budget_bytes"] == {"a": 80000}
    assert samples["orgbackup_lfs_deferred_bytes"] == {"a": 92000, "b": 0}


def test_the_second_copy_has_a_status_and_a_last_success_only_where_there_is_a_copy():
    samples = metrics.run_samples(result("backup", 3, OrgResult("a", "complete", copy={"state": "copied"}),
                                         OrgResult("b", "incomplete", copy={"state": "failed", "reason": "x"}),
                                         OrgResult("c", "complete")), 7.0)
    assert samples["orgbackup_copy_status"] == {"a": 0.0, "b": 1.0}
    # A failed copy keeps the previous success (the textfile's merge, the Pushgateway's pushadd).
    assert samples["orgbackup_copy_last_success_timestamp_seconds"] == {"a": 7.0}
    assert "orgbackup_copy_status" in metrics.known_help()
    assert "orgbackup_verify_copy_status" not in metrics.known_help()
