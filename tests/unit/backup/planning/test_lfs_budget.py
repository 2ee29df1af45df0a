"""The Git LFS bandwidth planner (orgbackup/backup/planning/lfs_budget.py), the setting and the
month's count in the state store (the runs against the emulator: tests/end_to_end/test_lfs_budget_runs.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from orgbackup.backup.planning.lfs_budget import deferred_message, month_key, month_reset, plan_lfs
from orgbackup.cache.state_store import StateStore
from orgbackup.config.settings import load_config
from orgbackup.errors import ConfigError
from tests.support.cli import minimal_env

MISSING = {"big": {"b1": 60, "b2": 50}, "small": {"s1": 10, "s2": 20}, "mid": {"m1": 45}}


def test_the_month_is_utcs_and_resets_on_the_first():
    assert month_key(datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc)) == "2026-12"
    assert month_reset("2026-12") == "2027-01-01"
    assert month_reset("2027-02") == "2027-03-01"


def test_no_budget_grants_everything_missing():
    plan = plan_lfs(MISSING, limit=None, used=10**12)
    assert plan.granted == MISSING and plan.deferred == {}


def test_smallest_repository_first_then_first_fit_never_over_the_remainder():
    plan = plan_lfs(MISSING, limit=100, used=20)  # 80 left
    # small (30) whole, then mid (45): 75; big's objects do not fit the 5 left
    assert plan.granted == {"small": {"s1": 10, "s2": 20}, "mid": {"m1": 45}}
    assert plan.deferred == {"big": {"b1": 60, "b2": 50}}
    assert plan.granted_bytes == 75 and plan.deferred_bytes == 110


def test_a_repository_that_does_not_fit_whole_gets_what_fits_smallest_first():
    plan = plan_lfs({"big": {"b1": 60, "b2": 50, "b3": 5}}, limit=70, used=0)
    assert plan.granted == {"big": {"b3": 5, "b2": 50}} and plan.deferred == {"big": {"b1": 60}}


def test_a_spent_month_grants_nothing():
    plan = plan_lfs(MISSING, limit=100, used=150)
    assert plan.granted == {} and plan.deferred_bytes == 185


def test_the_deferred_line_names_bytes_and_reset():
    text = deferred_message({"b1": 60, "b2": 50}, "2026-12", 100)
    assert text.startswith("2 LFS object(s), 110 bytes, deferred by the LFS budget") and "resets 2027-01-01" in text


@pytest.mark.parametrize("raw, expected", [("10GiB", 10 * 2**30), ("250 GiB", 250 * 2**30), ("500MB", 500 * 10**6),
                                           ("1.5KiB", 1536), ("123", 123), ("", None)])
def test_the_setting_takes_bytes_with_units(tmp_path, raw, expected):
    env = dict(minimal_env(tmp_path), BACKUP_LFS_MONTHLY_BYTES=raw)
    assert load_config(env).lfs_monthly_bytes == expected


@pytest.mark.parametrize("raw", ["ten", "10 parsecs", "-5GiB", "GiB"])
def test_the_setting_refuses_what_is_not_bytes(tmp_path, raw):
    with pytest.raises(ConfigError, match="BACKUP_LFS_MONTHLY_BYTES"):
        load_config(dict(minimal_env(tmp_path), BACKUP_LFS_MONTHLY_BYTES=raw))


def test_the_months_count_adds_up_per_org_and_month_and_persists(tmp_path):
    store = StateStore(tmp_path / "state.sqlite3")
    store.add_lfs_bytes("acme", "2026-12", 100)
    store.add_lfs_bytes("acme", "2026-12", 50)
    store.add_lfs_bytes("acme", "2027-01", 7)
    store.add_lfs_bytes("other", "2026-12", 1)
    store.close()
    store = StateStore(tmp_path / "state.sqlite3")
    assert store.lfs_bytes("acme", "2026-12") == 150
    assert store.lfs_bytes("acme", "2027-01") == 7
    assert store.lfs_bytes("acme", "2027-02") == 0
