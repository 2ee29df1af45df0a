"""The wrapper's own small GitHub REST client: what it needs to check the tools' work.

It pages each listing by its documented maximum, following `Link: rel="next"` (or the
page number where GitHub answers without Link: github/pages.py), retries 502/503 and read
errors a few times with backoff, waits on secondary rate limits and 429 (`retry-after`, or
without it, as GitHub asks: at least a minute, then exponentially longer), and waits for
the reset when the primary limit is spent (bounded by `max_wait`: BACKUP_RATE_LIMIT_MAX_WAIT),
with a progress line every 30 s; a stop (SIGTERM) ends any wait.
The token travels in the Authorization header only.
"""

from __future__ import annotations

import errno
import http.client
import logging
import re
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import requests

from orgbackup import backoff
from orgbackup.errors import BackupError
from orgbackup.tools import process
from orgbackup.github import pages
from orgbackup.github.budget_wait import wait_for_reset
from orgbackup.github.urls import token_may_go_to

log = logging.getLogger(__name__)

RETRY_STATUSES = {500, 502, 503, 504}
# GitHub's words in a 403 that is a secondary rate limit, not a refusal.
SECONDARY_RATE_LIMIT_WORDS = "secondary rate limit"


class GitHubError(BackupError):
    def __init__(self, message: str, status: int | None = None, *, rate_limited: bool = False):
        super().__init__(message)
        self.status = status
        # A 403/429 that meant "slow down" (still so after the retries): not a refusal of access.
        self.rate_limited = rate_limited


def refused(url: str, response: requests.Response) -> GitHubError:
    """The error for an answer other than 200, saying whether it was a rate limit."""
    limited = response.status_code in (403, 429) and (
        response.headers.get("x-ratelimit-remaining") == "0"
        or SECONDARY_RATE_LIMIT_WORDS in response.text.lower() or response.status_code == 429)
    what = " (rate limit)" if limited else ""
    return GitHubError(f"GitHub answered HTTP {response.status_code}{what} for {url}", response.status_code,
                       rate_limited=limited)


def certificate_refused(exc: Exception) -> bool:
    """True when TLS failed because the server's certificate is not trusted (not a dropped connection)."""
    return "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate verify failed" in str(exc)


def untrusted_certificate(url: str, exc: Exception, *, own_bundle: bool = False) -> str:
    """One line: the host, OpenSSL's reason, and the variable that fixes an internal CA."""
    found = re.search(r"certificate verify failed: ([^(\]'\"]+)", str(exc))
    reason = found.group(1).strip() if found else "certificate verify failed"
    host = urlsplit(url).netloc
    if own_bundle:
        return (f"the TLS certificate of {host} is not trusted ({reason}), even with GITHUB_CA_BUNDLE(_FILE): "
                f"is that the certificate authority that signed it?")
    return (f"the TLS certificate of {host} is not trusted ({reason}); behind an internal certificate "
            f"authority set GITHUB_CA_BUNDLE_FILE to its CA certificate (PEM)")


# A connection that cannot be made fails within this many seconds (a network that drops
# packets would otherwise hold each attempt for the whole read timeout).
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
WRITE_READ_TIMEOUT = 300.0


def exception_chain(exc: BaseException) -> list[BaseException]:
    """exc and what caused it: requests wraps urllib3's errors, which wrap the socket's."""
    chain: list[BaseException] = []
    while exc is not None and exc not in chain and len(chain) < 10:
        chain.append(exc)
        below = getattr(exc, "reason", None)
        if not isinstance(below, BaseException):
            below = exc.__cause__ or exc.__context__
        if below is None:  # ProtocolError("Connection aborted.", ConnectionResetError(...))
            below = next((arg for arg in exc.args if isinstance(arg, BaseException)), None)
        exc = below
    return chain


