"""The GraphQL API (POST /graphql, POST /api/graphql): a subset of GitHub's schema, served
from the world View with graphql-core.

Objects are plain dicts keyed by GraphQL field names; a field with arguments (a connection,
a lookup) is a callable `f(info, **args)`, which graphql-core's default resolver calls. So the
SDL below is the whole schema and the `_*_obj` functions are the whole resolver layer.

One request: `prepare()` parses, validates and computes the rate-limit cost (as GitHub does,
before running anything), the server spends that cost from the identity's graphql budget,
then `execute()` runs the query and formats errors the way GitHub does.
"""
from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field

from graphql import (GraphQLError, GraphQLUnionType, OperationDefinitionNode, build_schema,
                     execute_sync, get_named_type, parse, validate)
from graphql.language import FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode, VariableNode
from graphql.utilities import value_from_ast_untyped

from . import api
from .world import ruleset_applies

MAX_PAGE = 100          # GitHub's `first` limit
MAX_NODES = 500_000     # GitHub's node limit per query

SDL = """
scalar DateTime
scalar URI
enum OrderDirection { ASC DESC }
interface Node { id: ID! }
interface Actor { login: String! }
type User implements Actor & Node { id: ID! login: String! }
type PageInfo { endCursor: String hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String }
type RateLimit { cost: Int! limit: Int! nodeCount: Int! remaining: Int! resetAt: DateTime! used: Int! }
type Query {
  repository(owner: String!, name: String!): Repository
  organization(login: String!): Organization
  rateLimit: RateLimit
  viewer: User!
  node(id: ID!): Node
}
type Repository implements Node {
  id: ID! databaseId: Int name: String! nameWithOwner: String! hasDiscussionsEnabled: Boolean! updatedAt: DateTime!
  isPrivate: Boolean! url: URI!
  discussions(first: Int, after: String, categoryId: ID = null, answered: Boolean = null,
              orderBy: DiscussionOrder = {field: UPDATED_AT, direction: DESC}): DiscussionConnection!
  discussion(number: Int!): Discussion
  discussionCategories(first: Int, after: String): DiscussionCategoryConnection!
  issues(first: Int, after: String, orderBy: IssueOrder = {field: CREATED_AT, direction: ASC},
         states: [IssueState!]): IssueConnection!
  pullRequests(first: Int, after: String, orderBy: IssueOrder = {field: CREATED_AT, direction: ASC},
               states: [PullRequestState!]): PullRequestConnection!
  milestones(first: Int, after: String): MilestoneConnection
  labels(first: Int, after: String): LabelConnection
  releases(first: Int, after: String): ReleaseConnection!
  deployKeys(first: Int, after: String): DeployKeyConnection!
  environments(first: Int, after: String): EnvironmentConnection!
  rulesets(first: Int, after: String, includeParents: Boolean = true): RepositoryRulesetConnection
  commitComments(first: Int, after: String): CommitCommentConnection!
  branchProtectionRules(first: Int, after: String): BranchProtectionRuleConnection!
}
type BranchProtectionRule implements Node { id: ID! pattern: String! }
type BranchProtectionRuleConnection { totalCount: Int! nodes: [BranchProtectionRule] pageInfo: PageInfo! }
type Milestone implements Node { id: ID! number: Int! title: String! }
type MilestoneConnection { totalCount: Int! nodes: [Milestone] pageInfo: PageInfo! }
type Release implements Node { id: ID! tagName: String! name: String }
type ReleaseConnection { totalCount: Int! nodes: [Release] pageInfo: PageInfo! }
type DeployKey implements Node { id: ID! title: String! }
type DeployKeyConnection { totalCount: Int! nodes: [DeployKey] pageInfo: PageInfo! }
type Environment implements Node { id: ID! name: String! }
type EnvironmentConnection { totalCount: Int! nodes: [Environment] pageInfo: PageInfo! }
type RepositoryRuleset implements Node { id: ID! name: String! }
type RepositoryRulesetConnection { totalCount: Int! nodes: [RepositoryRuleset] pageInfo: PageInfo! }
type CommitComment implements Node { id: ID! body: String! }
type CommitCommentConnection { totalCount: Int! nodes: [CommitComment] pageInfo: PageInfo! }
input IssueOrder { field: IssueOrderField! direction: OrderDirection! }
enum IssueOrderField { CREATED_AT UPDATED_AT COMMENTS }
enum IssueState { OPEN CLOSED }
enum PullRequestState { OPEN CLOSED MERGED }
type IssueConnection { totalCount: Int! nodes: [Issue] pageInfo: PageInfo! }
type PullRequestConnection { totalCount: Int! nodes: [PullRequest] pageInfo: PageInfo! }
input DiscussionOrder { field: DiscussionOrderField! direction: OrderDirection! }
enum DiscussionOrderField { CREATED_AT UPDATED_AT }
type DiscussionConnection { totalCount: Int! nodes: [Discussion] pageInfo: PageInfo! }
type DiscussionCategoryConnection { totalCount: Int! nodes: [DiscussionCategory] pageInfo: PageInfo! }
type DiscussionCategory implements Node { id: ID! name: String! slug: String! emoji: String! description: String isAnswerable: Boolean! }
type Discussion implements Node {
  id: ID! databaseId: Int number: Int! title: String! body: String! url: URI! author: Actor
  createdAt: DateTime! updatedAt: DateTime! closed: Boolean! closedAt: DateTime locked: Boolean! upvoteCount: Int!
  category: DiscussionCategory! answer: DiscussionComment answerChosenAt: DateTime answerChosenBy: Actor
  labels(first: Int, after: String): LabelConnection
  comments(first: Int, after: String): DiscussionCommentConnection!
}
type DiscussionCommentConnection { totalCount: Int! nodes: [DiscussionComment] pageInfo: PageInfo! }
type DiscussionComment implements Node {
  id: ID! databaseId: Int body: String! author: Actor createdAt: DateTime! updatedAt: DateTime! isAnswer: Boolean!
  upvoteCount: Int! url: URI! replyTo: DiscussionComment
  replies(first: Int, after: String): DiscussionCommentConnection!
}
type LabelConnection { totalCount: Int! nodes: [Label] pageInfo: PageInfo! }
type Label implements Node { id: ID! name: String! color: String! description: String }
type Organization implements Node & Actor {
  id: ID! databaseId: Int login: String!
  # nullable here (GitHub: ProjectV2Connection!) so that a missing read:project scope gives
  # `projectsV2: null` next to the error, as GitHub answers, instead of a null organization
  projectsV2(first: Int, after: String, orderBy: ProjectV2Order = {field: NUMBER, direction: DESC}): ProjectV2Connection
  projectV2(number: Int!): ProjectV2
}
input ProjectV2Order { field: ProjectV2OrderField! direction: OrderDirection! }
enum ProjectV2OrderField { TITLE NUMBER UPDATED_AT CREATED_AT }
type ProjectV2Connection { totalCount: Int! nodes: [ProjectV2] pageInfo: PageInfo! }
type ProjectV2 implements Node {
  id: ID! number: Int! title: String! shortDescription: String readme: String public: Boolean! closed: Boolean!
  url: URI! createdAt: DateTime! updatedAt: DateTime! creator: Actor
  fields(first: Int, after: String): ProjectV2FieldConfigurationConnection!
  items(first: Int, after: String): ProjectV2ItemConnection!
}
enum ProjectV2FieldType { ASSIGNEES DATE ITERATION LABELS LINKED_PULL_REQUESTS MILESTONE NUMBER REPOSITORY REVIEWERS SINGLE_SELECT TEXT TITLE TRACKS }
interface ProjectV2FieldCommon { id: ID! name: String! dataType: ProjectV2FieldType! }
type ProjectV2Field implements Node & ProjectV2FieldCommon { id: ID! name: String! dataType: ProjectV2FieldType! }
type ProjectV2SingleSelectField implements Node & ProjectV2FieldCommon { id: ID! name: String! dataType: ProjectV2FieldType! options: [ProjectV2SingleSelectFieldOption!]! }
type ProjectV2SingleSelectFieldOption { id: String! name: String! color: String! description: String! }
type ProjectV2IterationField implements Node & ProjectV2FieldCommon { id: ID! name: String! dataType: ProjectV2FieldType! configuration: ProjectV2IterationFieldConfiguration! }
type ProjectV2IterationFieldConfiguration { duration: Int! startDay: Int! iterations: [ProjectV2IterationFieldIteration!]! }
type ProjectV2IterationFieldIteration { id: String! title: String! startDate: String! duration: Int! }
union ProjectV2FieldConfiguration = ProjectV2Field | ProjectV2IterationField | ProjectV2SingleSelectField
type ProjectV2FieldConfigurationConnection { totalCount: Int! nodes: [ProjectV2FieldConfiguration] pageInfo: PageInfo! }
enum ProjectV2ItemType { DRAFT_ISSUE ISSUE PULL_REQUEST REDACTED }
type ProjectV2ItemConnection { totalCount: Int! nodes: [ProjectV2Item] pageInfo: PageInfo! }
type ProjectV2Item implements Node {
  id: ID! type: ProjectV2ItemType! isArchived: Boolean! createdAt: DateTime! updatedAt: DateTime!
  content: ProjectV2ItemContent
  fieldValues(first: Int, after: String): ProjectV2ItemFieldValueConnection!
}
union ProjectV2ItemContent = DraftIssue | Issue | PullRequest
type DraftIssue implements Node { id: ID! title: String! body: String! creator: Actor createdAt: DateTime! updatedAt: DateTime! }
type Issue implements Node { id: ID! number: Int! title: String! url: URI! repository: Repository!
  createdAt: DateTime! updatedAt: DateTime! }
type PullRequest implements Node { id: ID! number: Int! title: String! url: URI! repository: Repository!
  createdAt: DateTime! updatedAt: DateTime! }
union ProjectV2ItemFieldValue = ProjectV2ItemFieldTextValue | ProjectV2ItemFieldNumberValue | ProjectV2ItemFieldDateValue | ProjectV2ItemFieldSingleSelectValue | ProjectV2ItemFieldIterationValue
type ProjectV2ItemFieldValueConnection { totalCount: Int! nodes: [ProjectV2ItemFieldValue] pageInfo: PageInfo! }
type ProjectV2ItemFieldTextValue { text: String field: ProjectV2FieldConfiguration! }
type ProjectV2ItemFieldNumberValue { number: Float field: ProjectV2FieldConfiguration! }
type ProjectV2ItemFieldDateValue { date: String field: ProjectV2FieldConfiguration! }
type ProjectV2ItemFieldSingleSelectValue { name: String optionId: String field: ProjectV2FieldConfiguration! }
type ProjectV2ItemFieldIterationValue { title: String! iterationId: String! startDate: String! duration: Int! field: ProjectV2FieldConfiguration! }
"""

