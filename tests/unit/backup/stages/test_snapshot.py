"""The snapshot stage's pure parts (orgbackup/backup/stages/snapshot.py): tags, the exclude
pattern, when a prune is due."""

from __future__ import annotations

from orgbackup.backup.stages.snapshot import exclude_pattern, snapshot_tags


def test_tags_and_exclude_pattern():
    assert snapshot_tags("A", False, {"orgbackup": "0.1.0", "gitim": "2.1.0"}) == (
        "org:A", "incomplete", "orgbackup:0.1.0", "gitim:2.1.0",
    )
    assert exclude_pattern("/c/a[1]*.txt") == "/c/a\\[1\\]\\*.txt"


def test_prune_is_due_by_age():
    from datetime import datetime, timedelta, timezone

    from orgbackup.backup.stages.snapshot import prune_due

    now = datetime(2026, 11, 25, tzinfo=timezone.utc)
    assert not prune_due(None, now, 7)  # the first run starts the interval
    assert prune_due(None, now, 0)
    assert not prune_due((now - timedelta(days=2)).isoformat(), now, 7)
    assert prune_due((now - timedelta(days=7)).isoformat(), now, 7)
    assert prune_due((now - timedelta(hours=1)).isoformat(), now, 0)