def network_cause(url: str, exc: BaseException) -> str:
    """Why a request got no answer, in words: the name did not resolve, the connection was
    refused, no route, TLS, a timeout, the connection closed; else the exception's class.
    Names the host and port only, never the URL's path or query."""
    parts = urlsplit(url)
    host = parts.hostname or parts.netloc
    address = f"{host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    chain = exception_chain(exc)
    resolving = [item for item in chain if isinstance(item, socket.gaierror)]
    if resolving or any(type(item).__name__ == "NameResolutionError" for item in chain):
        reason = resolving[0].strerror if resolving else "name resolution failed"
        return f"the name {host} did not resolve ({reason})"
    for item in chain:
        if isinstance(item, ConnectionRefusedError):
            return f"{address} refused the connection (nothing listens there)"
        if isinstance(item, OSError) and item.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return f"no route to {address} ({item.strerror})"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"{address} did not accept a connection within {CONNECT_TIMEOUT:.0f} s"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"{address} accepted the connection but did not answer in time"
    if isinstance(exc, requests.exceptions.SSLError):
        reasons = [str(item)[:200] for item in chain if isinstance(item, ssl.SSLError)]
        return f"TLS with {address} failed" + (f" ({reasons[-1]})" if reasons else "")
    for item in chain:
        if isinstance(item, (ConnectionResetError, ConnectionAbortedError, http.client.RemoteDisconnected)):
            return f"{address} closed the connection ({item.__class__.__name__})"
    # requests' own messages name the URL with its query (a signed download's): not repeated.
    return exc.__class__.__name__


# GitHub's GraphQL answers (HTTP 200) to a spent budget: `"type": "RATE_LIMITED"`, and since
# January 2026 also `"type": "RATE_LIMIT", "code": "graphql_rate_limit"` ("API rate limit already
# exceeded for user ID ..."). Either is waited out; a 403/429 with x-ratelimit-remaining 0 is
# waited out as REST's is (`_wait_for`).
RATE_LIMIT_TYPES = {"RATE_LIMITED", "RATE_LIMIT"}
RATE_LIMIT_CODES = {"graphql_rate_limit"}


class GraphQLError(GitHubError):
    """GitHub answered a GraphQL query with `errors` (HTTP 200): `types` are GitHub's error
    types (NOT_FOUND, FORBIDDEN, INSUFFICIENT_SCOPES, ...), `data` what it answered anyway."""

    def __init__(self, errors: list[dict], data: dict | None):
        first = errors[0] if errors else {}
        super().__init__(f"GitHub's GraphQL API answered: {first.get('message', 'an error')}"
                         + (f" ({len(errors)} errors)" if len(errors) > 1 else ""), 200)
        self.errors = errors
        self.types = {e.get("type") for e in errors if e.get("type")}
        self.data = data or {}
        self.rate_limited = bool(self.types & RATE_LIMIT_TYPES) or any(
            e.get("code") in RATE_LIMIT_CODES for e in errors if isinstance(e, dict))


def repositories_query(fields: str, names: list[str]) -> tuple[str, dict]:
    """One GraphQL query asking `fields` of each repository of one owner ($o) under alias r<i>;
    names travel as variables ($n<i>), never pasted into the query text."""
    declared = "".join(f", $n{i}: String!" for i in range(len(names)))
    asked = "\n".join(f"  r{i}: repository(owner: $o, name: $n{i}) {{ {fields} }}" for i in range(len(names)))
    return f"query($o: String!{declared}) {{\n{asked}\n}}", {f"n{i}": name for i, name in enumerate(names)}


def whole_page(connection, key: str = "nodes") -> list | None:
    """A GraphQL connection's `key` list (nodes or edges) when its one page holds all of it
    (pure); None when refused (null), or when GitHub has more than the page."""
    if not isinstance(connection, dict) or connection.get(key) is None:
        return None
    if (connection.get("pageInfo") or {}).get("hasNextPage") or len(connection[key]) != connection.get("totalCount"):
        return None
    return connection[key]


@dataclass
class RateLimit:
    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None


