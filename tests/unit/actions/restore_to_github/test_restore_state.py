"""restore-to-github's state (orgbackup/actions/restore_to_github/restore_state.py): rows per
target, forgetting one repository."""

from __future__ import annotations

from pathlib import Path

from orgbackup.actions.restore_to_github.restore_state import RestoreState


def test_state_rows_per_target_and_forgetting_one_repository(tmp_path: Path):
    path = tmp_path / "state.sqlite3"
    a = RestoreState(path, "GitHub.com", "Target")
    a.mark_pending("item", "game/item/1")
    assert a.get("item", "game/item/1") == ("pending", None)
    a.mark_done("item", "game/item/1", {"number": 1})
    a.mark_done("item", "game_x/item/1", {"number": 1})
    a.mark_done("repository", "game", {"id": 7})
    other = RestoreState(path, "github.com", "elsewhere")
    assert other.get("item", "game/item/1") is None   # another target knows nothing of it
    assert RestoreState(path, "github.com", "target").done_target("item", "game/item/1") == {"number": 1}
    a.forget_prefix("game")
    assert a.get("item", "game/item/1") is None and a.get("repository", "game") is None
    assert a.done_target("item", "game_x/item/1") == {"number": 1}  # "_" is no wildcard
