"""A night of shards as one backup (orgbackup/snapshots/shard_sets.py), pure: a missing shard
named, the manifests (and attachment indexes) of a set merged into one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from orgbackup.tools import restic_output
from orgbackup.snapshots.shard_sets import merge_attachment_indexes, merge_manifests
from orgbackup.snapshots.shards import backup_units
from orgbackup.times import parse_rfc3339
from orgbackup.actions.status import org_statuses


NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)


def snap(short: str, hours_ago: float, *tags: str, org: str = "A") -> restic_output.Snapshot:
    when = (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S.123456789Z")
    return restic_output.Snapshot(short * 4, short, when, "github-org-backup", (f"org:{org}", *tags), (org,))


def test_a_night_of_shards_is_one_backup_and_a_missing_shard_is_named():
    night1 = [snap("a0", 30, "complete", "shard:0/3"), snap("a1", 29, "complete", "shard:1/3"),
              snap("a2", 28.5, "complete", "shard:2/3")]
    night2 = [snap("b0", 6, "complete", "shard:0/3"), snap("b2", 5, "complete", "shard:2/3")]
    units = backup_units(night1 + night2, lambda s: parse_rfc3339(s.time), 12)
    assert [[s.short_id for s in u.snapshots] for u in units] == [["a0", "a1", "a2"], ["b0", "b2"]]
    assert units[0].complete and not units[1].complete and units[1].missing_names() == ["1/3"]
    rows = org_statuses(night1 + night2, ("A",), now=NOW, max_age_hours=36)
    assert not rows[0]["ok"] and "shard 1/3 missing" in rows[0]["reason"]
    assert rows[0]["newest_complete"] == "a0+a1+a2" and rows[0]["age_hours"] == 30.0
    assert rows[0]["missing_shards"] == ["1/3"]
    # Shard 1 came late but within the window: the night is complete.
    late = night2 + [snap("b1", 1, "complete", "shard:1/3")]
    rows = org_statuses(night1 + late, ("A",), now=NOW, max_age_hours=36)
    assert rows[0]["ok"] and rows[0]["newest_complete"] == "b0+b1+b2" and rows[0]["age_hours"] == 6.0
    # An incomplete shard makes the set incomplete; the older complete set still counts.
    bad = [snap("c0", 2, "complete", "shard:0/3"), snap("c1", 2, "incomplete", "shard:1/3"),
           snap("c2", 2, "complete", "shard:2/3")]
    rows = org_statuses(night1 + bad, ("A",), now=NOW, max_age_hours=36)
    assert rows[0]["ok"] and rows[0]["newest"] == "c0+c1+c2" and rows[0]["newest_status"] == "incomplete"
    # Unsharded snapshots are what they were.
    rows = org_statuses([snap("d", 3, "complete")], ("A",), now=NOW, max_age_hours=36)
    assert rows[0]["ok"] and rows[0]["newest_complete"] == "d" and "shards" not in rows[0]


def test_manifests_of_a_set_merge_into_one():
    m0 = {"format": 1, "org": "A", "started": "2026-12-02T03:00:00Z", "finished": "2026-12-02T03:10:00Z",
          "complete": True, "repositories": {"b": {"refs": {}}}, "problems": [],
          "metadata": {"organization": {"saved": {"members": 3}, "refreshed": 1},
                       "settings": {"saved": {"repository": 1}, "refreshed": 1, "skipped": {"x": ["b"]}}},
          "dependencies": {"enabled": True, "repositories": 1, "items": [{"url": "u", "referenced_by": ["b"]}]}}
    m1 = {"format": 1, "org": "A", "started": "2026-12-02T03:00:01Z", "finished": "2026-12-02T03:12:00Z",
          "complete": True, "repositories": {"a": {"refs": {}}}, "problems": [],
          "metadata": {"settings": {"saved": {"repository": 1}, "refreshed": 1, "skipped": {"x": ["a"]}}},
          "dependencies": {"enabled": True, "repositories": 1, "items": [{"url": "u", "referenced_by": ["a"]}]}}
    merged = merge_manifests([("0/2", {"snapshot": "s0"}, m0), ("1/2", {"snapshot": "s1"}, m1)])
    assert list(merged["repositories"]) == ["a", "b"] and merged["complete"]
    assert (merged["started"], merged["finished"]) == ("2026-12-02T03:00:00Z", "2026-12-02T03:12:00Z")
    assert merged["metadata"]["settings"] == {"saved": {"repository": 2}, "refreshed": 2, "skipped": {"x": ["a", "b"]}}
    assert merged["dependencies"]["items"] == [{"url": "u", "referenced_by": ["a", "b"]}]
    assert [s["shard"] for s in merged["shards"]] == ["0/2", "1/2"] and merged["shards"][1]["repositories"] == ["a"]
    assert not merge_manifests([("0/2", None, m0), ("1/2", None, dict(m1, complete=False))])["complete"]
    index = merge_attachment_indexes([{"u": {"sha256": "x", "found_in": ["b/1.json"], "first_seen": "2"}},
                                      {"u": {"sha256": "x", "found_in": ["a/1.json"], "first_seen": "1"}}])
    assert index == {"u": {"sha256": "x", "found_in": ["a/1.json", "b/1.json"], "first_seen": "1"}}


def test_the_oldest_read_of_a_set_is_the_oldest_of_its_shards():
    def shard(repo, read):
        return {"format": 1, "org": "A", "started": read, "finished": read, "complete": True,
                "repositories": {repo: {}}, "problems": [],
                "metadata": {"settings": {"oldest": {"repository": f"A/{repo}", "read": read, "age_seconds": 1}}}}
    merged = merge_manifests([("0/2", {}, shard("b", "2026-12-02T03:00:00Z")),
                              ("1/2", {}, shard("a", "2026-11-30T03:00:00Z"))])
    assert merged["metadata"]["settings"]["oldest"]["repository"] == "A/a"
