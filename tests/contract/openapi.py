"""The REST checks: a request (method, path, query parameters, JSON body) against the operation GitHub's
OpenAPI description (descriptions.openapi_path()) documents for it, and an answer against that
operation's response schema.

The description is OpenAPI 3.0: its schemas are JSON Schema draft 4 plus `nullable`, which is turned
into a "null" type once, on loading. `$ref`s ("#/components/...") resolve against the whole document:
each compiled schema carries the document's `components` beside it. Some limits are only written in
a parameter's description ("The number of results per page (max 30)"): read from there as `maximum`.

Beyond the schemas, a request body's fields that the operation does not document and the ones it marks
`deprecated` are violations (GitHub ignores the first silently and may drop the second), and so are
query parameters the operation does not document.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft4Validator

METHODS = ("get", "put", "post", "patch", "delete", "head")
SLASHED = re.compile(r"\{(ref|path|branch|name|tag)\}")  # parameters whose values may hold slashes
DESCRIBED_MAX = re.compile(r"\(max(?:imum)? (\d+)\)")


@dataclass(frozen=True)
class Violation:
    """One way an exchange breaks the contract: the operation ("operationId METHOD /template", or the
    method and path when no operation matches), the field ("query.per_page", "body.description",
    "answer[].owner.type", "operation"), and what is wrong."""
    operation: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.operation}: {self.field}: {self.message}"


@dataclass
class Operation:
    id: str
    method: str
    template: str
    spec: dict
    query: dict  # name -> parameter (resolved)

    @property
    def name(self) -> str:
        return f"{self.id} {self.method.upper()} {self.template}"


def _nullable(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema (in place, the whole document)."""
    if isinstance(node, list):
        for item in node:
            _nullable(item)
        return node
    if not isinstance(node, dict):
        return node
    for key, value in node.items():
        if key not in ("example", "examples", "enum", "default"):
            _nullable(value)
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"] if isinstance(node["type"], str) else [*node["type"], "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        else:
            rest = {key: node.pop(key) for key in list(node) if key not in ("description", "title")}
            node["anyOf"] = [rest, {"type": "null"}]
    return node


def _pointer(path: str) -> str:
    return path.replace("~", "~0").replace("/", "~1")


def _field(prefix: str, path) -> str:
    out = prefix
    for part in path:
        out += "[]" if isinstance(part, int) else f".{part}"
    return out


