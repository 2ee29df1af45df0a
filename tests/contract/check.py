"""The contract check of what an emulator served: each recorded exchange (Emulator.exchanges, see
tests/github_emulator/server.py's record) against GitHub's published descriptions.

REST: the request must match a documented operation (method and path template, after the API prefix
the emulator serves under, /api/v3 or none), send only documented query parameters within their schema
and a JSON body valid against the operation's requestBody schema; a 2xx JSON answer must validate
against the operation's response schema for its status. Answers are checked once per (operation,
status, shape of the JSON): the suite makes tens of thousands of requests, most of them answered alike.
GraphQL: tests/contract/graphql.py's `violations(document, variables, answer)`, when that module exists.

The `github_emulator` fixture (tests/conftest.py) runs check_test() at each test's teardown:
violations that tests/contract/known_violations.py does not list fail the test.

    GITHUB_EMULATOR_RECORD=0     no recording, no check
    ORGBACKUP_CONTRACT_REPORT=F  every violation (listed or not) appended to F, one JSON line each,
                                 with the test's id; and the counts (requests, seconds) of each check
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import os
import threading
import time
from collections import Counter

from . import descriptions
from .known_violations import KNOWN
from .openapi import OpenApi, Operation, Violation

_lock = threading.Lock()
_answers_seen: dict[tuple, list[Violation]] = {}  # (operation, status, shape) -> its violations
_graphql = None
SAMPLE_OFF = os.environ.get("ORGBACKUP_CONTRACT_EVERY_ANSWER") == "1"
USED_FILE = descriptions.PINS_FILE.with_name("operations_used.json")
used_this_session: set[str] = set()


def openapi() -> OpenApi:
    global _openapi
    with _lock:
        if _openapi is None:
            _openapi = OpenApi(descriptions.openapi_path())
        return _openapi


_openapi: OpenApi | None = None


def graphql_violations():
    """tests/contract/graphql.py's violations(document, variables, answer), or None while it is not there."""
    global _graphql
    if _graphql is None:
        _graphql = (importlib.import_module("tests.contract.graphql").violations
                    if importlib.util.find_spec("tests.contract.graphql") else False)
    return _graphql or None


