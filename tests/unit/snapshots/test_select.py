"""The snapshots' table (orgbackup/snapshots/select.py) and the times it shows (orgbackup/times.py)."""

from __future__ import annotations

from orgbackup.actions.snapshots import format_table
from orgbackup.times import iso_utc


def test_times_and_table_helpers():
    assert iso_utc("2026-11-25T04:21:18.956007554+01:00") == "2026-11-25T03:21:18Z"
    assert iso_utc("2026-11-25T03:21:18Z") == "2026-11-25T03:21:18Z"
    assert format_table([]) == "no snapshots\n"
