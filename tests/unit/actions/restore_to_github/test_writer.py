"""restore-to-github's pacer (orgbackup/actions/restore_to_github/writer.py): both windows, a stop
while waiting, the time left in words."""

from __future__ import annotations

import threading

import pytest

from orgbackup.actions.restore_to_github.writer import Pacer, eta


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
