"""What another version of GitHub's REST description changes for the operations we use.

    python -m tests.contract.refresh 23.1.0            # fetch @octokit/openapi 23.1.0, print the changes
    python -m tests.contract.refresh 23.1.0 --all      # ... for every operation, not only the ones we use
    python -m tests.contract.refresh 23.1.0 --pin      # ... and pin it (tests/contract/pins.json)

The operations we use are tests/contract/operations_used.json's (the suite fails a test that uses one
it does not list; `ORGBACKUP_CONTRACT_UPDATE_USED=1 tests/run.sh` adds the ones a run recorded).
For each: removed operations, added/removed query parameters, changed maxima (a schema's `maximum` or
a description's "(max N)") and enums, request body fields added/removed/deprecated/newly required,
and the answer's required fields. The version is fetched with `npm pack` into the cache
(descriptions.py), its sha512 checked against the registry's `npm view ... dist.integrity`.
pins.json is changed only with --pin.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

from . import descriptions
from .openapi import DESCRIBED_MAX, OpenApi, Operation

PACKAGE = "@octokit/openapi"


def integrity(version: str) -> str:
    found = subprocess.run(["npm", "view", f"{PACKAGE}@{version}", "dist.integrity"], capture_output=True,
                           text=True, timeout=300)
    if found.returncode != 0 or not found.stdout.strip():
        raise descriptions.DescriptionError(f"npm view {PACKAGE}@{version}: {(found.stderr or 'no such version').strip()[-300:]}")
    return found.stdout.strip()


def _maximum(param: dict):
    schema = param.get("schema") or {}
    described = DESCRIBED_MAX.search(param.get("description", ""))
    return schema.get("maximum", int(described[1]) if described else None)


def _body(api: OpenApi, op: Operation) -> dict:
    schema = api.resolve(api.body_schema(op) or {})
    return schema


def _answer_required(api: OpenApi, op: Operation) -> tuple[str, set]:
    for status in ("200", "201"):
        documented, schema = api.answer_schema(op, int(status))
        if documented and schema:
            schema = api.resolve(schema)
            if schema.get("type") == "array" or "items" in schema:
                schema = api.resolve(schema.get("items") or {})
            return status, set(schema.get("required") or [])
    return "", set()


def changes(old: OpenApi, new: OpenApi, operations: list[str]) -> dict[str, list[str]]:
    """operation -> what changed in it, for those that changed."""
    out = {}
    for name in operations:
        op_id, method, template = name.split(" ", 2)
        before = next((op for _, op in old.by_shape.get((method.lower(), len(template.strip("/").split("/"))), ())
                       if op.template == template), None)
        after = next((op for _, op in new.by_shape.get((method.lower(), len(template.strip("/").split("/"))), ())
                      if op.template == template), None)
        lines = []
        if before is None:
            continue
        if after is None:
            out[name] = ["operation removed"]
            continue
        if after.id != before.id:
            lines.append(f"operationId {before.id} -> {after.id}")
        if after.spec.get("deprecated") and not before.spec.get("deprecated"):
            lines.append("operation deprecated")
        for param in sorted(set(before.query) - set(after.query)):
            lines.append(f"query parameter removed: {param}")
        for param in sorted(set(after.query) - set(before.query)):
            lines.append(f"query parameter added: {param}")
        for param in sorted(set(before.query) & set(after.query)):
            a, b = before.query[param], after.query[param]
            if _maximum(a) != _maximum(b):
                lines.append(f"query.{param}: maximum {_maximum(a)} -> {_maximum(b)}")
            if (a.get("schema") or {}).get("enum") != (b.get("schema") or {}).get("enum"):
                lines.append(f"query.{param}: enum {(a.get('schema') or {}).get('enum')} -> "
                             f"{(b.get('schema') or {}).get('enum')}")
            if b.get("deprecated") and not a.get("deprecated"):
                lines.append(f"query.{param}: deprecated")
        body_a, body_b = _body(old, before), _body(new, after)
        props_a, props_b = body_a.get("properties") or {}, body_b.get("properties") or {}
        for field in sorted(set(props_a) - set(props_b)):
            lines.append(f"body.{field}: removed")
        for field in sorted(set(props_b) - set(props_a)):
            lines.append(f"body.{field}: added")
        for field in sorted(set(props_a) & set(props_b)):
            a, b = old.resolve(props_a[field]), new.resolve(props_b[field])
            if b.get("deprecated") and not a.get("deprecated"):
                lines.append(f"body.{field}: deprecated")
            if a.get("enum") != b.get("enum"):
                lines.append(f"body.{field}: enum {a.get('enum')} -> {b.get('enum')}")
            if a.get("type") != b.get("type"):
                lines.append(f"body.{field}: type {a.get('type')} -> {b.get('type')}")
        for field in sorted(set(body_b.get("required") or []) - set(body_a.get("required") or [])):
            lines.append(f"body.{field}: now required")
        (status_a, req_a), (status_b, req_b) = _answer_required(old, before), _answer_required(new, after)
        for field in sorted(req_b - req_a):
            lines.append(f"answer {status_b}: {field} now required")
        for field in sorted(req_a - req_b):
            lines.append(f"answer {status_b or status_a}: {field} no longer required")
        if lines:
            out[name] = lines
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.contract.refresh", description=__doc__.split("\n\n")[0])
    parser.add_argument("version", help=f"the version of {PACKAGE} to compare with the pinned one")
    parser.add_argument("--pin", action="store_true", help="write it into tests/contract/pins.json")
    parser.add_argument("--all", action="store_true", help="every operation, not only operations_used.json's")
    args = parser.parse_args(argv)
    pins = descriptions.pins()
    pin = {**pins["openapi"], "version": args.version, "integrity": integrity(args.version)}
    new_path = descriptions.fetch(pin) / pin["file"]
    print(f"{PACKAGE}: {pins['openapi']['version']} (pinned) -> {args.version} ({new_path})")
    old, new = OpenApi(descriptions.openapi_path()), OpenApi(new_path)
    if args.all:
        operations = sorted(op.name for ops in old.by_shape.values() for _, op in ops)
    else:
        operations = sorted({entry["operation"] for entry in json.loads(descriptions.PINS_FILE.with_name(
            "operations_used.json").read_text())})
    found = changes(old, new, operations)
    for name, lines in found.items():
        print(name)
        for line in lines:
            print(f"    {line}")
    print(f"{len(found)} of {len(operations)} operations changed")
    if args.pin:
        pins["openapi"] = pin
        descriptions.PINS_FILE.write_text(json.dumps(pins, indent=2) + "\n")
        print(f"pinned {PACKAGE} {args.version} in {descriptions.PINS_FILE}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (descriptions.DescriptionError, OSError, subprocess.TimeoutExpired) as error:
        print(f"tests.contract.refresh: {error}", file=sys.stderr)
        sys.exit(1)
