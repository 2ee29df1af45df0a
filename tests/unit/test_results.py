"""One status rule (orgbackup/results.py: org_state): the table, the JSON line, the exit status
and monitoring say the same of an organization. Before, an organization with an integrity
problem and a snapshot was "incomplete" in the summary and the JSON line but failed (exit 1)
for the exit status and monitoring."""

from __future__ import annotations

import json

import pytest

from orgbackup.actions.backup import exit_status_of, org_result
from orgbackup.backup.stages.summary import OrgOutcome, render_table, summary_line
from orgbackup.errors import EXIT_FAILURE, EXIT_INCOMPLETE, EXIT_OK
from orgbackup.monitoring.metrics import run_samples
from orgbackup.results import INTEGRITY, TRANSIENT, UPSTREAM, Problem, RunResult

CASES = [
    ("an integrity problem", dict(snapshot_id="abcd1234", problems=[Problem("o", "r", "integrity", "damaged", INTEGRITY)]),
     "failed", EXIT_FAILURE),
    ("a transient problem", dict(snapshot_id="abcd1234", problems=[Problem("o", "r", "lfs", "missing", TRANSIENT)]),
     "incomplete", EXIT_INCOMPLETE),
    ("a file that held the token", dict(snapshot_id="abcd1234", leaked_files=["x/config"]), "failed", EXIT_FAILURE),
    ("no snapshot", dict(snapshot_id=None), "failed", EXIT_FAILURE),
    ("an error", dict(snapshot_id=None, error="the organization does not exist"), "failed", EXIT_FAILURE),
    ("nothing missing (a known upstream problem does not count)",
     dict(snapshot_id="abcd1234", known_problems=[Problem("o", "r", "dependencies", "gone", UPSTREAM)]),
     "complete", EXIT_OK),
]


@pytest.mark.parametrize("what, fields, state, status", CASES, ids=[c[0] for c in CASES])
def test_every_report_says_the_same_of_an_organization(what, fields, state, status):
    outcome = OrgOutcome("o", **fields)
    exit_status = exit_status_of([outcome])
    assert exit_status == status
    assert outcome.as_dict()["status"] == state
    assert [line.split() for line in render_table(outcome).splitlines() if line.split()[:1] == ["status"]] == \
        [["status", state]]
    line = json.loads(summary_line([outcome], exit_status, 1.0))
    assert line["orgs"][0]["status"] == state and line["exit_status"] == status
    result = RunResult(command="backup", status=exit_status, orgs=[org_result(outcome)])
    assert result.orgs[0].state == state
    run_status = run_samples(result, 0.0)["orgbackup_run_status"]
    assert set(run_status.values()) == {status}, run_status