SCHEMA = build_schema(SDL)

PROJECTS_SCOPE_MESSAGE = ("Your token has not been granted the required scopes to execute this query. "
                          "The 'projectsV2' field requires one of the following scopes: ['read:project'], "
                          "but your token has only been granted the: ['repo', 'read:org'] scopes. "
                          "Please modify your token's scopes at: https://github.com/settings/tokens.")


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


@dataclass
class Ctx:
    view: api.View
    user: dict | None
    web: str
    rate: dict          # after spending: limit, remaining, reset, used
    cost: int
    node_count: int


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
        "repository": lambda info, owner, name: _repository(ctx, owner, name),
        "organization": lambda info, login: _organization(ctx, login),
        "rateLimit": lambda info: _rate_limit(ctx),
        "viewer": lambda info: _actor(ctx.user["login"]),
        "node": lambda info, id: _node(ctx, id),
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


def _fail(kind: str, message: str):
    raise GraphQLError(message, extensions={"type": kind})


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
                if size is not None and (not isinstance(size, int) or isinstance(size, bool)):
                    size = 0  # a variable of the wrong type: execution reports it
                if size is None:
                    errors.append(GraphQLError(
                        f"You must provide a `first` or `last` value to properly paginate the `{name}` "
                        "connection.", sel, path=here, extensions={"type": "MISSING_PAGINATION_BOUNDARIES"}))
                    size = 0
                elif size > MAX_PAGE or size < 0:
                    errors.append(GraphQLError(
                        f"Requesting {size} records on the `{name}` connection exceeds the `first` limit "
                        f"of {MAX_PAGE} records.", sel, path=here + ["first"],
                        extensions={"type": "EXCESSIVE_PAGINATION"}))
                    size = 0
                totals["requests"] += multiplier
                totals["nodes"] += multiplier * size
                inner = multiplier * size
            if sel.selection_set:
                walk(sel.selection_set, kind, inner, here)

    walk(op.selection_set, SCHEMA.query_type, 1, ["query"])
    if totals["nodes"] > MAX_NODES:
        errors.append(GraphQLError(
            f"This query requests up to {totals['nodes']:,} possible nodes which exceeds the maximum "
            f"limit of {MAX_NODES:,}.", extensions={"type": "MAX_NODE_LIMIT_EXCEEDED"}))
    if errors:
        prepared.answer = {"errors": [_format_error(e) for e in errors]}
    prepared.cost = max(1, round(totals["requests"] / 100))
    prepared.node_count = totals["nodes"]


