"""The dead man's switch: healthchecks.io, Cronitor, Uptime Kuma push style pings.

`URL/start` when a run starts, `URL` when it is complete, `URL/fail` when it failed
or is incomplete; the finishing pings carry the run's summary (at most 10 KB) as
their body, with every registered secret masked. Nothing else goes with them: no
token, no cookie, no credentials of ours.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import requests

from orgbackup.tools import process
from orgbackup.backoff import retried

BODY_LIMIT = 10 * 1024  # healthchecks.io keeps the first 10 KB of a ping body by default
TIMEOUT_SECONDS = 10
TRUNCATED = "\n[... truncated]\n"


def ping_url(url: str, suffix: str) -> str:
    """URL + "/start" or "/fail", before any query string (Uptime Kuma's push URL has one)."""
    if not suffix:
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + suffix))


def ping_body(summary: str) -> bytes:
    """The masked summary, cut to BODY_LIMIT bytes (never inside a UTF-8 character)."""
    body = process.mask(summary).encode("utf-8")
    if len(body) <= BODY_LIMIT:
        return body
    marker = TRUNCATED.encode()
    return body[: BODY_LIMIT - len(marker)].decode("utf-8", errors="ignore").encode("utf-8") + marker


def ping(url: str, suffix: str = "", summary: str = "") -> None:
    """POST the ping (healthchecks.io, Cronitor and Uptime Kuma take POST); raises after the last try."""
    target = ping_url(url, suffix)
    body = ping_body(summary)

    def attempt() -> None:
        # A session of its own, without the environment's .netrc: no credentials ride along.
        with requests.Session() as session:
            session.trust_env = False
            session.proxies = requests.utils.get_environ_proxies(target)
            answer = session.post(target, data=body, timeout=TIMEOUT_SECONDS,
                                  headers={"Content-Type": "text/plain; charset=utf-8",
                                           "User-Agent": "orgbackup"})
            answer.raise_for_status()

    retried(f"healthcheck ping {suffix or 'success'}", attempt)
