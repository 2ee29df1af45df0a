"""How GitHub pages each REST listing the product reads: its largest page, and how it says
there is another.

Most listings take `per_page` up to 100 and name the next page in a `Link` header.  Some
allow fewer: GitHub answers a larger `per_page` with its own maximum, silently, so a client
that asks 100 and reads a page of 30 as "the last" loses the rest.  The exceptions are
listed here, each under the path of its operation in GitHub's OpenAPI description:

- PER_PAGE_MAXIMUM: the listings whose `per_page` is at most something other than 100
  (tests/unit/contract/test_page_limits.py checks this table against the pinned description:
  every listing the emulator serves, which is every listing the product and github-backup
  read, whose maximum is not 100 must be here with its value);
- WITHOUT_LINK: the listings that page by `page` and `per_page` but answer without a `Link`
  header: they are read page by page number until a page shorter than asked.

Listings answering an object with `total_count` (variables, secrets, environments) are read
until that count, never concluded from a short page (repository_settings.list_object).
A GraphQL connection pages by its `pageInfo` (graphql_nodes).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

DEFAULT_MAXIMUM = 100

PER_PAGE_MAXIMUM = {
    "/orgs/{org}/actions/variables": 30,
    "/repos/{owner}/{repo}/actions/variables": 30,
    "/repos/{owner}/{repo}/environments/{environment_name}/variables": 30,
}

WITHOUT_LINK = frozenset({
    "/orgs/{org}/rulesets",
    "/repos/{owner}/{repo}/rulesets",
})


def _pattern(template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "/?$")


_MAXIMA = [(_pattern(template), maximum) for template, maximum in PER_PAGE_MAXIMUM.items()]
_WITHOUT_LINK = [_pattern(template) for template in WITHOUT_LINK]


def operation_path(path: str) -> str:
    """The API path of a request, "/repos/o/r/rulesets": from a relative path, a URL, or a
    GitHub Enterprise URL (/api/v3/...), without the query."""
    path = urlsplit(path).path if "://" in path else path.split("?", 1)[0]
    path = "/" + path.lstrip("/")
    if path == "/api/v3" or path.startswith("/api/v3/"):
        path = path[len("/api/v3"):] or "/"
    return path


def per_page_maximum(path: str) -> int:
    """The largest page GitHub serves for the listing at `path` (a request's path or URL)."""
    path = operation_path(path)
    return next((maximum for pattern, maximum in _MAXIMA if pattern.match(path)), DEFAULT_MAXIMUM)


def pages_without_link(path: str) -> bool:
    """Does the listing at `path` page by page number without a Link header?"""
    path = operation_path(path)
    return any(pattern.match(path) for pattern in _WITHOUT_LINK)


def graphql_nodes(api, document: str, variables: dict, connection_of):
    """The nodes of the connection `connection_of(data)` of a paged GraphQL query (its `$after`),
    page by page, read only as far as asked."""
    after = None
    while True:
        connection = connection_of(api.graphql(document, dict(variables, after=after))) or {}
        yield from (node for node in connection.get("nodes") or [] if node)
        page = connection.get("pageInfo") or {}
        if not page.get("hasNextPage"):
            return
        after = page["endCursor"]