# ------------------------------------------------------------------------ pagination


def _cursor(offset: int) -> str:
    return base64.b64encode(f"cursor:v2:{offset}".encode()).decode()


def _offset(after: str | None) -> int:
    if not after:
        return 0
    try:
        kind, version, number = base64.b64decode(after).decode().split(":")
        assert (kind, version) == ("cursor", "v2")
        return int(number) + 1
    except (ValueError, AssertionError, UnicodeDecodeError):
        _fail("INVALID_CURSOR_ARGUMENTS", f"`{after}` does not appear to be a valid cursor.")


def _connection(items: list, make, first=None, after=None, **_ignored) -> dict:
    """A connection over `items` (raw records), `make` turns a record into its object."""
    start = _offset(after)
    page = items[start:start + (first or 0)]
    end = start + len(page)
    return {"totalCount": len(items), "nodes": [make(x) for x in page],
            "pageInfo": {"hasNextPage": end < len(items), "hasPreviousPage": start > 0,
                         "startCursor": _cursor(start) if page else None,
                         "endCursor": _cursor(end - 1) if page else None}}


# ------------------------------------------------------------------------ objects


def _nid(kind: str, raw) -> str:
    """A node id as api.node() makes them; ids the builder wrote as strings are used as they are."""
    return api.node(kind, raw) if isinstance(raw, int) else str(raw)


