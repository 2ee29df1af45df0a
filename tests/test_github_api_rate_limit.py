"""A secondary rate limit without retry-after (403, "You have exceeded a secondary rate
limit", x-ratelimit-remaining not 0): GitHub asks for at least a minute's wait, then
exponentially longer. Against the emulator, with the minute shortened for the test."""

from __future__ import annotations

import time

import pytest

from orgbackup.github import api as github_api
from orgbackup.github.api import GitHubAPI, GitHubError

ORG = "V-Sekai"


@pytest.fixture
def waits(monkeypatch):
    """Every wait the client makes, still really waited."""
    made: list[float] = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        made.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(github_api.time, "sleep", sleep)
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


def test_a_plain_403_is_not_waited_on():
    """403 for other reasons (no rights) must fail at once; 429 without retry-after backs off too."""
    import requests

    def answer(status: int, message: str) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = ('{"message": "%s"}' % message).encode()
        response.headers["x-ratelimit-remaining"] = "4999"
        return response

    api = GitHubAPI("https://github.invalid/api/v3", "unused-token", secondary_wait=60)
    assert api._wait_for(answer(403, "Resource not accessible by integration")) is None
    assert api._wait_for(answer(403, "You have exceeded a secondary rate limit."), 0) == 60
    assert api._wait_for(answer(429, "Too many requests"), 2) == 240
    assert api._wait_for(answer(403, "You have exceeded a secondary rate limit."), 9) == api.max_wait


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
