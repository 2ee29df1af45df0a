"""The GitHub API client's pure parts (orgbackup/github/api.py): which answers are waited on, and each
network cause named by host and port, never the URL."""

from __future__ import annotations

import errno
import socket
import ssl

import requests
import urllib3

from orgbackup.github.api import GitHubAPI, GraphQLError, network_cause


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


def test_both_forms_of_a_spent_graphql_budget_are_rate_limits_other_errors_are_not():
    """GitHub's long-standing RATE_LIMITED and the RATE_LIMIT / graphql_rate_limit form seen from
    January 2026 (the waits themselves: tests/integration/backup/parts/test_graphql_rate_limits.py)."""
    assert GraphQLError([{"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}], None).rate_limited
    assert GraphQLError([{"type": "RATE_LIMIT", "code": "graphql_rate_limit",
                          "message": "API rate limit already exceeded for user ID 1."}], None).rate_limited
    assert GraphQLError([{"code": "graphql_rate_limit", "message": "API rate limit already exceeded"}], None).rate_limited
    assert not GraphQLError([{"type": "NOT_FOUND", "message": "Could not resolve"}], {"r0": None}).rate_limited
    assert not GraphQLError([{"type": "INSUFFICIENT_SCOPES", "message": "read:project"}], None).rate_limited


def wrapped(reason: BaseException, outer=requests.exceptions.ConnectionError) -> requests.RequestException:
    """The chain requests raises: its exception <- urllib3's MaxRetryError <- the socket's."""
    pool = urllib3.HTTPSConnectionPool("github.example", 443)
    return outer(urllib3.exceptions.MaxRetryError(pool, "/user", reason=reason))


def test_each_cause_is_named_by_host_and_port_never_the_url():
    url = "https://github.example/api/v3/user?sig=secret"
    gai = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    resolving = urllib3.exceptions.NameResolutionError("github.example", None, gai)
    resolving.__context__ = gai
    assert network_cause(url, wrapped(resolving)) == (
        "the name github.example did not resolve (Name or service not known)")
    refused = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection")
    refused.__context__ = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    assert network_cause(url, wrapped(refused)) == "github.example:443 refused the connection (nothing listens there)"
    unreachable = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection")
    unreachable.__context__ = OSError(errno.ENETUNREACH, "Network is unreachable")
    assert network_cause(url, wrapped(unreachable)) == "no route to github.example:443 (Network is unreachable)"
    assert network_cause(url, requests.exceptions.ConnectTimeout("x")) == (
        "github.example:443 did not accept a connection within 10 s")
    assert network_cause(url, requests.exceptions.ReadTimeout("x")) == (
        "github.example:443 accepted the connection but did not answer in time")
    tls = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000)")
    assert network_cause(url, wrapped(tls, requests.exceptions.SSLError)) == (
        "TLS with github.example:443 failed ([SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000))")
    reset = urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
    assert network_cause(url, requests.exceptions.ConnectionError(reset)) == (
        "github.example:443 closed the connection (ConnectionResetError)")
    other = requests.exceptions.ChunkedEncodingError(f"broken at {url}")
    assert network_cause(url, other) == "ChunkedEncodingError"
    for cause in (network_cause(url, wrapped(refused)), network_cause(url, other)):
        assert "sig=" not in cause and "/api/v3" not in cause


class Pages(GitHubAPI):
    """A client whose requests are answered from `items` as GitHub pages them: at most
    `served` per page, with or without a Link header."""

    def __init__(self, items: list, served: int, link: bool):
        super().__init__("https://github.invalid/api/v3", "unused-token")
        self.items, self.served, self.link, self.asked = items, served, link, []

    def _request(self, url, params, **_):
        import json
        from urllib.parse import parse_qsl, urlsplit
        params = params if params is not None else dict(parse_qsl(urlsplit(url).query))
        self.asked.append(dict(params))
        size, page = min(int(params["per_page"]), self.served), int(params.get("page", 1))
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps(self.items[(page - 1) * size: page * size]).encode()
        if self.link and page * size < len(self.items):
            response.headers["Link"] = (f'<{url.split("?")[0]}?per_page={params["per_page"]}&page={page + 1}>; '
                                        'rel="next"')
        return response


def test_a_listing_is_asked_by_its_documented_maximum_and_followed_by_link():
    api = Pages(list(range(45)), served=30, link=True)
    assert list(api.paginate("repos/o/r/actions/variables")) == list(range(45))
    assert [a["per_page"] for a in api.asked] == [30, "30"]
    api = Pages(list(range(150)), served=100, link=True)
    assert list(api.paginate("repos/o/r/issues")) == list(range(150)) and api.asked[0]["per_page"] == 100


def test_rulesets_are_paged_by_number_until_a_short_page():
    api = Pages(list(range(250)), served=100, link=False)
    assert list(api.paginate("repos/o/r/rulesets")) == list(range(250))
    assert [a.get("page", 1) for a in api.asked] == [1, 2, 3]
    api = Pages(list(range(200)), served=100, link=False)  # a full last page: one empty page more
    assert list(api.paginate("orgs/o/rulesets")) == list(range(200)) and len(api.asked) == 3
    api = Pages(list(range(250)), served=100, link=False)  # any other listing: one page without Link
    assert list(api.paginate("repos/o/r/issues")) == list(range(100))