def _db(raw):
    return raw if isinstance(raw, int) else None


def _actor(login: str | None):
    if not login:
        return None
    return {"__typename": "User", "id": api.node("User", api._id(login)), "login": login}


def _rate_limit(c: Ctx) -> dict:
    reset = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(c.rate["reset"]))
    return {"cost": c.cost, "limit": c.rate["limit"], "nodeCount": c.node_count,
            "remaining": c.rate["remaining"], "resetAt": reset, "used": c.rate["used"]}


def _node(c: Ctx, node_id: str):
    """GitHub's lookup by node id; the subset: discussion comments (how replies beyond the
    first page are paged), in repositories the caller may read."""
    for login, rec in c.view.repos.values():
        if rec["private"] and not c.user:
            continue
        categories = {cat["slug"]: cat for cat in rec.get("discussion_categories") or []}
        labels = {label["name"]: label for label in rec.get("labels") or []}
        for d in rec.get("discussions") or []:
            for x in d.get("comments") or []:
                if _nid("DiscussionComment", x["id"]) == node_id:
                    found = _discussion_obj(c, f"{login}/{rec['name']}", d, categories, labels)
                    return dict(found["_comment"](x), __typename="DiscussionComment")
    _fail("NOT_FOUND", f"Could not resolve to a node with the global id of '{node_id}'")