def shape(value):
    """The JSON's structure without its values: keys, and the types of the leaves."""
    if isinstance(value, dict):
        return tuple(sorted((key, shape(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("[]", *sorted(set(map(shape, value)), key=repr))
    return type(value).__name__


def _json(data: bytes):
    if not data:
        return None
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return _NOT_JSON


_NOT_JSON = object()


def used_operations() -> set[str] | None:
    """The operations tests/contract/operations_used.json lists ("operationId METHOD /template")."""
    return {entry["operation"] for entry in json.loads(USED_FILE.read_text())} if USED_FILE.is_file() else None


def exchange_violations(exchange: dict, api: OpenApi, used: set[str] | None = None) -> list[Violation]:
    """The violations of one recorded exchange."""
    if exchange.get("kind") == "graphql":
        check = graphql_violations()
        request = _json(exchange["body"])
        if check is None or not isinstance(request, dict):
            return []
        variables = request.get("variables")
        if isinstance(variables, str):
            variables = _json(variables.encode())
        return [Violation("graphql", "document", str(message))
                for message in check(request.get("query") or "", variables if isinstance(variables, dict) else None,
                                     # a 403/429 (a spent budget) answers REST's error shape, not GraphQL's
                                     exchange.get("answer") if exchange.get("status") == 200 else None)]
    op = api.operation(exchange["method"], exchange["raw_path"])
    if op is None:
        return [Violation(f"{exchange['method']} {exchange['path']}", "operation", "not a documented operation")]
    out = []
    if used is not None and op.name not in used:
        out.append(Violation(op.name, "operation", f"not listed in {USED_FILE.name}: run "
                                                   "`python -m tests.contract.refresh --update-used`"))
    body = None
    if exchange["body"] and not exchange.get("uploads") and api.body_schema(op) is not None:
        body = _json(exchange["body"])
        if body is _NOT_JSON:
            out.append(Violation(op.name, "body", "not JSON"))
            body = None
    out.extend(api.request_violations(op, exchange["query"], body))
    out.extend(answer_violations(exchange, api, op))
    return out


def answer_violations(exchange: dict, api: OpenApi, op: Operation) -> list[Violation]:
    status = exchange["status"]
    if not 200 <= status < 300:
        return []
    if "answer" in exchange:
        answer = exchange["answer"]
    elif "json" in exchange.get("content_type", "") and exchange.get("answer_bytes"):
        answer = _json(exchange["answer_bytes"])
        if answer is _NOT_JSON:
            return [Violation(op.name, "answer", "not JSON")]
    else:
        return []
    if SAMPLE_OFF:  # every answer validated (to measure what the shapes save)
        return api.answer_violations(op, status, answer)
    key = (op.name, status, shape(answer))
    found = _answers_seen.get(key)
    if found is None:
        found = api.answer_violations(op, status, answer)
        _answers_seen[key] = found
    return found


def known(violation: Violation) -> dict | None:
    """The known_violations.py entry that allows this violation, if any."""
    for entry in KNOWN:
        if entry["operation"] in violation.operation and (
                entry["field"] == violation.field or
                entry["field"].endswith("*") and violation.field.startswith(entry["field"][:-1])):
            return entry
    return None


def check_exchanges(exchanges: list[dict], used: set[str] | None = None) -> tuple[Counter, dict]:
    """Every distinct violation of these exchanges with its count, and what the check took
    (requests, graphql, seconds)."""
    loading = time.perf_counter()
    api = openapi()  # loaded once per session (~1 s): reported apart
    started = time.perf_counter()
    found: Counter = Counter()
    graphql = 0
    for exchange in exchanges:
        graphql += exchange.get("kind") == "graphql"
        if exchange.get("kind") != "graphql":
            op = api.operation(exchange["method"], exchange["raw_path"])
            if op is not None:
                used_this_session.add(op.name)
        for violation in dict.fromkeys(exchange_violations(exchange, api, used)):
            found[violation] += 1
    return found, {"requests": len(exchanges) - graphql, "graphql": graphql,
                   "seconds": time.perf_counter() - started, "load_seconds": started - loading}


def check_test(exchanges: list[dict], test_id: str) -> list[str]:
    """The lines of a test's unexpected violations (none: it passes); the report file written."""
    updating = os.environ.get("ORGBACKUP_CONTRACT_UPDATE_USED") == "1"
    found, stats = check_exchanges(exchanges, None if updating else used_operations())
    unexpected = [f"{violation} (x{count})" for violation, count in found.items() if known(violation) is None]
    report = os.environ.get("ORGBACKUP_CONTRACT_REPORT")
    if report:
        with open(report, "a") as out:
            out.write(json.dumps({"test": test_id, **stats}) + "\n")
            for violation, count in found.items():
                entry = known(violation)
                out.write(json.dumps({"test": test_id, "operation": violation.operation, "field": violation.field,
                                      "message": violation.message, "count": count,
                                      "known": entry["finding"] if entry else None}) + "\n")
    return unexpected


def update_used() -> None:
    """The operations this process's checks met added to operations_used.json (sorted)."""
    if not used_this_session:
        return
    api = openapi()
    names = (used_operations() or set()) | used_this_session
    ops = {op.name: op for candidates in api.by_shape.values() for _, op in candidates}
    USED_FILE.write_text(json.dumps([{"operation": name} for name in sorted(names, key=lambda n: n.split(" ", 1)[1])
                                     if name in ops], indent=1) + "\n")


def assert_contract(emulator, node) -> None:
    """Fail the test (pytest's node) when its stopped emulator's exchanges break GitHub's contract
    in a way known_violations.py does not list; a `contract_exempt` test is only reported."""
    import pytest

    if emulator.exchanges is None:
        return
    exempt = node.get_closest_marker("contract_exempt")
    unexpected = check_test(emulator.exchanges, node.nodeid + (" [exempt]" if exempt else ""))
    emulator.exchanges = None
    if unexpected and not exempt:
        pytest.fail("GitHub's REST contract (tests/contract/; known ones: tests/contract/known_violations.py):\n  "
                    + "\n  ".join(unexpected), pytrace=False)
