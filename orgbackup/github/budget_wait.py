"""Waiting for GitHub's API budget to reset: a line every PROGRESS_EVERY seconds saying how long
and until when, ended at once by a stop (SIGTERM: orgbackup/tools/process.py's `stop_all`).

Used by the budget stage (a reset within BACKUP_RATE_LIMIT_MAX_WAIT is waited for rather than
deferring metadata to the next night) and by the GitHub client's own waits on a spent budget.
"""

from __future__ import annotations

import logging
import time

from orgbackup.tools import process

log = logging.getLogger(__name__)

PROGRESS_EVERY = 30.0  # seconds between the wait's progress lines


def reset_text(reset: int | float | None) -> str:
    """HH:MM:SS of an epoch-seconds reset, as the progress lines say it."""
    return time.strftime("%H:%M:%S", time.gmtime(reset or 0))


def seconds_until(reset: int | float | None, now: float | None = None) -> float:
    """How long to wait for a reset at `reset` (epoch seconds): a second past it, at least one."""
    return max(1.0, (reset or 0) - (time.time() if now is None else now) + 1)


def wait_for_reset(seconds: float, reset: int | float | None, *, who: str = "") -> bool:
    """Wait `seconds` (until the budget's `reset`), logging every PROGRESS_EVERY seconds; False
    when a stop ended the wait (the caller gives up), True when the time is over."""
    end = time.monotonic() + seconds
    at = reset_text(reset if reset else time.time() + seconds)
    prefix = f"{who}: " if who else ""
    while (left := end - time.monotonic()) > 0:
        log.warning("%swaiting %.0f s for GitHub's API budget to reset at %s UTC", prefix, left, at)
        if not process.wait_unless_stopped(min(left, PROGRESS_EVERY)):
            return False
    return True
