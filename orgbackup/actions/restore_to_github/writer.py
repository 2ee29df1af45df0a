"""Writing to the target GitHub: paced, stoppable, and never creating a thing twice.

GitHub's secondary limits allow about 80 content-creating requests a minute and 500 an
hour (its documentation); the pacer keeps below both (RESTORE_REQUESTS_PER_MINUTE /
_PER_HOUR) and GitHubAPI still waits out a 403/429 "slow down" with its retry-after.
`create_once` is the one way anything is created: the state row goes "pending" before the
request and "done" after it, and a pending row (a kill, a lost answer) is first looked for
on GitHub.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Callable

from orgbackup.errors import Interrupted
from orgbackup.github.api import GitHubAPI, GitHubError, GraphQLError
from orgbackup.actions.restore_to_github.bodies import no_nulls
from orgbackup.actions.restore_to_github.restore_state import DONE, PENDING, RestoreState

log = logging.getLogger(__name__)

RETRY_STATUSES = {500, 502, 503, 504}


class WriteRefused(Exception):
    """GitHub refused one write (4xx): that thing is missing, the restore goes on."""

    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


def message_of(response) -> str:
    """GitHub's message, with its `errors`' own (a 422's reason is there: "key is already in use")."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if not isinstance(body, dict):
        return str(body)[:300]
    text = str(body.get("message") or body)
    reasons = [str(e.get("message") or f"{e.get('field')} {e.get('code')}") for e in body.get("errors") or []
               if isinstance(e, dict)]
    reasons = [r for r in reasons if r not in text]
    return (text + (": " + "; ".join(reasons) if reasons else ""))[:300]


class Pacer:
    """At most `per_minute` and `per_hour` content-creating requests in any sliding window."""

    def __init__(self, per_minute: int, per_hour: int, stop: threading.Event, clock=time.monotonic):
        self.per_minute, self.per_hour = per_minute, per_hour
        self.stop = stop
        self.clock = clock
        self.sent: collections.deque[float] = collections.deque()
        self.waited = 0.0

    def delay(self, now: float) -> float:
        """Seconds until one more request keeps both windows within their limits (pure of `now`)."""
        while self.sent and now - self.sent[0] >= 3600:
            self.sent.popleft()
        waits = [0.0]
        last_minute = [t for t in self.sent if now - t < 60]
        if len(last_minute) >= self.per_minute:
            waits.append(last_minute[-self.per_minute] + 60 - now)
        if len(self.sent) >= self.per_hour:
            waits.append(self.sent[-self.per_hour] + 3600 - now)
        return max(waits)

    def wait_turn(self) -> None:
        while True:
            check_stop(self.stop)
            wait = self.delay(self.clock())
            if wait <= 0:
                break
            if wait > 30:
                log.info("pacing: %d content-creating requests in the last hour; waiting %.0f s", len(self.sent), wait)
            self.waited += min(wait, 5.0)
            self.stop.wait(min(wait, 5.0))
        self.sent.append(self.clock())

    def rate_per_minute(self) -> float:
        """The sustained rate the limits allow."""
        return min(float(self.per_minute), self.per_hour / 60.0)


def check_stop(stop: threading.Event) -> None:
    if stop.is_set():
        raise Interrupted("stopped by SIGTERM; what was created is recorded: run the same command again to go on")


class Progress:
    """A line every `every` seconds: writes done of the planned ones, and the time left."""

    def __init__(self, planned: int, rate_per_minute: float, every: float = 15.0):
        self.planned, self.rate, self.every = max(planned, 1), rate_per_minute, every
        self.done = 0
        self.started = time.monotonic()
        self.last = self.started

    def step(self, what: str) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        log.info("restore-to-github: %d of about %d writes (%d%%), %s; %s", self.done, self.planned,
                 min(100, 100 * self.done // self.planned), eta(self.planned - self.done, self.rate,
                                                                self.done / max(now - self.started, 1e-6)), what)


def eta(remaining: int, allowed_per_minute: float, measured_per_second: float = 0.0) -> str:
    """'about 12 min left': the slower of what the limits allow and what was measured."""
    per_minute = allowed_per_minute
    if measured_per_second > 0:
        per_minute = min(per_minute, measured_per_second * 60)
    minutes = max(remaining, 0) / max(per_minute, 1e-6)
    if minutes < 1:
        return f"about {minutes * 60:.0f} s left"
    if minutes < 120:
        return f"about {minutes:.0f} min left"
    return f"about {minutes / 60:.1f} h left"


class TargetWriter:
    def __init__(self, api: GitHubAPI, state: RestoreState, pacer: Pacer, progress: Progress):
        self.api, self.state, self.pacer, self.progress = api, state, pacer, progress
        self.created = collections.Counter()
        self.adopted = 0  # pending rows found already made on GitHub
        self.fresh = False  # did the last create_once create something now
        self.writes_sent = 0  # content-creating requests sent (creates, PATCHes, PUTs, uploads)

    # -------------------------------------------------------------- reading

    def read(self, path: str, params: dict | None = None):
        """GET: the JSON, or None for a 404."""
        response = self.api.send("GET", path, params=params)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise GitHubError(f"GitHub answered HTTP {response.status_code} for GET {path}", response.status_code)
        return response.json()

    def read_all(self, path: str, params: dict | None = None) -> list:
        try:
            return list(self.api.paginate(path, params))
        except GitHubError as exc:
            if exc.status == 404:
                return []
            raise

    # -------------------------------------------------------------- writing

    def write(self, method: str, path: str, body: dict | None = None, *, what: str = "",
              data: bytes | None = None, content_type: str | None = None, params: dict | None = None,
              idempotent: bool = True, nullable: tuple[str, ...] = ()):
        """One paced write; the JSON answered (None for 204), WriteRefused for a 4xx. The body goes
        through bodies.no_nulls: no null but in the top-level fields `nullable` names (the operation's)."""
        if body is not None:
            body = no_nulls(body, nullable)
        check_stop(self.pacer.stop)
        self.pacer.wait_turn()
        self.writes_sent += 1
        response = self.api.send(method, path, body, data=data, content_type=content_type, params=params,
                                 retry_errors=idempotent)
        self.progress.step(what or f"{method} {path}")
        if response.status_code in (200, 201):
            return response.json() if response.content else {}
        if response.status_code == 204:
            return None
        if response.status_code in RETRY_STATUSES:
            raise GitHubError(f"GitHub answered HTTP {response.status_code} for {method} {path}",
                              response.status_code)
        raise WriteRefused(response.status_code, message_of(response))

    def graphql(self, document: str, variables: dict, *, what: str) -> dict:
        """One paced GraphQL mutation (content-creating, as a REST POST): its `data`. Never sent twice
        by itself: a 5xx or a lost answer is a GitHubError (create_once looks before trying again);
        GitHub's errors (HTTP 200 with `errors`) are WriteRefused; a spent GraphQL budget is waited out."""
        for attempt in range(1, self.api.attempts + 1):
            check_stop(self.pacer.stop)
            self.pacer.wait_turn()
            self.writes_sent += 1
            response = self.api.send("POST", self.api.graphql_url, {"query": document, "variables": variables},
                                     retry_errors=False)
            self.progress.step(what)
            if response.status_code in RETRY_STATUSES:
                raise GitHubError(f"GitHub answered HTTP {response.status_code} for {what}", response.status_code)
            if response.status_code != 200:
                raise WriteRefused(response.status_code, message_of(response))
            answer = response.json()
            if not answer.get("errors"):
                return answer.get("data") or {}
            error = GraphQLError(answer["errors"], answer.get("data"))
            if not error.rate_limited:
                first = answer["errors"][0]
                raise WriteRefused(response.status_code, f"{first.get('type') or 'GraphQL error'}: "
                                                         f"{first.get('message')}")
            if attempt < self.api.attempts:  # not made: asked again after the budget's reset
                reset = int(response.headers.get("x-ratelimit-reset", "0") or 0)
                self.api.pause(max(1.0, reset - time.time() + 1) if reset else 60.0 * attempt, reset or None)
        raise error

    def create_once(self, kind: str, key, create: Callable[[], dict | None],
                    find: Callable[[], dict | None], *, summary: Callable[[dict], dict] = dict) -> dict:
        """What was created for (kind, key): recorded, found on GitHub, or created now.

        `create` sends the request (through `write`, idempotent=False) and returns GitHub's
        answer; `find` looks for it on GitHub (after a kill or a lost answer); `summary`
        picks what the state keeps (ids, numbers). A 5xx or a lost connection is looked up
        with `find` before it is tried again."""
        self.fresh = False
        row = self.state.get(kind, key)
        if row and row[0] == DONE:
            return row[1] or {}
        if row and row[0] == PENDING:
            found = find()
            if found is not None:
                self.adopted += 1
                target = summary(found)
                self.state.mark_done(kind, key, target)
                return target
        for attempt in range(3):
            self.state.mark_pending(kind, key)
            try:
                answer = create()
            except GitHubError as exc:
                if exc.rate_limited or attempt == 2:
                    raise
                log.warning("%s %s: %s; looking whether it was made before trying again", kind, key, exc)
                self.pacer.stop.wait(2 ** attempt)
                found = find()
                if found is not None:
                    answer = found
                else:
                    continue
            target = summary(answer or {})
            self.state.mark_done(kind, key, target)
            self.created[kind] += 1
            self.fresh = True
            return target
        raise AssertionError("unreachable")
