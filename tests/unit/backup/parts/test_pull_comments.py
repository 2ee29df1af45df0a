"""Pull requests' conversation comments (orgbackup/backup/parts/pull_comments.py): merged with
what was saved, newest version wins, saved only for pull requests, never dropped."""

from __future__ import annotations

import json

from orgbackup.backup.parts import pull_comments


def test_merge_comments_keeps_everything_newest_version_wins():
    saved = [{"id": 5, "body": "old", "updated_at": "2023-01-01T00:00:00Z"},
             {"id": 2, "body": "kept", "updated_at": "2023-01-01T00:00:00Z"}]
    new = [{"id": 5, "body": "edited", "updated_at": "2023-01-02T00:00:00Z"},
           {"id": 9, "body": "new", "updated_at": "2023-01-03T00:00:00Z"}]
    merged = pull_comments.merge_comments(saved, new)
    assert [c["id"] for c in merged] == [2, 5, 9]
    assert merged[1]["body"] == "edited"
    assert pull_comments.merge_comments(merged, [{"id": 5, "body": "stale", "updated_at": "2022-01-01T00:00:00Z"}])[1]["body"] \
        == "edited"


def test_save_pull_comments_only_for_pull_requests(tmp_path):
    (tmp_path / "pulls").mkdir()
    (tmp_path / "issues").mkdir()
    (tmp_path / "pulls" / "3.json").write_text("{}")
    (tmp_path / "issues" / "1.json").write_text("{}")
    api = "https://h/api/v3/repos/O/R/issues/"
    comments = [{"id": 1, "issue_url": api + "3", "updated_at": "a"},
                {"id": 2, "issue_url": api + "1", "updated_at": "a"},
                {"id": 3, "issue_url": api + "4", "html_url": "https://h/O/R/pull/4#issuecomment-3", "updated_at": "a"}]
    saved, complete = pull_comments.save_pull_comments(tmp_path, comments, issues_saved=True)
    assert (saved, complete) == (2, True)
    assert [c["id"] for c in json.loads((tmp_path / "pulls" / "3.conversation.json").read_text())] == [1]
    assert (tmp_path / "pulls" / "4.conversation.json").exists()
    assert not (tmp_path / "pulls" / "1.conversation.json").exists()
    # A comment on something neither saved as an issue nor as a pull: fetch again next time.
    assert pull_comments.save_pull_comments(tmp_path, [{"id": 4, "issue_url": api + "8"}], issues_saved=True) == (0, False)
    # Saved comments are never dropped.
    pull_comments.save_pull_comments(tmp_path, [{"id": 7, "issue_url": api + "3", "updated_at": "b"}], issues_saved=True)
    assert [c["id"] for c in json.loads((tmp_path / "pulls" / "3.conversation.json").read_text())] == [1, 7]
