"""Every GraphQL document the product can send (tests/contract/product_graphql.py), built as the
product builds it, fits GitHub's published schema and limits (tests/contract/graphql.py); the
enumeration covers every call site in orgbackup/ that sends GraphQL; and the checker itself finds
what GitHub refuses (a `first: 0`, a field GitHub lacks, a null where GitHub never sends one)."""

from __future__ import annotations

import time

import pytest

from tests.contract import product_graphql
from tests.contract.graphql import analysed, measure, violations

SENT = product_graphql.documents()


@pytest.mark.parametrize("sent", SENT, ids=[s.name for s in SENT])
def test_each_document_the_product_sends_fits_githubs_schema_and_limits(sent):
    assert violations(sent.document, sent.variables, None) == []
    nodes, cost = measure(sent.document, sent.variables)
    assert nodes <= 10_000 and cost <= 10  # far under GitHub's 500,000 nodes; cost in points of 5,000 an hour


def test_the_change_check_with_100_repositories_a_batch_stays_cheap():
    """Finding 3's fix (`first: 1` for the eight counts) adds 8 nodes a repository, no points."""
    document, variables = product_graphql.batch(product_graphql.changes.ACTIVITY_FIELDS, 100)
    assert measure(document, variables) == (100 * 10, 10)
    old = document.replace("(first: 1) { totalCount }", "(first: 0) { totalCount }")
    refused = violations(old, variables, None)
    assert len(refused) == 8 * 100 and refused[0] == "query.r0.milestones: first/last is 0; GitHub allows 1..100"


def test_every_call_site_sending_graphql_is_enumerated():
    """A new `.graphql(...)`, `.repositories(..., FIELDS, ...)` or `repositories_query(...)` in
    orgbackup/ fails here until product_graphql.documents() builds what it sends."""
    sites = product_graphql.call_sites()
    assert sorted(sites) == sorted(product_graphql.COVERED), (
        f"call sites not enumerated: {sorted(set(sites) - set(product_graphql.COVERED))}; "
        f"enumerated but gone: {sorted(set(product_graphql.COVERED) - set(sites))}")
    names = {sent.name.split(",")[0] for sent in SENT}
    for site, documents in product_graphql.COVERED.items():
        assert documents and set(documents) <= names, site


def test_every_graphql_text_in_the_package_is_among_the_documents_checked():
    """Each module-level query (`query ...`) or batched selection (`..._FIELDS`) of orgbackup/ is
    one of the documents checked, whole or as the batched query's selection."""
    checked = "\n".join(sent.document for sent in SENT)
    texts = product_graphql.module_documents()
    assert len(texts) >= 8
    missing = [name for name, text in texts.items() if text not in checked]
    assert missing == []


def test_the_checker_finds_what_github_refuses():
    query = "query($o: String!, $n: String!, $k: Int!) { repository(owner: $o, name: $n) { %s } }"
    assert violations(query % "issues(first: $k) { totalCount }", {"o": "a", "n": "b", "k": 0}, None) == [
        "query.repository.issues: first/last is 0 ($k); GitHub allows 1..100"]
    plain = 'query { repository(owner: "a", name: "b") { %s } }'
    assert violations(plain % "issues { totalCount }", None, None) == [
        "query.repository.issues: a connection without `first` or `last` (GitHub refuses it)"]
    assert violations(plain % "issues(first: 101) { totalCount }", None, None) == [
        "query.repository.issues: first/last is 101; GitHub allows 1..100"]
    deep = "issues(first: $k) { nodes { comments(first: 100) { nodes { reactions(first: 100) { totalCount } } } } }"
    assert violations(query % deep, {"o": "a", "n": "b", "k": 100}, None) == [
        "the query asks for up to 1,010,100 nodes; GitHub's limit is 500,000"]
    unknown = violations(plain % "noSuchField", None, None)
    assert len(unknown) == 1 and "noSuchField" in unknown[0] and "GitHub's schema" in unknown[0]
    assert violations(query % "name issues(first: $k) { totalCount }", {"o": "a", "n": None, "k": 1, "x": 2},
                      None) == [
        "variable $x is not declared by the operation",
        "variables: Variable '$n' has invalid value: Expected value of non-null type 'String!' not to be None."]


def test_the_checker_walks_the_answer_against_the_selection():
    query = ('query { repository(owner: "a", name: "b") { name isPrivate updatedAt visibility '
             'issues(first: 1) { totalCount nodes { number } } '
             'discussions(first: 1) { nodes { author { __typename login } } } } }')
    good = {"data": {"repository": {"name": "b", "isPrivate": False, "updatedAt": "2024-01-01T00:00:00Z",
                                    "visibility": "PUBLIC", "issues": {"totalCount": 1, "nodes": [{"number": 3}]},
                                    "discussions": {"nodes": [{"author": {"__typename": "User", "login": "x"}}]}}}}
    assert violations(query, None, good) == []
    assert violations(query, None, {"data": {"repository": None}, "errors": [{"type": "NOT_FOUND"}]}) == []
    bad = {"data": {"repository": {"name": None, "isPrivate": "no", "updatedAt": "yesterday", "visibility": "SECRET",
                                   "issues": {"totalCount": 1, "nodes": {"number": 3}},
                                   "discussions": {"nodes": [{"author": {"__typename": "Issue", "login": "x"}}]},
                                   "extra": 1}}}
    assert violations(query, None, bad) == [
        "data.repository.extra: answered but not asked",
        "data.repository.name: null, but GitHub's schema says String! (non-null)",
        "data.repository.isPrivate: a string 'no' is not of type Boolean",
        "data.repository.updatedAt: a string 'yesterday' is not of type DateTime",
        "data.repository.visibility: 'SECRET' is not a value of RepositoryVisibility",
        "data.repository.issues.nodes: an object, but GitHub's schema says a list ([Issue])",
        "data.repository.discussions.nodes[0].author.__typename: 'Issue' cannot be a Actor"]


def test_a_document_is_analysed_once_then_checked_fast():
    sent = next(s for s in SENT if s.name == "one project, first page")
    violations(sent.document, sent.variables, None)
    before = analysed.cache_info().hits
    started = time.perf_counter()
    for _ in range(1000):
        assert violations(sent.document, sent.variables, None) == []
    assert analysed.cache_info().hits == before + 1000
    assert time.perf_counter() - started < 1.0  # the suite checks thousands of exchanges
