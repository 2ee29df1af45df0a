"""Freshness as a budget decision (orgbackup/backup/planning/freshness.py), pure (the nights
against the emulator: tests/end_to_end/test_freshness_runs.py)."""

from __future__ import annotations

from datetime import datetime, timezone

from orgbackup.backup.planning.freshness import Stale, allowance, cost_of, is_stale, oldest_first

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)


def s(name, slot, read, part="settings"):
    return Stale(part, name, slot, read)


def test_a_part_read_within_the_fresh_hours_is_not_stale():
    assert is_stale("2026-12-06T03:00:00Z", fresh_hours=12, now=NOW)  # last night
    assert not is_stale("2026-12-07T02:40:00Z", fresh_hours=12, now=NOW)  # a re-run within the night
    assert is_stale("2026-12-07T02:40:00Z", fresh_hours=0, now=NOW)  # 0: whatever was read before now
    assert not is_stale("2026-12-07T03:00:00Z", fresh_hours=0, now=NOW)  # this run's own read
    assert is_stale(None, fresh_hours=12, now=NOW) and is_stale("garbled", fresh_hours=12, now=NOW)


def test_the_allowance_is_a_share_of_what_is_left_after_the_plan_and_the_reserve():
    assert allowance(remaining=5000, limit=5000, planned=1000, share=50) == 1750  # (5000 - 500 - 1000) / 2
    assert allowance(remaining=5000, limit=5000, planned=1000, share=0) == 0
    assert allowance(remaining=100, limit=5000, planned=0, share=100) == 0  # within the reserve: nothing
    assert allowance(remaining=None, limit=None, planned=10, share=50) is None  # GitHub did not say: no bound


def test_the_oldest_read_first_while_the_allowance_lasts():
    stale = [s("young", 1, "2026-12-06T03:00:00Z"), s("oldest", 9, "2026-12-01T03:00:00Z"),
             s("old-b", 5, "2026-12-03T03:00:00Z"), s("old-a", 4, "2026-12-03T03:00:00Z")]
    taken, kept = oldest_first(stale, 3 * cost_of("settings"))
    assert [x.name for x in taken] == ["oldest", "old-a", "old-b"] and [x.name for x in kept] == ["young"]
    taken, kept = oldest_first(stale, cost_of("settings") - 1)
    assert taken == [] and len(kept) == 4
    taken, kept = oldest_first(stale, None)
    assert len(taken) == 4 and kept == []


def test_none_is_passed_over_for_a_cheaper_younger_one():
    stale = [s("old", 1, "2026-12-01T03:00:00Z"), s("young", 2, "2026-12-06T03:00:00Z", part="commit-comments")]
    taken, kept = oldest_first(stale, cost_of("settings") - 1)
    assert taken == [] and [x.name for x in kept] == ["old", "young"]
