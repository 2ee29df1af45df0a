"""Retention after every run (orgbackup/backup/stages/snapshot.py): the keep policy over complete
snapshots, superseded old incomplete ones forgotten; each shard kept by the policy and never
another's. Real restic; the snapshots are made with `restic backup --time`."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from orgbackup.backup.context import RunContext
from orgbackup.backup.stages import snapshot
from orgbackup.config.readers import Secret
from orgbackup.config.secret_files import remove_secret_files, write_secret_files
from orgbackup.config.settings import Config, Retention
from orgbackup.snapshots.shards import Shard
from orgbackup.tools import restic, restic_output
from tests.support.snapshot import backup_at


HOST = "github-org-backup"


def listed(env: dict) -> dict[str, tuple[str, ...]]:
    out = subprocess.run(restic.snapshots(), env=env, check=True, capture_output=True, text=True).stdout
    return {s.short_id: s.tags for s in restic_output.parse_snapshots(out)}


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


def test_keep_policy_sees_complete_snapshots_and_old_incomplete_ones_go(restic_binary, tmp_path, utc, monkeypatch):
    """Old code: one `forget --tag org:A --keep-daily 1` kept the newest snapshot, an
    incomplete one, and forgot the complete one of the day before."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = Config(orgs=("A",), token=Secret("unused-token"),
                    restic_repository=Secret(str(tmp_path / "repo")),
                    restic_password=Secret("retention-" + os.urandom(6).hex()),
                    cache_dir=tmp_path / "cache", host_name=HOST,
                    retention=Retention(daily=1, weekly=0, monthly=0, yearly=0, incomplete_days=14))
    (tmp_path / "secrets").mkdir()
    files = write_secret_files(config, str(tmp_path / "secrets"))
    try:
        env = dict(os.environ, **restic.restic_environment(files))
        subprocess.run(restic.init(), env=env, check=True, capture_output=True)
        for org in ("A", "B"):
            (tmp_path / "cache" / org).mkdir(parents=True)
            (tmp_path / "cache" / org / "manifest.json").write_text(f'{{"org": "{org}"}}\n')
        now = datetime.now(timezone.utc).replace(microsecond=0)
        day = timedelta(days=1)
        cwd = tmp_path / "cache"
        c_old = backup_at(cwd, "A", now - 40 * day, ["org:A", "complete"], env)
        i_superseded = backup_at(cwd, "A", now - 30 * day, ["org:A", "incomplete"], env)
        i_young = backup_at(cwd, "A", now - 3 * day, ["org:A", "incomplete"], env)
        c_new = backup_at(cwd, "A", now - 2 * day, ["org:A", "complete"], env)
        i_newest = backup_at(cwd, "A", now - timedelta(hours=1), ["org:A", "incomplete"], env)
        # Another organization with only old incomplete snapshots: nothing supersedes them.
        b_only = backup_at(cwd, "B", now - 60 * day, ["org:B", "incomplete"], env)

        ctx = RunContext(config=config, files=files, api=None, started="")
        assert snapshot.apply_retention(ctx, "A", now=now) == 2
        assert set(listed(env)) == {c_new, i_young, i_newest, b_only}
        assert {c_old, i_superseded}.isdisjoint(listed(env))
        # B's own retention leaves its only snapshots alone.
        assert snapshot.apply_retention(ctx, "B", now=now) == 0
        assert b_only in listed(env)
    finally:
        remove_secret_files(files)


def test_retention_of_shards_keeps_each_shard_by_the_policy_and_never_another_s(local_repository, tmp_path):
    """BACKUP_KEEP_DAILY=2 over three nights of two shards and one unsharded run: each
    shard keeps its own two newest nights; an old incomplete shard snapshot goes once a
    newer complete one of the same shard exists; the unsharded snapshot is not touched."""
    from orgbackup.backup.stages import snapshot
    from tests.support.snapshot import backup_at

    context, env = local_repository
    now = datetime.now(timezone.utc).replace(microsecond=0)
    day = timedelta(days=1)
    made = {}
    for night in (3, 2, 1):
        for index in (0, 1):
            state = "incomplete" if (night, index) == (3, 1) else "complete"
            made[night, index] = backup_at(tmp_path / "cache", "A", now - night * day + timedelta(minutes=index),
                                           ["org:A", state, f"shard:{index}/2"], env)
    whole = backup_at(tmp_path / "cache", "A", now - 5 * day, ["org:A", "complete"], env)
    ctx = context(shard=Shard(1, 2))
    assert snapshot.apply_retention(ctx, "A", now=now) == 2  # shard 0's night 3, shard 1's incomplete night 3
    out = subprocess.run(restic.snapshots(), env=env, check=True, capture_output=True, text=True).stdout
    left = {s.short_id for s in restic_output.parse_snapshots(out)}
    assert left == {made[2, 0], made[1, 0], made[2, 1], made[1, 1], whole}
