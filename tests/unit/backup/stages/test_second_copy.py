"""The second copy's check (orgbackup/backup/stages/second_copy.py: copy_of), pure: the copy
repository's snapshot of the first one is the one with its tree, paths, host, time and tags."""

from __future__ import annotations

from dataclasses import replace

from orgbackup.backup.stages.second_copy import copy_of, snapshots_to_copy
from orgbackup.tools.restic_output import Snapshot

SOURCE = Snapshot(id="8f3b2c11" + "0" * 56, short_id="8f3b2c11", time="2026-12-07T03:00:00.123456789Z",
                  host="github-org-backup", tags=("org:V-Sekai", "complete", "orgbackup:0.1.0"),
                  paths=("/cache/V-Sekai",), tree="t" * 64)


def test_the_copy_is_found_by_its_tree_not_its_id():
    copied = replace(SOURCE, id="5d1e0a7c" + "1" * 56, short_id="5d1e0a7c", original=SOURCE.id,
                     tags=("complete", "orgbackup:0.1.0", "org:V-Sekai"))
    older = replace(copied, id="0" * 64, short_id="00000000", time="2026-12-06T03:00:00Z", tree="o" * 64)
    assert copy_of(SOURCE, [older, copied]) == copied


def test_a_snapshot_with_another_tree_time_or_tag_is_no_copy():
    for changed in (dict(tree="x" * 64), dict(time="2026-12-07T03:00:01Z"), dict(tags=("org:V-Sekai", "incomplete")),
                    dict(paths=("/elsewhere/V-Sekai",)), dict(host="other"), dict(tree=None)):
        assert copy_of(SOURCE, [replace(SOURCE, id="9" * 64, **changed)]) is None, changed
    assert copy_of(SOURCE, []) is None


def night(day: int, **changed) -> Snapshot:
    """V-Sekai's snapshot of the night of December `day`."""
    return replace(SOURCE, id=f"{day:02d}" * 32, short_id=f"{day:02d}" * 4, time=f"2026-12-{day:02d}T03:00:00.5Z",
                   tree=f"{day:02d}" * 32, **changed)


def copied(snap: Snapshot) -> Snapshot:
    return replace(snap, id="c" + snap.id[1:], short_id="c" + snap.short_id[1:], original=snap.id)


def test_the_nights_a_failed_copy_left_go_with_tonights_oldest_first():
    first = [night(d) for d in (1, 2, 3, 4, 5)]
    # The copy has the 1st and 2nd; the copies of the 3rd and 4th failed; tonight is the 5th.
    assert snapshots_to_copy(first[4], first, [copied(first[0]), copied(first[1])]) == first[2:]
    # Tonight's is copied already (the stage run again): the missed ones only.
    assert snapshots_to_copy(first[4], first, [copied(s) for s in first[:2] + first[4:]]) == first[2:4]


def test_what_is_older_than_the_copys_newest_is_not_copied_again():
    first = [night(d) for d in (1, 2, 3, 4)]
    # The copy's own retention forgot the 1st and 2nd: they stay forgotten there.
    assert snapshots_to_copy(first[3], first, [copied(first[2])]) == [first[3]]
    # A copy with no snapshot of the organization yet (new, or every night failed): the whole history.
    assert snapshots_to_copy(first[3], first, []) == first
    assert snapshots_to_copy(first[3], first, [copied(replace(first[2], tags=("org:other",)))]) == first


def test_another_shards_snapshots_are_that_shards_to_copy():
    shard0 = [night(d, tags=SOURCE.tags + ("shard:0/2",)) for d in (1, 2, 3)]
    shard1 = [night(d + 10, tags=SOURCE.tags + ("shard:1/2",)) for d in (1, 2)]
    first = shard0 + shard1
    # Shard 0's copy has only the 1st; shard 1's snapshots are newer but not shard 0's to copy.
    todo = snapshots_to_copy(shard0[2], first, [copied(shard0[0]), copied(shard1[0])])
    assert todo == shard0[1:]
