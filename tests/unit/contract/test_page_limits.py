"""The paging tables against GitHub's pinned OpenAPI description (tests/contract/pins.json):
the product's (orgbackup/github/pages.py: the largest page of each listing it reads) and the
emulator's (tests/github_emulator/page_limits.py: the default and largest page it serves).

The listings checked are the emulator's GET routes (routes.ROUTES): it serves every listing
the product and github-backup read (a listing it does not serve fails their tests with 404),
so a new listing whose maximum is not 100 fails here until both tables name it."""
from __future__ import annotations

import functools
import json
import re

import pytest

from orgbackup.github import pages
from tests.contract.descriptions import openapi_path
from tests.github_emulator import page_limits
from tests.github_emulator.routes import ROUTES

REPO = "/repos/{owner}/{repo}"


@functools.cache
def description() -> dict:
    return json.loads(openapi_path().read_text())


def shape(template: str) -> str:
    """A path template with its parameters unnamed: "/repos/{}/{}/rulesets"."""
    return re.sub(r"\{[^}]+\}", "{}", template)


def documented(template: str) -> str | None:
    """The description's path of a route's template, or None when it documents no such path."""
    wanted = shape(template)
    return next((path for path in description()["paths"] if shape(path) == wanted), None)


def parameter(operation: dict, name: str) -> dict | None:
    for item in operation.get("parameters", []):
        if "$ref" in item:
            item = description()["components"]["parameters"][item["$ref"].rsplit("/", 1)[-1]]
        if item.get("name") == name and item.get("in") == "query":
            return item
    return None


def per_page_of(path: str) -> tuple[int, int] | None:
    """(default, maximum) of the GET operation's per_page, or None when it takes none. The
    maximum is the schema's `maximum`, else the description's words "(max N)"."""
    operation = description()["paths"][path].get("get") or {}
    found = parameter(operation, "per_page")
    if found is None:
        return None
    schema = found.get("schema", {})
    maximum = schema.get("maximum")
    if maximum is None:
        words = re.search(r"\(max (\d+)\)", found.get("description", ""))
        assert words, f"GET {path}: per_page names no maximum: {found.get('description')!r}"
        maximum = int(words.group(1))
    return int(schema.get("default", 30)), int(maximum)


def concrete(template: str) -> str:
    """A request path of a template: "/repos/p1/p2/rulesets"."""
    names = iter(range(1, 100))
    return re.sub(r"\{[^}]+\}", lambda _: f"p{next(names)}", template)


def served_listings() -> list[tuple[str, tuple[int, int]]]:
    """(the description's path, its per_page) of each GET route of the emulator that pages."""
    found = {}
    for method, template, _handler in ROUTES:
        path = documented(re.sub(r"\{([^}:]+):path\}", r"{\1}", template)) if method == "GET" else None
        limits = per_page_of(path) if path else None
        if limits:
            found[path] = limits
    return sorted(found.items())


def test_the_description_is_read():
    listings = dict(served_listings())
    assert len(listings) > 30  # the routes were found in the description
    assert listings[REPO + "/issues"] == (30, 100)


@pytest.mark.parametrize("path,limits", served_listings())
def test_the_product_pages_each_listing_by_its_documented_maximum(path, limits):
    assert pages.per_page_maximum(concrete(path)) == limits[1], path


@pytest.mark.parametrize("path,limits", served_listings())
def test_the_emulator_serves_each_listing_with_its_documented_default_and_maximum(path, limits):
    assert page_limits.limits(concrete(path)) == limits, path


def test_every_entry_of_the_tables_is_a_documented_listing_with_that_maximum():
    for path, maximum in pages.PER_PAGE_MAXIMUM.items():
        assert path in description()["paths"], path
        assert per_page_of(path)[1] == maximum, path
        assert maximum != pages.DEFAULT_MAXIMUM, f"{path}: the default needs no entry"
    for path, limits in page_limits.PER_PAGE.items():
        assert path in description()["paths"], path
        assert per_page_of(path) == limits, path
        assert limits != page_limits.DEFAULT, f"{path}: the default needs no entry"
    # the product's exceptions are the emulator's
    assert {p: m for p, (_, m) in page_limits.PER_PAGE.items() if m != 100} == pages.PER_PAGE_MAXIMUM


def test_the_listings_without_link_are_the_same_and_page_by_number():
    assert pages.WITHOUT_LINK == page_limits.WITHOUT_LINK
    for path in pages.WITHOUT_LINK:
        operation = description()["paths"][path]["get"]
        assert parameter(operation, "page") and parameter(operation, "per_page"), path
        assert pages.pages_without_link(concrete(path)) and page_limits.without_link(concrete(path))
        assert not pages.pages_without_link(concrete(path) + "/5")  # one ruleset is no listing


def test_the_listings_github_answers_whole_are_served_whole():
    """A GET route whose operation answers a list and takes no per_page is answered unpaged,
    by GitHub and so by the emulator (the product then sends no per_page: the contract checks)."""
    whole = set()
    for method, template, _handler in ROUTES:
        path = documented(re.sub(r"\{([^}:]+):path\}", r"{\1}", template)) if method == "GET" else None
        if not path or per_page_of(path) is not None:
            continue
        answer = ((description()["paths"][path].get("get") or {}).get("responses") or {}).get("200", {})
        if "$ref" in answer:
            answer = description()["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        if "$ref" in schema:
            schema = description()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        if schema.get("type") == "array":
            whole.add(path)
    assert whole == set(page_limits.UNPAGED)
    assert all(page_limits.unpaged(concrete(path)) for path in whole)
