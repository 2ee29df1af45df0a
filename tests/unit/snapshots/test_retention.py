"""The keep policy's pure parts (orgbackup/snapshots/retention.py): restic's durations, the
floor under incomplete snapshots, a forget the storage refused."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from orgbackup.snapshots.retention import check_deleted, duration, within_floor
from orgbackup.tools.restic_output import ResticError, Snapshot

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)


def snap(sid: str, days_ago: float) -> Snapshot:
    return Snapshot(sid * 8, sid * 8, (NOW - timedelta(days=days_ago)).isoformat(), "h", ("org:A",), ("A",))


def test_durations_at_their_longest():
    assert duration("30d") == timedelta(days=30)
    assert duration("48h") == timedelta(hours=48)
    assert duration("1y2m3d4h") == timedelta(days=366 + 62 + 3, hours=4)


def test_the_floor_keeps_what_is_younger_than_it():
    snaps = [snap("a", 10), snap("b", 40)]
    assert within_floor(snaps, ["a" * 8, "b" * 8], NOW, "30d") == ["b" * 8]
    assert within_floor(snaps, ["a" * 8, "b" * 8], NOW, None) == ["a" * 8, "b" * 8]


def test_a_forgotten_snapshot_still_listed_was_refused():
    check_deleted(["a" * 8], [snap("b", 1)])
    with pytest.raises(ResticError, match=r"did not delete 1 snapshot \(aaaaaaaa\).*append-only"):
        check_deleted(["a" * 8], [snap("a", 1)])
