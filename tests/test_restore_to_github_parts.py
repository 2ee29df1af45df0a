"""The pure parts of restore-to-github: the pacer's windows, the provenance header, the
protection body, the state's rows (no network)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from orgbackup.actions.restore_to_github import bodies
from orgbackup.actions.restore_to_github.access import collaborator_permission, protection_body
from orgbackup.actions.restore_to_github.restore_state import RestoreState
from orgbackup.actions.restore_to_github.writer import Pacer, eta
from tests.backup_compare import strip_provenance


def pacer(per_minute: int, per_hour: int, sent: list[float]) -> Pacer:
    p = Pacer(per_minute, per_hour, threading.Event())
    p.sent.extend(sent)
    return p


def test_pacer_keeps_both_windows():
    assert pacer(80, 500, []).delay(0.0) == 0
    # 80 in the last minute: the next waits until the oldest of them is a minute old.
    full_minute = pacer(80, 500, [100.0 + i * 0.5 for i in range(80)])
    assert full_minute.delay(140.0) == pytest.approx(20.0)
    assert full_minute.delay(160.0) == 0
    # 500 in the last hour, spread out: the hour decides, not the minute.
    full_hour = pacer(80, 500, [i * 7.0 for i in range(500)])
    assert full_hour.delay(3500.0) == pytest.approx(100.0)
    assert full_hour.delay(3600.0) == 0
    assert pacer(80, 500, []).rate_per_minute() == pytest.approx(500 / 60)


def test_pacer_stops_on_sigterm_while_waiting():
    p = pacer(1, 500, [])
    p.clock = lambda: 0.0
    p.wait_turn()          # the first goes at once
    p.stop.set()
    with pytest.raises(Exception, match="run the same command again"):
        p.wait_turn()      # the second would wait a minute: the stop ends the wait


def test_eta_words():
    assert eta(40, 80) == "about 30 s left"
    assert eta(800, 80) == "about 10 min left"
    assert eta(5000, 500 / 60) == "about 10.0 h left"


@pytest.mark.parametrize("body", ["Body.", "", None, "two\n\nparagraphs\n\n", "<!-- not ours -->\n\nx"])
def test_header_then_original_body_comes_back(body):
    made = bodies.with_header("issue-comment", 1014, "*@bob commented on 2023-11-15 14:11 UTC*", body,
                              ["*a note*", "*another\n\nnote with a blank line*"])
    assert made.startswith("<!-- orgbackup:issue-comment:1014 -->")
    assert bodies.strip_provenance(made) == (body or "")
    assert strip_provenance(made) == (body or "")  # the round trip's comparison agrees


def test_attachment_notes_name_the_file_in_the_backup():
    sha = "4e" + "0" * 62
    url = "https://github.com/user-attachments/assets/571c8611-f215-435c-b5d3-cd71cc44ea96"
    notes = bodies.attachment_notes(f"see ![shot]({url}) and {url}", {url: {"sha256": sha}})
    assert notes == [f"*Attachment {url} is kept in the backup as attachments/files/4e/{sha}*"]


def test_protection_get_shape_becomes_put_shape():
    got = {"required_status_checks": {"strict": True, "contexts": ["ci/build"], "url": "u"},
           "enforce_admins": {"enabled": True, "url": "u"},
           "required_pull_request_reviews": {"dismiss_stale_reviews": True, "required_approving_review_count": 1,
                                             "url": "u"},
           "required_linear_history": {"enabled": True}, "allow_force_pushes": {"enabled": False}}
    assert protection_body(got) == {
        "required_status_checks": {"strict": True, "contexts": ["ci/build"]},
        "enforce_admins": True,
        "required_pull_request_reviews": {"dismiss_stale_reviews": True, "required_approving_review_count": 1},
        "restrictions": None, "required_linear_history": True, "allow_force_pushes": False}
    assert collaborator_permission({"role_name": "maintain"}) == "maintain"
    assert collaborator_permission({"role_name": "write"}) == "push"
    assert collaborator_permission({"permissions": {"push": True, "pull": True}}) == "push"


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
