"""Change decisions (orgbackup/backup/planning/changes.py), pure: why a repository is captured
again, by its listing or by its activity on GitHub's clock (the batches against the emulator:
tests/integration/backup/planning/test_changes.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from orgbackup.cache.state_store import RepoState
from orgbackup.backup.planning import changes


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
