"""The GitHub API client (orgbackup/github/api.py) against the emulator and loopback: a secondary
rate limit without retry-after (403, "You have exceeded a secondary rate limit",
x-ratelimit-remaining not 0), for which GitHub asks for at least a minute's wait, then
exponentially longer (the minute shortened for the test); a spent GraphQL budget; a refused
connection named at once (the pure parts: tests/unit/github/test_api.py)."""

from __future__ import annotations

import threading
import time

import pytest

from orgbackup.github import api as github_api
from orgbackup.github.api import GitHubAPI, GitHubError
from orgbackup.tools import process
from tests.support.backends import free_port


ORG = "V-Sekai"


@pytest.fixture
def waits(monkeypatch):
    """Every wait the client makes, still really waited (a stop ends a 'slow down' wait: those
    go through process.wait_unless_stopped)."""
    made: list[float] = []
    real_sleep, real_wait = time.sleep, process.wait_unless_stopped

    def sleep(seconds: float) -> None:
        made.append(seconds)
        real_sleep(seconds)

    def wait_unless_stopped(seconds: float) -> bool:
        made.append(seconds)
        return real_wait(seconds)

    monkeypatch.setattr(github_api.time, "sleep", sleep)
    monkeypatch.setattr(process, "wait_unless_stopped", wait_unless_stopped)
    return made


def test_waits_then_succeeds_with_backoff_and_few_requests(github_emulator, waits):
    api = GitHubAPI(github_emulator.api_url, github_emulator.admin_token, secondary_wait=0.5)
    github_emulator.reset_counters()
    github_emulator.set_faults(secondary_rate_limit_no_retry_after=2)
    started = time.monotonic()
    assert api.organization(ORG)["login"] == ORG
    assert time.monotonic() - started >= 2
    assert waits == [0.5, 1.0, 2.0]  # the configured first wait, then doubling
    assert api.requests_made == 4 and github_emulator.counters()["api"] == 4


def test_the_wait_is_bounded_by_attempts(github_emulator, waits):
    """A limit that does not lift: a few waits, then a clear error, not a loop."""
    api = GitHubAPI(github_emulator.api_url, github_emulator.admin_token, attempts=3, secondary_wait=0.1)
    github_emulator.set_faults(secondary_rate_limit_no_retry_after=60)
    with pytest.raises(GitHubError, match="HTTP 403"):
        api.organization(ORG)
    assert waits == [0.1, 0.2] and api.requests_made == 3


def test_a_spent_graphql_budget_is_waited_out_then_the_query_answers(github_emulator, waits):
    """GitHub answers HTTP 200 with a RATE_LIMITED error and the reset time in its headers."""
    api = GitHubAPI(github_emulator.api_url, github_emulator.admin_token)
    github_emulator.set_faults(rate_limit_exhausted=2)
    data = api.graphql("query { organization(login: \"V-Sekai\") { login } }")
    assert data == {"organization": {"login": ORG}}
    assert len(waits) == 1 and 0 < waits[0] <= 4


def test_a_graphql_budget_spent_for_longer_than_max_wait_is_a_rate_limit_error(github_emulator, waits):
    api = GitHubAPI(github_emulator.api_url, github_emulator.admin_token, max_wait=1)
    github_emulator.set_faults(rate_limit_exhausted=30)
    with pytest.raises(github_api.GraphQLError) as raised:
        api.graphql("query { organization(login: \"V-Sekai\") { login } }")
    assert raised.value.rate_limited and waits == []


def test_a_stop_ends_the_wait_for_a_spent_budget_at_once(github_emulator, caplog):
    """The REST budget spent for a minute (within max_wait): the client waits with a progress line,
    and a stop (SIGTERM: process.stop_all) ends the wait within a second, as a rate-limit error."""
    api = GitHubAPI(github_emulator.api_url, github_emulator.admin_token)
    github_emulator.set_faults(rate_limit_exhausted=60)
    threading.Timer(1, process.stop_all).start()
    started = time.monotonic()
    try:
        with caplog.at_level("WARNING"), pytest.raises(GitHubError, match="stopped while waiting") as raised:
            api.organization(ORG)
    finally:
        process.reset_stop()
    assert time.monotonic() - started < 3 and raised.value.rate_limited
    assert any("for GitHub's API budget to reset at" in r.getMessage() for r in caplog.records)


def test_a_refused_connection_is_named_at_once_with_a_line_per_retry(caplog):
    port = free_port()  # nothing listens there
    api = GitHubAPI(f"https://127.0.0.1:{port}/api/v3", "unused-token", attempts=3)
    started = time.monotonic()
    with caplog.at_level("WARNING", logger="orgbackup.github.api"), pytest.raises(GitHubError) as caught:
        api.get("/user")
    seconds = time.monotonic() - started
    assert str(caught.value) == (f"GitHub did not answer https://127.0.0.1:{port}/api/v3/user: 127.0.0.1:{port} "
                                 f"refused the connection (nothing listens there) (after 3 attempts)")
    retries = [r.getMessage() for r in caplog.records]
    assert retries == [f"GitHub did not answer https://127.0.0.1:{port}/api/v3/user: 127.0.0.1:{port} refused the "
                       f"connection (nothing listens there); attempt {n} of 3 in {delay} s"
                       for n, delay in ((2, 1), (3, 2))]
    assert seconds < 3 + 2  # the backoff (1 + 2 s) and little else
