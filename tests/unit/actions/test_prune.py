"""The prune job's decisions (orgbackup/actions/prune.py), pure: which snapshots are dated in
the future, the line that refuses, the groups the keep policy applies to, the report (the
job itself against real servers: tests/end_to_end/test_append_only.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from orgbackup.actions.prune import future_snapshots, policy_groups, refusal, report
from orgbackup.config.settings import Config
from orgbackup.config.readers import Secret
from orgbackup.snapshots.shards import Shard
from orgbackup.times import format_time
from orgbackup.tools.restic_output import Snapshot

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)
HOST = "github-org-backup"


def snap(sid: str, when: datetime, tags=("org:A", "complete"), host: str = HOST) -> Snapshot:
    return Snapshot(sid * 8, sid * 8, when.isoformat(), host, tuple(tags), ("A",))


def test_a_snapshot_more_than_an_hour_ahead_is_in_the_future():
    snaps = [snap("a", NOW), snap("b", NOW + timedelta(minutes=59)), snap("c", NOW + timedelta(hours=2)),
             snap("d", NOW + timedelta(days=3), host="elsewhere")]  # any host's counts
    assert [s.id[0] for s in future_snapshots(snaps, NOW)] == ["d", "c"]  # the furthest first
    line = refusal(future_snapshots(snaps, NOW), NOW)
    assert line.startswith("prune refused, nothing forgotten: 2 snapshots dated in the future")
    assert "dddddddd (A, 2026-12-10T03:00:00Z, 72.0 h ahead)" in line and "\n" not in line


def test_every_organization_and_each_shard_is_its_own_group():
    snaps = [snap("a", NOW, ("org:B", "complete")), snap("b", NOW, ("org:A", "incomplete")),
             snap("c", NOW, ("org:A", "complete", "shard:1/2")), snap("d", NOW, ("org:A", "complete", "shard:0/2")),
             snap("e", NOW, ("org:C", "complete"), host="another-host"), snap("f", NOW, ("complete",))]
    assert policy_groups(snaps, HOST) == [("A", None), ("A", Shard(0, 2)), ("A", Shard(1, 2)), ("B", None)]


def test_the_report_ends_with_one_json_line(tmp_path):
    config = Config(orgs=(), token=Secret(""), restic_repository=Secret("r"), restic_password=Secret("p"),
                    cache_dir=tmp_path)
    text = report([{"org": "A", "forgotten": 1, "incomplete_forgotten": 0, "kept": 3}], config, 1.25)
    assert "A: 1 snapshot forgotten (0 incomplete), 3 kept" in text
    assert "within 30d of the newest" in text
    line = json.loads(text.strip().splitlines()[-1])
    assert line["event"] == "prune_summary" and line["keep_within"] == "30d" and line["orgs"][0]["kept"] == 3
    assert format_time(NOW) == "2026-12-07T03:00:00Z"
