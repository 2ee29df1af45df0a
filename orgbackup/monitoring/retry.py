"""A few tries for a monitoring request: a ping lost to a blip would page someone for nothing."""

from __future__ import annotations

import logging
import time
from typing import Callable, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_DELAYS = (1.0, 2.0)  # seconds before the second and the third try


def retried(what: str, attempt: Callable[[], T], delays: tuple[float, ...] = RETRY_DELAYS) -> T:
    """attempt() until it returns; the last try's exception rises (the caller warns)."""
    for delay in delays:
        try:
            return attempt()
        except Exception as exc:  # any failure of the service or the network is worth another try
            log.info("%s failed (%s); trying again in %.0f s", what, type(exc).__name__, delay)
            time.sleep(delay)
    return attempt()
