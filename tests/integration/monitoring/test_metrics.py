"""The metrics' textfile (orgbackup/monitoring/metrics.py): it keeps the last success and the other
commands' series, and promtool reads its format."""

from __future__ import annotations

import shutil
import subprocess

from orgbackup.monitoring import metrics
from orgbackup.results import OrgResult, RunResult
from tests.support.monitoring import read_textfile


def result(command: str, status: int, *orgs: OrgResult, seconds: float = 12.5) -> RunResult:
    return RunResult(command, status, seconds=seconds, orgs=list(orgs), summary="the summary", api_requests=40)


def test_the_textfile_keeps_the_last_success_and_the_other_commands_series(tmp_path):
    path = tmp_path / "orgbackup.prom"
    complete = OrgResult("Acme", "complete", repositories=7, bytes_added=2048, snapshot_id="abcd1234")
    metrics.write_textfile(path, metrics.run_samples(result("backup", 0, complete, OrgResult("Other", "complete")), 1000.0))
    first = read_textfile(path)
    assert first[("orgbackup_last_success_timestamp_seconds", "acme")] == 1000.0
    assert first[("orgbackup_repositories", "acme")] == 7 and first[("orgbackup_bytes_added", "acme")] == 2048
    assert first[("orgbackup_api_requests", "acme")] == 40 and first[("orgbackup_duration_seconds", "acme")] == 12.5

    # Acme fails, Other is complete: Acme's last success stays at 1000 (not 0), Other's moves on.
    failed = OrgResult("Acme", "failed", problems=["GitHub said no"])
    metrics.write_textfile(path, metrics.run_samples(result("backup", 1, failed, OrgResult("Other", "complete")), 2000.0))
    second = read_textfile(path)
    assert second[("orgbackup_last_success_timestamp_seconds", "acme")] == 1000.0
    assert second[("orgbackup_last_run_timestamp_seconds", "acme")] == 2000.0
    assert second[("orgbackup_run_status", "acme")] == 1 and second[("orgbackup_problems", "acme")] == 1
    assert second[("orgbackup_run_status", "other")] == 0
    assert second[("orgbackup_last_success_timestamp_seconds", "other")] == 2000.0

    # A run that ends before any organization (bad token): every organization of GITHUB_ORGS failed.
    early = RunResult("backup", 1, seconds=0.4, summary="GitHub rejected the token")
    metrics.write_textfile(path, metrics.run_samples(early, 2500.0, ("acme", "Other")))
    third = read_textfile(path)
    assert third[("orgbackup_run_status", "other")] == 1
    assert third[("orgbackup_last_success_timestamp_seconds", "other")] == 2000.0
    assert third[("orgbackup_repositories", "acme")] == second[("orgbackup_repositories", "acme")]  # not counted

    # A verify run writes its own series and leaves the backup's as they were.
    metrics.write_textfile(path, metrics.run_samples(result("verify", 0, OrgResult("Acme", "complete")), 3000.0))
    fourth = read_textfile(path)
    assert fourth[("orgbackup_verify_last_success_timestamp_seconds", "acme")] == 3000.0
    assert fourth[("orgbackup_verify_run_status", "acme")] == 0
    assert fourth[("orgbackup_run_status", "acme")] == 1
    assert fourth[("orgbackup_last_success_timestamp_seconds", "acme")] == 1000.0
    assert not list(tmp_path.glob("orgbackup.prom.*"))  # no temporary file left behind
    # The file is what node_exporter reads: promtool checks its format.
    if shutil.which("promtool"):
        check = subprocess.run(["promtool", "check", "metrics"], input=path.read_text(),
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