class OpenApi:
    """The operations of one description, indexed by method and path segments."""

    def __init__(self, path: Path):
        self.doc = _nullable(json.loads(Path(path).read_text()))
        self.components = self.doc.get("components", {})
        self.by_shape: dict[tuple[str, int], list[tuple[list, Operation]]] = {}
        for template, item in self.doc["paths"].items():
            shared = item.get("parameters", [])
            for method in METHODS:
                if method not in item:
                    continue
                spec = item[method]
                query = {}
                for param in [*shared, *spec.get("parameters", [])]:
                    param = self.resolve(param)
                    if param.get("in") == "query":
                        query[param["name"]] = param
                op = Operation(spec.get("operationId", f"{method} {template}"), method, template, spec, query)
                segments = template.strip("/").split("/") if template != "/" else []
                self.by_shape.setdefault((method, len(segments)), []).append((segments, op))
        for candidates in self.by_shape.values():  # literal segments first, from the left
            candidates.sort(key=lambda pair: [part.startswith("{") for part in pair[0]])
        self._validators: dict = {}

    def resolve(self, node: dict) -> dict:
        while isinstance(node, dict) and "$ref" in node:
            node = functools.reduce(lambda at, key: at[key.replace("~1", "/").replace("~0", "~")],
                                    node["$ref"].lstrip("#/").split("/"), self.doc)
        return node

    def operation(self, method: str, raw_path: str) -> Operation | None:
        """The operation of a request's (still percent-encoded) path, without the API prefix."""
        method = method.lower()
        if method == "head":
            method = "get"
        segments = raw_path.strip("/").split("/") if raw_path.strip("/") else []
        for template, op in self.by_shape.get((method, len(segments)), ()):
            if all(part.startswith("{") or part == got for part, got in zip(template, segments)):
                return op
        # a parameter whose value holds slashes: a ref (heads/main), a file's path, a branch's name;
        # the template with the most literal text wins
        found = [op for (shape_method, _), candidates in self.by_shape.items() if shape_method == method
                 for _, op in candidates if SLASHED.search(op.template) and
                 self._regex(op.template).match("/" + raw_path.strip("/"))]
        return max(found, key=lambda op: len(re.sub(r"\{[^}]+\}", "", op.template)), default=None)

    @staticmethod
    @functools.cache
    def _regex(template: str):
        pattern = ""
        for part in re.split(r"(\{[^}]+\})", template):
            pattern += ("(.+)" if SLASHED.fullmatch(part) else "([^/]+)") if part.startswith("{") else re.escape(part)
        return re.compile("^" + pattern + "$")

    # -- validators, compiled once per schema ----------------------------------------------------
    def validator(self, key: tuple, schema: dict) -> Draft4Validator:
        found = self._validators.get(key)
        if found is None:
            found = Draft4Validator({"allOf": [schema], "components": self.components})
            self._validators[key] = found
        return found

    def body_schema(self, op: Operation) -> dict | None:
        body = self.resolve(op.spec.get("requestBody") or {})
        return ((body.get("content") or {}).get("application/json") or {}).get("schema")

    def answer_schema(self, op: Operation, status: int) -> tuple[bool, dict | None]:
        """(is the status documented, its JSON schema or None)."""
        responses = op.spec.get("responses", {})
        answer = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
        if answer is None:
            return False, None
        answer = self.resolve(answer)
        return True, ((answer.get("content") or {}).get("application/json") or {}).get("schema")

    # -- the checks ------------------------------------------------------------------------------
    def request_violations(self, op: Operation, query: dict, body) -> list[Violation]:
        out = []
        if op.spec.get("deprecated"):
            out.append(Violation(op.name, "operation", "the operation is deprecated"))
        for name, value in query.items():
            param = op.query.get(name)
            if param is None:
                out.append(Violation(op.name, f"query.{name}", "not a documented query parameter"))
                continue
            if param.get("deprecated"):
                out.append(Violation(op.name, f"query.{name}", "deprecated"))
            schema = dict(param.get("schema") or {})
            described = DESCRIBED_MAX.search(param.get("description", ""))
            if described and "maximum" not in schema:
                schema["maximum"] = int(described[1])
            typed = _typed(value, schema)
            if typed is _BAD:
                out.append(Violation(op.name, f"query.{name}", f"{value!r} is not of type {schema.get('type')}"))
                continue
            for error in self.validator(("query", op.name, name), schema).iter_errors(typed):
                out.append(Violation(op.name, f"query.{name}", _message(error, schema)))
        schema = self.body_schema(op)
        if body is not None and schema is not None:
            for error in self.validator(("body", op.name), schema).iter_errors(body):
                out.append(Violation(op.name, _field("body", error.absolute_path), _message(error)))
            out.extend(self._fields(op, body, schema, "body"))
        return out

    def _fields(self, op: Operation, value, schema, where: str) -> list[Violation]:
        """Fields a body sends that its schema does not document, or marks deprecated."""
        schema = self.resolve(schema)
        out = []
        if isinstance(value, list) and isinstance(schema.get("items"), dict):
            for item in value:
                out.extend(self._fields(op, item, schema["items"], where + "[]"))
            return _unique(out)
        if not isinstance(value, dict):
            return out
        branches = [self.resolve(s) for key in ("allOf", "anyOf", "oneOf") for s in schema.get(key, [])]
        # A field each branch may describe its own way (a oneOf of rules, each with its own `parameters`).
        properties: dict[str, list] = {key: [item] for key, item in (schema.get("properties") or {}).items()}
        for branch in branches:
            for key, item in (branch.get("properties") or {}).items():
                properties.setdefault(key, []).append(item)
        open_ended = schema.get("additionalProperties") not in (None, False) or any(
            branch.get("additionalProperties") not in (None, False) or
            (branch.get("type") == "object" and "properties" not in branch) for branch in branches)
        if not properties:
            return out
        for key, item in value.items():
            field = f"{where}.{key}"
            candidates = properties.get(key)
            if candidates is None:
                if not open_ended:
                    out.append(Violation(op.name, field, "not a documented field"))
                continue
            found = []  # each description's violations: the one that fits best is the field's
            for described in map(self.resolve, candidates):
                found.append(([Violation(op.name, field, "deprecated")] if described.get("deprecated") else [])
                             + self._fields(op, item, described, field))
            out.extend(min(found, key=len))
        return out

    def answer_violations(self, op: Operation, status: int, answer) -> list[Violation]:
        documented, schema = self.answer_schema(op, status)
        if not documented:
            return [Violation(op.name, "status", f"{status} is not a documented answer")]
        if schema is None:
            return []
        return [Violation(op.name, _field("answer", error.absolute_path), _message(error))
                for error in self.validator(("answer", op.name, status), schema).iter_errors(answer)]


_BAD = object()


def _typed(value: str, schema: dict):
    """A query parameter's string as the type its schema says."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return _BAD
    if kind == "boolean":
        return {"true": True, "false": False}.get(value, _BAD)
    if kind == "array":
        return value.split(",")
    return value


def _message(error, schema: dict | None = None) -> str:
    text = error.message
    if len(text) > 200:
        text = text[:200] + "..."
    if error.validator == "maximum":
        text = f"{error.instance} is more than the maximum {error.validator_value}"
    return f"{text} ({error.validator})"


def _unique(items: list) -> list:
    return list(dict.fromkeys(items))
