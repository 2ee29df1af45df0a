"""How the emulator pages each REST listing as GitHub does: `per_page`'s default and maximum
per operation (a larger `per_page` is served as the maximum, silently, as GitHub does), and
the listings GitHub answers without a `Link` header.

Keyed by the operation's path in GitHub's OpenAPI description; tests/unit/contract/
test_page_limits.py checks the table against the pinned description (every listing in
routes.ROUTES whose default is not 30 or whose maximum is not 100 is here, with the
description's values). A table rather than the description read at startup: the emulator
also runs inside the image tests, where the description is not at hand.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

DEFAULT = (30, 100)  # (default per_page, maximum per_page) of most listings

PER_PAGE = {
    "/orgs/{org}/actions/variables": (10, 30),
    "/repos/{owner}/{repo}/actions/variables": (10, 30),
    "/repos/{owner}/{repo}/environments/{environment_name}/variables": (10, 30),
}

# Paged by `page`/`per_page`, answered without a Link header (as GitHub does).
WITHOUT_LINK = frozenset({
    "/orgs/{org}/rulesets",
    "/repos/{owner}/{repo}/rulesets",
})

# Answered whole: the description gives these listings no per_page (tests/unit/contract/test_page_limits.py).
UNPAGED = frozenset({
    "/repos/{owner}/{repo}/autolinks",
})


def _pattern(template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "/?$")


_PER_PAGE = [(_pattern(template), limits) for template, limits in PER_PAGE.items()]
_WITHOUT_LINK = [_pattern(template) for template in WITHOUT_LINK]
_UNPAGED = [_pattern(template) for template in UNPAGED]


def api_path(url: str) -> str:
    """The API path of a URL or path: without the host, the query and GitHub Enterprise's /api/v3."""
    path = urlsplit(url).path
    if path == "/api/v3" or path.startswith("/api/v3/"):
        path = path[len("/api/v3"):] or "/"
    return path


def limits(url: str) -> tuple[int, int]:
    """(default, maximum) of `per_page` for the listing at `url`."""
    path = api_path(url)
    return next((found for pattern, found in _PER_PAGE if pattern.match(path)), DEFAULT)


def unpaged(url: str) -> bool:
    path = api_path(url)
    return any(pattern.match(path) for pattern in _UNPAGED)


def without_link(url: str) -> bool:
    path = api_path(url)
    return any(pattern.match(path) for pattern in _WITHOUT_LINK)