def _repository(c: Ctx, owner: str, name: str):
    found = c.view.find_repo(owner, name)
    if not found or (found[1]["private"] and not c.user):
        _fail("NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'.")
    return _repo_obj(c, *found)


def _repo_obj(c: Ctx, login: str, rec: dict) -> dict:
    full = f"{login}/{rec['name']}"
    discussions = rec.get("discussions") or []
    categories = {cat["slug"]: cat for cat in rec.get("discussion_categories") or []}
    labels = {label["name"]: label for label in rec.get("labels") or []}
    settings = rec.get("settings") or {}

    def discussion_list(first=None, after=None, orderBy=None, categoryId=None, answered=None):
        order = orderBy or {"field": "UPDATED_AT", "direction": "DESC"}
        key = "updatedAt" if order["field"] == "UPDATED_AT" else "createdAt"
        def category_id(d):
            return _category_obj(categories.get(d["category"], _NO_CATEGORY))["id"]
        chosen = [d for d in discussions if (categoryId is None or category_id(d) == categoryId)
                  and (answered is None or bool(d.get("answer")) == answered)]
        ordered = sorted(chosen, key=lambda d: (d[key], d["number"]), reverse=order["direction"] == "DESC")
        return _connection(ordered, lambda d: _discussion_obj(c, full, d, categories, labels), first, after)

    def discussion(number):
        for d in discussions:
            if d["number"] == number:
                return _discussion_obj(c, full, d, categories, labels)
        _fail("NOT_FOUND", f"Could not resolve to a Discussion with the number of {number}.")

    def issue_list(pulls: bool, first=None, after=None, orderBy=None, states=None):
        """GitHub's `issues` (no pull requests) or `pullRequests` connection of the repository."""
        order = orderBy or {"field": "CREATED_AT", "direction": "ASC"}
        index = c.view.index[rec["id"]]
        key = {"UPDATED_AT": lambda i: (i["updated_at"], i["number"]),
               "COMMENTS": lambda i: (len(index["comments"].get(i["number"], [])), i["number"])}.get(
                   order["field"], lambda i: (i["created_at"], i["number"]))
        chosen = [i for i in rec["issues"] if bool(i["pull"]) == pulls
                  and (not states or _item_state(i) in states)]
        ordered = sorted(chosen, key=key, reverse=order["direction"] == "DESC")
        return _connection(ordered, lambda i: _issue_obj(c, login, rec, i, pulls), first, after)

    return {
        "id": api.node("Repository", rec["id"]), "databaseId": rec["id"], "name": rec["name"],
        "nameWithOwner": full, "updatedAt": rec["updated_at"], "isPrivate": rec["private"],
        "url": f"{c.web}/{full}",
        "hasDiscussionsEnabled": bool(settings.get("has_discussions", bool(discussions))),
        "discussions": lambda info, **kw: discussion_list(**kw),
        "discussion": lambda info, number: discussion(number),
        "milestones": lambda info, **kw: _connection(
            rec["milestones"], lambda m: {"id": api.node("Milestone", m["id"]), "number": m["number"],
                                          "title": m["title"]}, **kw),
        "labels": lambda info, **kw: _connection(
            rec["labels"], lambda x: {"id": api.node("Label", x["id"]), "name": x["name"], "color": x["color"],
                                      "description": x.get("description")}, **kw),
        "releases": lambda info, **kw: _connection(
            rec["releases"], lambda r: {"id": api.node("Release", r["id"]), "tagName": r["tag_name"],
                                        "name": r.get("name")}, **kw),
        "deployKeys": lambda info, **kw: _connection(
            rec["deploy_keys"], lambda k: {"id": api.node("DeployKey", k["id"]), "title": k["title"]}, **kw),
        "environments": lambda info, **kw: _connection(
            rec["environments"], lambda e: {"id": api.node("Environment", e.get("id", e["name"])),
                                            "name": e["name"]}, **kw),
        "rulesets": lambda info, includeParents=True, **kw: _connection(
            _rulesets(c, login, rec, includeParents),
            lambda r: {"id": api.node("RepositoryRuleset", r["id"]), "name": r["name"]}, **kw),
        "commitComments": lambda info, **kw: _connection(
            rec["commit_comments"], lambda x: {"id": api.node("CommitComment", x["id"]), "body": x["body"]}, **kw),
        # one rule per protected branch, its pattern the branch's name
        "branchProtectionRules": lambda info, **kw: _connection(
            sorted(rec["protected_branches"]),
            lambda b: {"id": api.node("BranchProtectionRule", f"{rec['id']}:{b}"), "pattern": b}, **kw),
        "issues": lambda info, **kw: issue_list(False, **kw),
        "pullRequests": lambda info, **kw: issue_list(True, **kw),
        "discussionCategories": lambda info, **kw: _connection(
            list(categories.values()), _category_obj, kw.get("first"), kw.get("after")),
    }


