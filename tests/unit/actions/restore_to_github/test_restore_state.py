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


def test_the_done_rows_under_a_key(tmp_path: Path):
    state = RestoreState(tmp_path / "state.sqlite3", "github.com", "target")
    state.mark_done("project-item", "@organization/project/1/item/a", {"id": "PVTI_1"})
    state.mark_pending("project-item", "@organization/project/1/item/b")
    state.mark_done("project-item", "@organization/project/10/item/c", {"id": "PVTI_3"})
    state.mark_done("project-field", "@organization/project/1/item/d", {"id": "F"})
    assert state.done_under("project-item", "@organization/project/1/item") == {
        "@organization/project/1/item/a": {"id": "PVTI_1"}}  # not the pending one, project 10's or another kind
