"""The second copy's check (orgbackup/backup/stages/second_copy.py: copy_of), pure: the copy
repository's snapshot of the first one is the one with its tree, paths, host, time and tags."""

from __future__ import annotations

from dataclasses import replace

from orgbackup.backup.stages.second_copy import copy_of
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
