"""When to try a request again: the one retry schedule of the product's HTTP (the GitHub client,
attachment downloads, monitoring's pings, github-backup's network errors in its runner).

A failed try is followed by waits of 1, 2, 4 ... seconds (`delay(n)`, the n-th retry), a
little randomness added where many clients may retry at once. "Slow down" answers (rate
limits, `Retry-After`) are GitHub's own schedule, waited out by the GitHub client itself.
Standard library only: github-backup's runner imports it in a process per repository.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Callable, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
FIRST_DELAY = 1.0


def delay(retry: int, *, first: float = FIRST_DELAY, jitter: bool = False) -> float:
    """Seconds to wait before the `retry`-th retry (1, 2, ...): first, twice that, ...; with
    `jitter` up to half as much again, so that clients that failed together do not retry together."""
    base = first * 2 ** (retry - 1)
    return base + (random.uniform(0, base / 2) if jitter else 0.0)


def retried(what: str, attempt: Callable[[], T], tries: int = 3, *, sleep: Callable[[float], None] = time.sleep) -> T:
    """attempt() until it returns, at most `tries` times; the last try's exception rises."""
    for retry in range(1, tries):
        try:
            return attempt()
        except Exception as exc:  # any failure of the service or the network is worth another try
            wait = delay(retry)
            log.info("%s failed (%s); trying again in %.0f s", what, type(exc).__name__, wait)
            sleep(wait)
    return attempt()
