"""The GraphQL API (POST /graphql, POST /api/graphql): a subset of GitHub's schema, served
from the world View with graphql-core.

Objects are plain dicts keyed by GraphQL field names; a field with arguments (a connection,
a lookup) is a callable `f(info, **args)`, which graphql-core's default resolver calls. So the
SDL (graphql_schema.py) is the whole schema and the `*_obj` functions of graphql_objects.py are the
whole resolver layer.

One request: `prepare()` parses, validates and computes the rate-limit cost (as GitHub does,
before running anything), the server spends that cost from the identity's graphql budget,
then `execute()` runs the query and formats errors the way GitHub does.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from graphql import (GraphQLError, GraphQLUnionType, OperationDefinitionNode, execute_sync, get_named_type, parse,
                     validate)
from graphql.language import FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode, VariableNode
from graphql.utilities import value_from_ast_untyped

from .graphql_mutations import mutation_root
from .graphql_project_mutations import project_mutation_root
from .graphql_objects import Ctx, actor, find_node, organization, rate_limit, repository
from .graphql_schema import MAX_NODES, MAX_PAGE, SCHEMA


# ------------------------------------------------------------------------ request


@dataclass
class Prepared:
    """A parsed, validated request with its cost; `answer` (the reply's JSON) set when it cannot run."""
    document: object = None
    variables: dict = field(default_factory=dict)
    operation_name: str | None = None
    cost: int = 1
    node_count: int = 0
    answer: dict | None = None
    status: int = 200
    mutation: bool = False  # a mutation: a content-creating request (GitHub's secondary limit)


def prepare(body: bytes) -> Prepared:
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return Prepared(answer={"message": "Problems parsing JSON",
                                "documentation_url": "https://docs.github.com/graphql"}, status=400)
    query = request.get("query") if isinstance(request, dict) else None
    if not isinstance(query, str):
        message = "A query attribute must be specified and must be a string."
        return Prepared(answer={"errors": [{"message": message}]})
    variables = request.get("variables") or {}
    if isinstance(variables, str):
        try:
            variables = json.loads(variables or "{}")
        except ValueError:
            variables = None
    if not isinstance(variables, dict):
        return Prepared(answer={"errors": [{"message": "Variables are invalid JSON."}]})
    try:
        document = parse(query)
    except GraphQLError as exc:
        return Prepared(answer={"errors": [_format_error(exc)]})
    errors = validate(SCHEMA, document)
    if errors:
        return Prepared(answer={"errors": [_format_error(e) for e in errors]})
    prepared = Prepared(document=document, variables=variables, operation_name=request.get("operationName"))
    _price(prepared)
    return prepared


def execute(prepared: Prepared, ctx: Ctx) -> dict:
    """The answer's JSON body (HTTP 200)."""
    root = {
        "repository": lambda info, owner, name: repository(ctx, owner, name),
        "organization": lambda info, login: organization(ctx, login),
        "rateLimit": lambda info: rate_limit(ctx),
        "viewer": lambda info: actor(ctx.user["login"]),
        "node": lambda info, id: find_node(ctx, id),
        **mutation_root(ctx),
        **project_mutation_root(ctx),
    }
    result = execute_sync(SCHEMA, prepared.document, root_value=root, context_value=ctx,
                          variable_values=prepared.variables, operation_name=prepared.operation_name)
    out = {}
    if result.data is not None or not result.errors:
        out["data"] = _with_web(result.data, ctx.web)
    if result.errors:
        out["errors"] = [_format_error(e) for e in result.errors]
    return out


def _format_error(error: GraphQLError) -> dict:
    """GitHub's error shape: type (when GitHub has one), path, locations, message."""
    out = {}
    kind = (error.extensions or {}).get("type")
    if kind:
        out["type"] = kind
    if error.path:
        out["path"] = list(error.path)
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    out["message"] = error.message
    return out


def _with_web(value, web: str):
    """Bodies store `{{WEB}}` for the web host the builder could not know (see the design)."""
    if isinstance(value, str):
        return value.replace("{{WEB}}", web)
    if isinstance(value, dict):
        return {k: _with_web(v, web) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_web(v, web) for v in value]
    return value


# ------------------------------------------------------------------------ cost


def _price(prepared: Prepared) -> None:
    """GitHub's documented cost: the number of requests needed to fill each connection (a
    connection inside a connection of `first: 50` needs 50), divided by 100, rounded, at least 1.
    Also GitHub's checks that run before execution: `first` present and <= 100, node limit."""
    doc = prepared.document
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
    op = next((o for o in operations if o.name and o.name.value == prepared.operation_name), operations[0])
    defaults = {v.variable.name.value: value_from_ast_untyped(v.default_value) if v.default_value else None
                for v in op.variable_definitions or ()}
    totals = {"requests": 0, "nodes": 0}
    errors = []

    def argument(node, name):
        for arg in node.arguments or ():
            if arg.name.value == name:
                if isinstance(arg.value, VariableNode):
                    key = arg.value.name.value
                    return prepared.variables.get(key, defaults.get(key))
                return value_from_ast_untyped(arg.value)
        return None

    def walk(selection_set, parent, multiplier, path):
        for sel in selection_set.selections:
            if isinstance(sel, FragmentSpreadNode):
                frag = fragments[sel.name.value]
                walk(frag.selection_set, SCHEMA.get_type(frag.type_condition.name.value), multiplier, path)
                continue
            if isinstance(sel, InlineFragmentNode):
                kind = SCHEMA.get_type(sel.type_condition.name.value) if sel.type_condition else parent
                walk(sel.selection_set, kind, multiplier, path)
                continue
            name = sel.name.value
            if name.startswith("__") or isinstance(parent, GraphQLUnionType):
                continue
            kind = get_named_type(parent.fields[name].type)
            here = path + [sel.alias.value if sel.alias else name]
            inner = multiplier
            if kind.name.endswith("Connection"):
                size = argument(sel, "first")
                mistyped = size is not None and (not isinstance(size, int) or isinstance(size, bool))
                if mistyped:
                    size = 0  # a variable of the wrong type: execution reports it
                if size is None:
                    errors.append(GraphQLError(
                        f"You must provide a `first` or `last` value to properly paginate the `{name}` "
                        "connection.", sel, path=here, extensions={"type": "MISSING_PAGINATION_BOUNDARIES"}))
                    size = 0
                elif size > MAX_PAGE:
                    errors.append(GraphQLError(
                        f"Requesting {size} records on the `{name}` connection exceeds the `first` limit "
                        f"of {MAX_PAGE} records.", sel, path=here + ["first"],
                        extensions={"type": "EXCESSIVE_PAGINATION"}))
                    size = 0
                elif size < 1 and not mistyped:  # GitHub documents 1..100: 0 (a count without nodes) is refused too
                    errors.append(GraphQLError(
                        f"`first` on the `{name}` connection must be between 1 and {MAX_PAGE}, not {size}.",
                        sel, path=here + ["first"]))
                    size = 0
                totals["requests"] += multiplier
                totals["nodes"] += multiplier * size
                inner = multiplier * size
            if sel.selection_set:
                walk(sel.selection_set, kind, inner, here)

    prepared.mutation = op.operation.value == "mutation"
    if prepared.mutation:
        walk(op.selection_set, SCHEMA.mutation_type, 1, ["mutation"])
    else:
        walk(op.selection_set, SCHEMA.query_type, 1, ["query"])
    if totals["nodes"] > MAX_NODES:
        errors.append(GraphQLError(
            f"This query requests up to {totals['nodes']:,} possible nodes which exceeds the maximum "
            f"limit of {MAX_NODES:,}.", extensions={"type": "MAX_NODE_LIMIT_EXCEEDED"}))
    if errors:
        prepared.answer = {"errors": [_format_error(e) for e in errors]}
    prepared.cost = max(1, round(totals["requests"] / 100))
    prepared.node_count = totals["nodes"]