_NO_CATEGORY = {"id": 0, "name": "General", "slug": "general"}


def _category_obj(cat: dict) -> dict:
    return {"id": _nid("DiscussionCategory", cat["id"]), "name": cat["name"], "slug": cat["slug"],
            "emoji": cat.get("emoji") or ":speech_balloon:", "description": cat.get("description"),
            "isAnswerable": bool(cat.get("isAnswerable"))}


def _label_obj(label: dict) -> dict:
    return {"id": _nid("Label", label["id"]), "name": label["name"], "color": label["color"],
            "description": label.get("description")}


def _discussion_obj(c: Ctx, full: str, d: dict, categories: dict, labels: dict) -> dict:
    url = f"{c.web}/{full}/discussions/{d['number']}"
    comments = d.get("comments") or []
    answer = next((x for x in comments if x["id"] == d.get("answer")), None) if d.get("answer") else None
    category = categories.get(d["category"]) or dict(_NO_CATEGORY, name=d["category"], slug=d["category"])

    def comment(x, parent=None):
        obj = {
            "id": _nid("DiscussionComment", x["id"]), "databaseId": _db(x["id"]), "body": x["body"],
            "author": _actor(x.get("author")), "createdAt": x["createdAt"], "updatedAt": x["updatedAt"],
            "isAnswer": parent is None and x["id"] == d.get("answer"), "upvoteCount": x.get("upvoteCount", 0),
            "url": f"{url}#discussioncomment-{x['id']}",
            "replyTo": comment(parent) if parent is not None else None,
            "replies": lambda info, **kw: _connection(
                [] if parent is not None else x.get("replies") or [], lambda r: comment(r, x),
                kw.get("first"), kw.get("after")),
        }
        return obj

    return {
        "id": _nid("Discussion", d["id"]), "databaseId": _db(d["id"]), "number": d["number"],
        "title": d["title"], "body": d["body"], "url": url, "author": _actor(d.get("author")),
        "createdAt": d["createdAt"], "updatedAt": d["updatedAt"], "closed": bool(d.get("closed")),
        "closedAt": d.get("closedAt"), "locked": bool(d.get("locked")), "upvoteCount": d.get("upvoteCount", 0),
        "category": _category_obj(category),
        "answer": comment(answer) if answer else None,
        "answerChosenAt": d.get("answerChosenAt") if answer else None,
        "answerChosenBy": _actor(d.get("answerChosenBy")) if answer else None,
        "labels": lambda info, **kw: _connection(
            [labels.get(n) or {"id": n, "name": n, "color": "ededed"} for n in d.get("labels") or []],
            _label_obj, kw.get("first"), kw.get("after")),
        "comments": lambda info, **kw: _connection(comments, comment, kw.get("first"), kw.get("after")),
        "_comment": comment,  # for node(id:); not a field of the schema
    }


