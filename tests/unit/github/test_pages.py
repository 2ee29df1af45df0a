"""The paging table (orgbackup/github/pages.py) read for request paths and URLs; the table
itself is checked against GitHub's description by tests/unit/contract/test_page_limits.py."""

from __future__ import annotations

from orgbackup.github import pages


def test_a_listing_is_found_by_its_path_or_url():
    assert pages.per_page_maximum("repos/o/r/actions/variables") == 30
    assert pages.per_page_maximum("/orgs/o/actions/variables") == 30
    assert pages.per_page_maximum("https://ghe.example/api/v3/orgs/o/actions/variables?page=2") == 30
    assert pages.per_page_maximum("repos/o/r/environments/pro%2Fd/variables") == 30
    assert pages.per_page_maximum("repos/o/r/actions/secrets") == 100
    assert pages.per_page_maximum("repos/o/r/issues") == 100


def test_rulesets_page_without_link_and_one_ruleset_is_no_listing():
    assert pages.pages_without_link("repos/o/r/rulesets") and pages.pages_without_link("orgs/o/rulesets")
    assert not pages.pages_without_link("repos/o/r/rulesets/7")
    assert not pages.pages_without_link("repos/o/r/issues")