def graphql_url_of(api_url: str) -> str:
    """api.github.com -> api.github.com/graphql; Enterprise HOST/api/v3 -> HOST/api/graphql."""
    api_url = api_url.rstrip("/")
    if api_url.endswith("/api/v3"):
        return api_url[: -len("/v3")] + "/graphql"
    return api_url + "/graphql"


class GitHubAPI:
    def __init__(self, api_url: str, token: str | Callable[[], str], *, attempts: int = 5, max_wait: float = 900.0,
                 secondary_wait: float = 60.0, scheme: str = "token", verify: str | bool = True):
        """`token`: the token, or a function giving the current one (a GitHub App's installation
        token is renewed during the run: it is asked for at every request). `scheme`: "Bearer"
        for an App's JWT. `verify`: the run's CA bundle (orgbackup/config/trust.py), or True."""
        self.api_url = api_url.rstrip("/")
        self.verify = verify
        self.graphql_url = graphql_url_of(self.api_url)
        self.attempts = attempts
        self.max_wait = max_wait
        # The first wait on a secondary rate limit without retry-after (GitHub: at least a minute).
        self.secondary_wait = secondary_wait
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "User-Agent": "orgbackup",
            }
        )
        self._token = token if callable(token) else (lambda: token)
        self._scheme = scheme
        self.rate = RateLimit()
        self.requests_made = 0
        self._count_lock = threading.Lock()

    def current_token(self) -> str:
        return self._token()

    def authorization(self) -> dict[str, str]:
        """The header for a request made outside this client (a streamed download)."""
        return {"Authorization": f"{self._scheme} {self._token()}"}

    def url(self, path: str) -> str:
        return path if path.startswith("https://") else f"{self.api_url}/{path.lstrip('/')}"

    def _request(self, url: str, params: dict | None, *, json_body: dict | None = None,
                 method: str | None = None, data: bytes | None = None,
                 content_type: str | None = None, retry_errors: bool = True) -> requests.Response:
        """GET without a body, POST with `json_body`; or `method` with a JSON body or raw `data`.
        `retry_errors=False`: a 5xx or a lost connection is not retried (a write that may have
        happened is the caller's to check); 'slow down' answers are still waited out and retried."""
        slowed = 0  # answers of this request that meant 'slow down' (the backoff's exponent)
        for attempt in range(1, self.attempts + 1):
            with self._count_lock:
                self.requests_made += 1
            # The token only to GitHub's API: a URL an answer named (a Link header's) may be elsewhere.
            headers = self.authorization() if token_may_go_to(url, self.api_url) else {}
            if content_type:
                headers["Content-Type"] = content_type
            verb = method or ("GET" if json_body is None else "POST")
            try:
                if verb == "GET":
                    response = self.session.get(url, params=params, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                                                headers=headers, verify=self.verify)
                else:
                    response = self.session.request(verb, url, params=params, json=json_body, data=data,
                                                    timeout=(CONNECT_TIMEOUT, WRITE_READ_TIMEOUT), headers=headers,
                                                    verify=self.verify)
            except requests.RequestException as exc:
                if isinstance(exc, requests.exceptions.SSLError) and certificate_refused(exc):
                    # no retry: the next attempt would meet the same certificate
                    raise GitHubError(untrusted_certificate(url, exc, own_bundle=self.verify is not True)) from None
                cause = network_cause(url, exc)
                if attempt == self.attempts or not retry_errors:
                    raise GitHubError(f"GitHub did not answer {url}: {cause}"
                                      + (f" (after {attempt} attempts)" if attempt > 1 else "")) from None
                wait = backoff.delay(attempt)
                log.warning("GitHub did not answer %s: %s; attempt %d of %d in %.0f s",
                            url, cause, attempt + 1, self.attempts, wait)
                time.sleep(wait)
                continue
            self._note_rate(response)
            wait = self._wait_for(response, slowed)
            if wait is not None:
                slowed += 1
            if wait is not None and attempt < self.attempts:
                log.warning("GitHub asks to slow down (HTTP %s); waiting %.0f s", response.status_code, wait)
                spent = response.headers.get("x-ratelimit-remaining") == "0"
                self.pause(wait, int(response.headers.get("x-ratelimit-reset", "0") or 0) if spent else None)
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.attempts and retry_errors:
                time.sleep(backoff.delay(attempt, jitter=True))
                continue
            return response
        return response

    def pause(self, wait: float, reset: int | None = None) -> None:
        """Wait `wait` seconds as GitHub asked (for the budget's `reset`: with progress lines);
        a stop (SIGTERM) ends the wait with a GitHubError."""
        if not (wait_for_reset(wait, reset) if reset else process.wait_unless_stopped(wait)):
            raise GitHubError("stopped while waiting for GitHub's API budget", rate_limited=True)

    def _note_rate(self, response: requests.Response) -> None:
        h = response.headers
        # GraphQL has a budget of its own (points); `rate` is the REST core budget the tools share.
        if "x-ratelimit-remaining" in h and h.get("x-ratelimit-resource", "core") == "core":
            self.rate = RateLimit(
                int(h.get("x-ratelimit-limit", 0)),
                int(h["x-ratelimit-remaining"]),
                int(h.get("x-ratelimit-reset", 0)),
            )

    def _wait_for(self, response: requests.Response, slowed: int = 0) -> float | None:
        """Seconds to wait before retrying, for the answers that mean 'slow down'
        (`slowed`: how many such answers this request had before)."""
        status = response.status_code
        if status not in (403, 429):
            return None
        retry_after = response.headers.get("retry-after")
        if retry_after:
            return min(float(retry_after), self.max_wait)
        if response.headers.get("x-ratelimit-remaining") == "0":
            reset = int(response.headers.get("x-ratelimit-reset", "0") or 0)
            wait = max(1.0, reset - time.time() + 1)
            if wait > self.max_wait:
                raise GitHubError(
                    f"GitHub's rate limit is spent until {time.strftime('%H:%M:%S', time.gmtime(reset))} UTC",
                    status, rate_limited=True,
                )
            return wait
        if status == 429 or SECONDARY_RATE_LIMIT_WORDS in response.text.lower():
            # No retry-after: a minute, then twice as long each time (GitHub's advice).
            return min(self.secondary_wait * 2 ** slowed, max(self.max_wait, self.secondary_wait))
        return None

    def get(self, path: str, params: dict | None = None) -> Any:
        url = self.url(path)
        response = self._request(url, params)
        if response.status_code != 200:
            raise refused(url, response)
        return response.json()

    def post(self, path: str, body: dict | None = None) -> Any:
        """A REST POST that creates something (201) or answers (200)."""
        url = self.url(path)
        response = self._request(url, None, json_body=body or {})
        if response.status_code not in (200, 201):
            raise refused(url, response)
        return response.json()

    def send(self, method: str, path: str, body: dict | None = None, *, params: dict | None = None,
             data: bytes | None = None, content_type: str | None = None,
             retry_errors: bool = True) -> requests.Response:
        """Any request, answered as it came (after the waits, and the retries unless
        `retry_errors=False`): for writes whose refusals the caller interprets (422, 404)."""
        return self._request(self.url(path), params, json_body=body, method=method.upper(), data=data,
                             content_type=content_type, retry_errors=retry_errors)

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        """The `data` of a GraphQL query; GraphQLError when GitHub lists errors.

        A spent GraphQL budget is an HTTP 200 with a RATE_LIMITED (or RATE_LIMIT) error: waited
        out until its reset like the REST budget (bounded by `max_wait`; without a reset header,
        a minute and then twice as long each time), then asked again."""
        body = {"query": query, "variables": variables or {}}
        for attempt in range(1, self.attempts + 1):
            response = self._request(self.graphql_url, None, json_body=body)
            if response.status_code != 200:
                raise refused(self.graphql_url, response)
            answer = response.json()
            error = GraphQLError(answer["errors"], answer.get("data")) if answer.get("errors") else None
            if error is None:
                return answer.get("data") or {}
            if not error.rate_limited or attempt == self.attempts:
                raise error
            reset = int(response.headers.get("x-ratelimit-reset", "0") or 0)
            if reset:
                wait = max(1.0, reset - time.time() + 1)
            else:
                wait = min(self.secondary_wait * 2 ** (attempt - 1), self.max_wait)
            if wait > self.max_wait:
                raise error
            log.warning("GitHub's GraphQL budget is spent; waiting %.0f s for its reset", wait)
            self.pause(wait, reset or None)
        raise AssertionError("unreachable")

    def repositories(self, owner: str, names: list[str], fields: str, batch: int,
                     threads: int = 1) -> dict[str, dict]:
        """Name -> `fields` of each repository, `batch` repositories per GraphQL query and up
        to `threads` queries at once.  A repository GitHub answers nothing for (NOT_FOUND:
        gone, or hidden from the token) is absent; a query that fails as a whole (network,
        5xx, bad token) raises GitHubError."""
        def ask(chunk: list[str]) -> dict[str, dict]:
            query, variables = repositories_query(fields, chunk)
            try:
                data = self.graphql(query, dict(variables, o=owner))
            except GraphQLError as exc:
                if not exc.data:  # not an answer with some aliases missing: the query failed
                    raise
                log.info("GraphQL for %d repositories of %s: %s", len(chunk), owner, exc)
                data = exc.data
            return {name: data[f"r{i}"] for i, name in enumerate(chunk) if data.get(f"r{i}")}

        chunks = [names[start:start + batch] for start in range(0, len(names), batch)]
        found: dict[str, dict] = {}
        with ThreadPoolExecutor(max_workers=max(1, min(threads, len(chunks) or 1))) as pool:
            for answered in pool.map(ask, chunks):
                found.update(answered)
        return found

    def paginate(self, path: str, params: dict | None = None) -> Iterator[Any]:
        """Every item of a listing, asked by pages of the operation's documented maximum
        (orgbackup/github/pages.py): following `Link: rel="next"`, or, for the listings that
        answer without a Link header (rulesets), by page number until a page shorter than asked."""
        params = dict(params or {})
        maximum = pages.per_page_maximum(path)
        size = min(int(params.get("per_page", maximum)), maximum)
        params["per_page"] = size
        by_number = pages.pages_without_link(path)
        number = int(params.get("page", 1))
        url: str | None = self.url(path)
        previous = None
        while url:
            response = self._request(url, params)
            if response.status_code != 200:
                raise refused(url, response)
            items = response.json()
            if by_number and items and items == previous:
                break  # a server that ignores `page`: the same page again is no new page
            yield from items
            if by_number:
                number += 1
                url = url if len(items) >= size else None
                params, previous = dict(params, page=number), items
            else:
                url = response.links.get("next", {}).get("url")
                params = None  # the next link carries the query

    # What the run asks GitHub

    def user(self) -> dict:
        return self.get("user")

    def organization(self, org: str) -> dict:
        return self.get(f"orgs/{org}")

    def org_repositories(self, org: str) -> list[dict]:
        return list(self.paginate(f"orgs/{org}/repos", {"type": "all"}))

    def rate_limit(self) -> dict:
        return self.get("rate_limit")

    def issue_comments_since(self, full_name: str, since: str | None) -> list[dict]:
        params = {"since": since} if since else {}
        return list(self.paginate(f"repos/{full_name}/issues/comments", params))

    def issues_updated_since(self, full_name: str, since: str, limit: int = 1) -> list[dict]:
        """Issues and pulls updated at or after `since` (one page of `limit`)."""
        params = {"state": "all", "since": since, "per_page": limit, "sort": "updated"}
        response = self._request(self.url(f"repos/{full_name}/issues"), params)
        if response.status_code != 200:
            raise refused(f"issues of {full_name}", response)
        return response.json()