# ------------------------------------------------------------------------ organizations and projects


def _organization(c: Ctx, login: str):
    org = c.view.find_org(login)
    if not org:
        _fail("NOT_FOUND", f"Could not resolve to an Organization with the login of '{login}'.")
    projects = org.get("projects") or []

    def readable():
        # a reader token is like a classic token without read:project (see the design)
        if not (c.user and c.user.get("admin")):
            _fail("INSUFFICIENT_SCOPES", PROJECTS_SCOPE_MESSAGE)

    def project_list(first=None, after=None, orderBy=None):
        readable()
        order = orderBy or {"field": "NUMBER", "direction": "DESC"}
        key = {"TITLE": "title", "NUMBER": "number", "UPDATED_AT": "updatedAt", "CREATED_AT": "createdAt"}
        ordered = sorted(projects, key=lambda p: (p[key[order["field"]]], p["number"]),
                         reverse=order["direction"] == "DESC")
        return _connection(ordered, lambda p: _project_obj(c, org, p), first, after)

    def project(number):
        readable()
        for p in projects:
            if p["number"] == number:
                return _project_obj(c, org, p)
        _fail("NOT_FOUND", f"Could not resolve to a ProjectV2 with the number {number}.")

    return {"__typename": "Organization", "id": api.node("Organization", org["id"]), "databaseId": org["id"],
            "login": org["login"],
            "projectsV2": lambda info, **kw: project_list(**kw),
            "projectV2": lambda info, number: project(number)}


FIELD_TYPES = {"SINGLE_SELECT": "ProjectV2SingleSelectField", "ITERATION": "ProjectV2IterationField"}


def _field_obj(f: dict) -> dict:
    kind = FIELD_TYPES.get(f["dataType"], "ProjectV2Field")
    prefix = {"ProjectV2Field": "PVTF", "ProjectV2SingleSelectField": "PVTSSF", "ProjectV2IterationField": "PVTIF"}
    out = {"__typename": kind, "id": _nid(prefix[kind], f["id"]), "name": f["name"], "dataType": f["dataType"]}
    if kind == "ProjectV2SingleSelectField":
        out["options"] = [{"id": str(o["id"]), "name": o["name"], "color": o.get("color") or "GRAY",
                           "description": o.get("description") or ""} for o in f.get("options") or []]
    if kind == "ProjectV2IterationField":
        conf = f.get("configuration") or {}
        out["configuration"] = {
            "duration": conf.get("duration", 14), "startDay": conf.get("startDay", 1),
            "iterations": [{"id": str(i["id"]), "title": i["title"], "startDate": i["startDate"],
                            "duration": i.get("duration", conf.get("duration", 14))}
                           for i in conf.get("iterations") or []]}
    return out


def _project_obj(c: Ctx, org: dict, p: dict) -> dict:
    fields = p.get("fields") or []
    items = p.get("items") or []
    return {
        "id": _nid("ProjectV2", p["id"]), "number": p["number"], "title": p["title"],
        "shortDescription": p.get("shortDescription"), "readme": p.get("readme"),
        "public": bool(p.get("public")), "closed": bool(p.get("closed")),
        "url": f"{c.web}/orgs/{org['login']}/projects/{p['number']}",
        "createdAt": p["createdAt"], "updatedAt": p["updatedAt"], "creator": _actor(p.get("creator")),
        "fields": lambda info, **kw: _connection(fields, _field_obj, kw.get("first"), kw.get("after")),
        "items": lambda info, **kw: _connection(items, lambda i: _item_obj(c, org, fields, i),
                                                kw.get("first"), kw.get("after")),
    }


