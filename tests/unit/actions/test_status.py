"""`status`'s rule (orgbackup/actions/status.py): each organization by its newest complete
snapshot."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from orgbackup.tools import restic_output
from orgbackup.actions.status import org_statuses


NOW = datetime(2026, 12, 2, 3, 0, tzinfo=timezone.utc)


def snap(short_id: str, org: str, hours_ago: float, *tags: str) -> restic_output.Snapshot:
    when = (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S.123456789Z")
    return restic_output.Snapshot(short_id * 8, short_id, when, "github-org-backup", (f"org:{org}", *tags), (org,))


def test_each_organization_by_its_newest_complete_snapshot():
    snaps = [snap("a1", "A", 50, "complete"), snap("a2", "A", 10, "complete"), snap("a3", "A", 1, "incomplete"),
             snap("b1", "B", 40, "complete"), snap("b2", "b", 2, "incomplete")]
    rows = {r["org"]: r for r in org_statuses(snaps, ("A", "B", "C"), now=NOW, max_age_hours=36)}
    assert rows["A"]["ok"] and rows["A"]["newest_complete"] == "a2" and rows["A"]["age_hours"] == 10.0
    assert (rows["A"]["newest"], rows["A"]["newest_status"]) == ("a3", "incomplete")
    assert not rows["B"]["ok"] and rows["B"]["newest"] == "b2"  # organization names ignore case
    assert "40.0 hours old" in rows["B"]["reason"]
    assert not rows["C"]["ok"] and rows["C"]["reason"] == "no complete snapshot"
    # Without GITHUB_ORGS: every organization the repository knows.
    assert [r["org"] for r in org_statuses(snaps, (), now=NOW, max_age_hours=36)] == ["A", "b"]
