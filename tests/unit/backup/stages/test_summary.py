"""The summary's table and JSON line (orgbackup/backup/stages/summary.py): the oldest read."""

from __future__ import annotations

from orgbackup.backup.stages.summary import OrgOutcome, age_text, render_table

METADATA = {
    "settings": {"saved": {"repositories": 3}, "oldest": {"repository": "V-Sekai/godot", "read": "2026-12-04T03:00:00Z",
                                                          "age_seconds": 3 * 86400 + 600}},
    "organization": {"saved": {"members": 4}, "oldest": {"repository": "", "read": "2026-12-07T03:00:00Z",
                                                         "age_seconds": 120}},
    "discussions": {"saved": {"discussions": 2}},
}


def test_the_table_and_the_line_name_the_oldest_read():
    outcome = OrgOutcome("V-Sekai", metadata=METADATA)
    table = render_table(outcome)
    assert "oldest settings" in table and "V-Sekai/godot, read 3 days ago" in table
    assert "the organization, read in the last hour" in table
    assert "oldest discussions" not in table
    line = outcome.as_dict()["oldest_read"]
    assert set(line) == {"settings", "organization"} and line["settings"]["read"] == "2026-12-04T03:00:00Z"


def test_ages_in_words():
    assert age_text(86400) == "1 day ago" and age_text(5 * 3600 + 5) == "5 hours ago"
    assert age_text(59) == "in the last hour" and age_text(None) == "at an unknown time"


def test_the_table_and_the_line_say_where_retention_is_done():
    here = OrgOutcome("V-Sekai", forgotten=2)
    assert "retention" in render_table(here) and "2 snapshots forgotten" in render_table(here)
    assert here.as_dict()["retention"] == "here" and here.as_dict()["forgotten"] == 2
    elsewhere = OrgOutcome("V-Sekai", retention="separate")
    assert "done elsewhere (BACKUP_RETENTION=separate" in render_table(elsewhere)
    assert elsewhere.as_dict()["retention"] == "separate"


def test_the_table_and_the_line_report_the_second_copy_and_a_failed_one_makes_the_night_incomplete():
    from orgbackup.backup.stages.second_copy import COPIED, FAILED, CopyResult, failure_problem

    none = OrgOutcome("V-Sekai", snapshot_id="8f3b2c11")
    assert "second copy" not in render_table(none) and none.as_dict()["copy"] == {}

    copied = OrgOutcome("V-Sekai", snapshot_id="8f3b2c11",
                        copy=CopyResult(COPIED, "8f3b2c11", "5d1e0a7c", created=True).as_dict())
    assert "snapshot 5d1e0a7c, same tree as 8f3b2c11 (copy repository made tonight)" in render_table(copied)
    assert copied.as_dict()["copy"]["state"] == "copied" and copied.state == "complete"

    problem = failure_problem("V-Sekai", "8f3b2c11", "restic copy: the repository cannot be reached")
    failed = OrgOutcome("V-Sekai", snapshot_id="8f3b2c11", problems=[problem],
                        copy=CopyResult(FAILED, "8f3b2c11", reason="the repository cannot be reached").as_dict())
    table = render_table(failed)
    assert "FAILED: the repository cannot be reached" in table
    assert "V-Sekai [copy]: the second copy (RESTIC_COPY_REPOSITORY) failed" in table
    assert "snapshot 8f3b2c11 is in the first repository only, unchanged" in table
    assert failed.state == "incomplete" and failed.as_dict()["copy"]["state"] == "failed"