def _item_obj(c: Ctx, org: dict, fields: list, item: dict) -> dict:
    content = _content_obj(c, org, item)
    title = (content or {}).get("title")
    values = {str(k): v for k, v in (item.get("values") or {}).items()}

    def value_obj(f):
        field_obj = _field_obj(f)
        if f["dataType"] == "TITLE":
            return {"__typename": "ProjectV2ItemFieldTextValue", "text": title, "field": field_obj}
        raw = values.get(str(f["id"]))
        if raw is None:
            return None
        kind = f["dataType"]
        if kind == "TEXT":
            return {"__typename": "ProjectV2ItemFieldTextValue", "text": raw, "field": field_obj}
        if kind == "NUMBER":
            return {"__typename": "ProjectV2ItemFieldNumberValue", "number": raw, "field": field_obj}
        if kind == "DATE":
            return {"__typename": "ProjectV2ItemFieldDateValue", "date": raw, "field": field_obj}
        if kind == "SINGLE_SELECT":
            option = next((o for o in f.get("options") or [] if str(o["id"]) == str(raw)), None)
            return {"__typename": "ProjectV2ItemFieldSingleSelectValue", "optionId": str(raw),
                    "name": option["name"] if option else None, "field": field_obj}
        if kind == "ITERATION":
            conf = f.get("configuration") or {}
            it = next((i for i in conf.get("iterations") or [] if str(i["id"]) == str(raw)), None)
            if not it:
                return None
            return {"__typename": "ProjectV2ItemFieldIterationValue", "iterationId": str(raw),
                    "title": it["title"], "startDate": it["startDate"],
                    "duration": it.get("duration", conf.get("duration", 14)), "field": field_obj}
        return None

    field_values = [v for v in (value_obj(f) for f in fields) if v is not None]
    return {
        "id": _nid("PVTI", item["id"]), "type": item["type"], "isArchived": bool(item.get("isArchived")),
        "createdAt": item["createdAt"], "updatedAt": item["updatedAt"], "content": content,
        "fieldValues": lambda info, **kw: _connection(field_values, lambda v: v, kw.get("first"), kw.get("after")),
    }


def _content_obj(c: Ctx, org: dict, item: dict):
    content = item.get("content") or {}
    if item["type"] == "DRAFT_ISSUE":
        return {"__typename": "DraftIssue", "id": _nid("DI", item["id"]), "title": content.get("title", ""),
                "body": content.get("body") or "", "creator": _actor(content.get("creator")),
                "createdAt": item["createdAt"], "updatedAt": item["updatedAt"]}
    found = c.view.find_repo(org["login"], content.get("repo", ""))
    if not found:
        return None
    login, rec = found
    issue = c.view.index[rec["id"]]["issues"].get(content.get("number"))
    if not issue:
        return None
    return _issue_obj(c, login, rec, issue, item["type"] == "PULL_REQUEST")


def _rulesets(c: Ctx, login: str, rec: dict, include_parents: bool) -> list:
    """The repository's own rulesets, then (includeParents) the organization's that apply (as REST's)."""
    found = list(rec["repo_rulesets"])
    if include_parents:
        org = c.view.find_org(login) or {}
        found += [r for r in org.get("rulesets", []) if ruleset_applies(r, rec["name"])]
    return found


def _item_state(issue: dict) -> str:
    if issue["pull"] and issue["pull"].get("merged_at"):
        return "MERGED"
    return issue["state"].upper()


def _issue_obj(c: Ctx, login: str, rec: dict, issue: dict, pull: bool) -> dict:
    full = f"{login}/{rec['name']}"
    return {"__typename": "PullRequest" if pull else "Issue",
            "id": api.node("PullRequest" if pull else "Issue", issue["id"]), "number": issue["number"],
            "title": issue["title"], "url": f"{c.web}/{full}/{'pull' if pull else 'issues'}/{issue['number']}",
            "createdAt": issue["created_at"], "updatedAt": issue["updated_at"],
            "repository": lambda info: _repo_obj(c, login, rec)}
