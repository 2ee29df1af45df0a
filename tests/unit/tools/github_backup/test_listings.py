"""github-backup's listings (orgbackup/tools/github_backup/listings.py), pure: which requests are
per item, and the listing's entries grouped by their item and merged by id."""

from __future__ import annotations

from orgbackup.tools.github_backup import listings as listings
from tests.support.run_context import ORG


GODOT = f"{ORG}/godot"


def test_per_item_requests_are_recognised_and_nothing_else():
    base = "https://h:1/repos"
    assert listings.kind_and_number(f"{base}/{GODOT}/issues/12/comments") == (
        f"{base}/{GODOT}", "godot", "issues/comments", 12)
    assert listings.kind_and_number(f"{base}/{GODOT}/issues/3/events")[2:] == ("issues/events", 3)
    assert listings.kind_and_number(f"{base}/{GODOT}/pulls/7/comments")[2:] == ("pulls/comments", 7)
    for other in (f"{base}/{GODOT}/issues", f"{base}/{GODOT}/pulls/7/commits", f"{base}/{GODOT}/pulls/7",
                  f"{base}/{GODOT}/issues/comments", f"{base}/{GODOT}/milestones"):
        assert listings.kind_and_number(other) is None, other


def test_listing_entries_are_grouped_by_their_item_and_merged_by_id():
    events = [{"id": 1, "issue": {"number": 4}, "event": "closed"}, {"id": 2, "issue": {"number": 5}}]
    assert listings.group_by_item(events, "issue") == {4: [{"id": 1, "event": "closed"}], 5: [{"id": 2}]}
    comments = [{"id": 9, "issue_url": "https://h/repos/o/r/issues/12"}]
    assert listings.group_by_item(comments, "issue_url") == {12: comments}
    saved = [{"id": 1, "created_at": "2026-01-01", "body": "old"}, {"id": 2, "created_at": "2026-01-02"}]
    changed = [{"id": 1, "created_at": "2026-01-01", "body": "edited"}, {"id": 3, "created_at": "2026-01-03"}]
    assert [(c["id"], c.get("body")) for c in listings.merged_by_id(saved, changed)] == [
        (1, "edited"), (2, None), (3, None)]
