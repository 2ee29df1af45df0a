"""GitHub's GraphQL contract: what GitHub's published schema (tests/contract/pins.json) and its
documented limits say of one exchange.

    violations(document, variables, answer) -> ["...", ...]   # [] when the exchange fits

- the document parses and validates against GitHub's schema (graphql-core's `validate`);
- the variables fit the operation's definitions (types, non-null; none undeclared);
- GitHub's limits: every connection has `first` or `last`, each 1..100 (a literal or a variable),
  and the query asks for at most 500,000 nodes (GitHub's formula: each connection counts its
  `first`/`last` times those of the connections around it);
- the answer's `data`, when given, fits the selection: scalars of the right JSON kind, no null
  where the schema says non-null, lists where lists, known enum values, a `__typename` that the
  field's type can be; each mismatch named by its JSON path (data.r0.issues.nodes[0].updatedAt).

GitHub itself answers `null` for a non-null field its token may not read (INSUFFICIENT_SCOPES on
`organization.projectsV2`), naming that path in an error: such a null is accepted.

The schema is built once per process (~1.5 s); a document is parsed, validated and analysed once
per text (the suite sends the same few documents thousands of times).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from graphql import (GraphQLEnumType, GraphQLError, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema,
                     GraphQLScalarType, build_schema, get_named_type, is_abstract_type, parse, validate)
from graphql.execution.values import get_variable_values
from graphql.language import (FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode,
                              IntValueNode, OperationDefinitionNode, SelectionSetNode, VariableNode)

from tests.contract.descriptions import graphql_schema_path

MAX_PAGE = 100  # GitHub: `first`/`last` 1..100 on every connection
MAX_NODES = 500_000  # GitHub's node limit per query

DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")


@functools.cache
def github_schema() -> GraphQLSchema:
    """GitHub's schema at the pinned version: it defines two Enterprise fields twice (hence
    assume_valid_sdl) and deprecates fields its interfaces do not, which graphql-core 3.3's schema
    rules refuse (hence assume_valid: GitHub's schema is what GitHub serves, taken as it is)."""
    return build_schema(graphql_schema_path().read_text(encoding="utf-8"), assume_valid_sdl=True,
                        assume_valid=True)


# ------------------------------------------------------------------ the document, analysed once


@dataclass(frozen=True)
class Connection:
    """A connection field of the document: where it is and where its size comes from, with the
    sizes of the connections around it (outermost first)."""
    path: str  # query.r0.issues
    sizes: tuple  # ((kind, value), ...) outermost first, this one last: ("literal", 5) | ("variable", "first") | ("missing", None)


@dataclass(frozen=True)
class Document:
    errors: tuple[str, ...]  # parse and validation errors (then nothing else is checked)
    operation: OperationDefinitionNode | None = None
    fragments: dict | None = None
    connections: tuple[Connection, ...] = ()


@functools.lru_cache(maxsize=512)
def analysed(document: str) -> Document:
    schema = github_schema()
    try:
        ast = parse(document)
    except GraphQLError as exc:
        return Document((f"does not parse: {exc.message}",))
    errors = validate(schema, ast)
    if errors:
        return Document(tuple(f"not valid against GitHub's schema: {e.message}" for e in errors))
    operations = [d for d in ast.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        return Document((f"{len(operations)} operations in one document (the product sends one)",))
    fragments = {d.name.value: d for d in ast.definitions if isinstance(d, FragmentDefinitionNode)}
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    connections: list[Connection] = []

    def size_of(field: FieldNode) -> list[tuple]:
        found = []
        for argument in field.arguments or ():
            if argument.name.value in ("first", "last"):
                value = argument.value
                if isinstance(value, VariableNode):
                    found.append(("variable", value.name.value))
                elif isinstance(value, IntValueNode):
                    found.append(("literal", int(value.value)))
                else:
                    found.append(("literal", None))
        return found

    def walk(selection_set: SelectionSetNode, parent, outer: tuple, path: str) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                fragment = fragments[selection.name.value]
                walk(fragment.selection_set, schema.get_type(fragment.type_condition.name.value), outer, path)
            elif isinstance(selection, InlineFragmentNode):
                kind = schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                walk(selection.selection_set, kind, outer, path)
            elif not selection.name.value.startswith("__"):
                definition = parent.fields[selection.name.value]
                here = f"{path}.{(selection.alias or selection.name).value}"
                inner = outer
                named = get_named_type(definition.type)
                if named.name.endswith("Connection") and ("first" in definition.args or "last" in definition.args):
                    sizes = size_of(selection) or [("missing", None)]
                    inner = outer + (sizes[0],)
                    connections.append(Connection(here, inner))
                if selection.selection_set:
                    walk(selection.selection_set, named, inner, here)

    walk(operation.selection_set, root, (), operation.operation.value)
    return Document((), operation, fragments, tuple(connections))


# ------------------------------------------------------------------ variables and limits


def variable_violations(doc: Document, variables: dict) -> list[str]:
    found = []
    declared = {d.variable.name.value for d in doc.operation.variable_definitions or ()}
    found += [f"variable ${name} is not declared by the operation" for name in sorted(set(variables) - declared)]
    coerced = get_variable_values(github_schema(), doc.operation.variable_definitions or (), variables)
    if isinstance(coerced, list):
        found += [f"variables: {e.message}" for e in coerced]
    return found


def measure(document: str, variables: dict | None = None) -> tuple[int, int]:
    """(nodes, cost) of a valid document as GitHub computes them: the nodes each connection may
    answer (times the connections around it), and the requests needed to fill every connection
    / 100 (rounded, at least 1)."""
    doc = analysed(document)
    nodes, requests, _ = limits(doc, variables or {})
    return nodes, max(1, round(requests / 100))


def limits(doc: Document, variables: dict) -> tuple[int, int, list[str]]:
    """(nodes, requests, violations): a connection inside connections of sizes a, b asks
    a*b*its own size nodes and needs a*b requests to fill."""
    nodes = requests = 0
    found = []
    for connection in doc.connections:
        sizes = []
        for kind, value in connection.sizes:
            size = variables.get(value) if kind == "variable" else value
            sizes.append(size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else 0)
        kind, value = connection.sizes[-1]
        size = variables.get(value) if kind == "variable" else value
        if kind == "missing":
            found.append(f"{connection.path}: a connection without `first` or `last` (GitHub refuses it)")
        elif not (isinstance(size, int) and not isinstance(size, bool) and 1 <= size <= MAX_PAGE):
            source = f" (${value})" if kind == "variable" else ""
            found.append(f"{connection.path}: first/last is {size!r}{source}; GitHub allows 1..{MAX_PAGE}")
        outer = 1
        for size in sizes[:-1]:
            outer *= size
        requests += outer
        nodes += outer * sizes[-1]
    if nodes > MAX_NODES:
        found.append(f"the query asks for up to {nodes:,} nodes; GitHub's limit is {MAX_NODES:,}")
    return nodes, requests, found


# ------------------------------------------------------------------ the answer


def unwrap_nullable(kind):
    return kind.of_type if isinstance(kind, GraphQLNonNull) else kind


class AnswerCheck:
    def __init__(self, doc: Document, error_paths: set[tuple]):
        self.schema = github_schema()
        self.doc = doc
        self.error_paths = error_paths
        self.found: list[str] = []

    def fields_for(self, selection_set: SelectionSetNode, runtime, static) -> dict[str, list[tuple]]:
        """Response key -> [(field definition, node)] the selection asks of an object of type
        `runtime` (None: unknown, then every fragment that may apply counts)."""
        out: dict[str, list[tuple]] = {}

        def applies(condition) -> bool:
            if condition is None:
                return True
            kind = self.schema.get_type(condition.name.value)
            if runtime is None:
                return True
            return kind is runtime or (is_abstract_type(kind) and self.schema.is_sub_type(kind, runtime))

        def collect(selections: SelectionSetNode, parent) -> None:
            for selection in selections.selections:
                if isinstance(selection, FragmentSpreadNode):
                    fragment = self.doc.fragments[selection.name.value]
                    if applies(fragment.type_condition):
                        collect(fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value))
                elif isinstance(selection, InlineFragmentNode):
                    if applies(selection.type_condition):
                        kind = (self.schema.get_type(selection.type_condition.name.value)
                                if selection.type_condition else parent)
                        collect(selection.selection_set, kind)
                else:
                    key = (selection.alias or selection.name).value
                    name = selection.name.value
                    if name == "__typename":
                        definition = None
                    else:
                        definition = parent.fields.get(name) if hasattr(parent, "fields") else None
                    out.setdefault(key, []).append((definition, selection))

        collect(selection_set, static)
        return out

    def value(self, value, kind, nodes: list[FieldNode], path: tuple) -> None:
        where = path_text(path)
        if value is None:
            if isinstance(kind, GraphQLNonNull) and path[1:] not in self.error_paths:
                self.found.append(f"{where}: null, but GitHub's schema says {kind} (non-null)")
            return
        kind = unwrap_nullable(kind)
        if isinstance(kind, GraphQLList):
            if not isinstance(value, list):
                self.found.append(f"{where}: {json_kind(value)}, but GitHub's schema says a list ({kind})")
                return
            for index, item in enumerate(value):
                self.value(item, kind.of_type, nodes, path + (index,))
            return
        if isinstance(kind, GraphQLScalarType):
            problem = scalar_problem(kind.name, value)
            if problem:
                self.found.append(f"{where}: {problem}")
            return
        if isinstance(kind, GraphQLEnumType):
            if value not in kind.values:
                self.found.append(f"{where}: {value!r} is not a value of {kind.name}")
            return
        if not isinstance(value, dict):
            self.found.append(f"{where}: {json_kind(value)}, but GitHub's schema says an object ({kind.name})")
            return
        runtime = kind if isinstance(kind, GraphQLObjectType) else None
        typename = value.get("__typename")
        if typename is not None:
            named = self.schema.get_type(typename)
            if not isinstance(named, GraphQLObjectType) or not (named is kind or (
                    is_abstract_type(kind) and self.schema.is_sub_type(kind, named))):
                self.found.append(f"{where}.__typename: {typename!r} cannot be a {kind.name}")
                return
            runtime = named
        asked: dict[str, list[tuple]] = {}
        for node in nodes:
            for key, pairs in self.fields_for(node.selection_set, runtime, kind).items():
                asked.setdefault(key, []).extend(pairs)
        for key in value:
            if key not in asked:
                self.found.append(f"{path_text(path + (key,))}: answered but not asked")
        for key, pairs in asked.items():
            if key not in value:
                if runtime is not None:
                    self.found.append(f"{path_text(path + (key,))}: asked but missing from the answer")
                continue
            definition = next((d for d, _ in pairs if d is not None), None)
            if key == "__typename" or pairs[0][1].name.value == "__typename":
                if not isinstance(value[key], str):
                    self.found.append(f"{path_text(path + (key,))}: __typename is {json_kind(value[key])}")
                continue
            if definition is None:
                continue  # a field of a fragment whose type the answer does not name: nothing to check it by
            self.value(value[key], definition.type, [n for _, n in pairs if n.selection_set] or [pairs[0][1]],
                       path + (key,))


def scalar_problem(name: str, value) -> str | None:
    if name == "Boolean":
        ok = isinstance(value, bool)
    elif name == "Int":
        ok = isinstance(value, int) and not isinstance(value, bool) and -2**31 <= value < 2**31
    elif name == "Float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif name == "DateTime":
        ok = isinstance(value, str) and bool(DATE_TIME.match(value))
    elif name == "Date":
        ok = isinstance(value, str) and bool(DATE.match(value))
    elif name == "URI":
        ok = isinstance(value, str) and value.startswith(("http://", "https://"))
    else:  # String, ID and GitHub's other scalars (HTML, GitObjectID, BigInt, ...) travel as strings
        ok = isinstance(value, str)
    return None if ok else f"{json_kind(value)} {value!r:.60} is not of type {name}"


def json_kind(value) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)


def path_text(path: tuple) -> str:
    text = str(path[0])
    for step in path[1:]:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return text


def answer_violations(doc: Document, answer: dict) -> list[str]:
    if not isinstance(answer, dict):
        return [f"the answer is {json_kind(answer)}, not an object"]
    data = answer.get("data")
    if data is None:
        return [] if answer.get("errors") else ["the answer has neither data nor errors"]
    error_paths = {tuple(e.get("path") or ()) for e in answer.get("errors") or () if isinstance(e, dict)}
    check = AnswerCheck(doc, error_paths)
    root = check.schema.get_root_type(doc.operation.operation)
    check.value(data, GraphQLNonNull(root), [doc.operation], ("data",))
    return check.found


# ------------------------------------------------------------------ the whole exchange


def violations(document: str, variables: dict | None, answer: dict | None) -> list[str]:
    """What GitHub's schema and limits say against one GraphQL exchange ([]: it fits)."""
    doc = analysed(document)
    if doc.errors:
        return list(doc.errors)
    variables = variables or {}
    found = variable_violations(doc, variables)
    found += limits(doc, variables)[2]
    if answer is not None:
        found += answer_violations(doc, answer)
    return found
