"""The emulator's GraphQL schema (tests/github_emulator/graphql_schema.py) accepts nothing GitHub's
refuses: each type, field, argument, enum value and union member it serves is GitHub's, with the
same type (a test passing against the emulator then passes against GitHub's schema too)."""

from __future__ import annotations

from graphql import (GraphQLEnumType, build_schema, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType,
                     GraphQLUnionType)

from tests.contract.graphql import github_schema
from tests.github_emulator.graphql_schema import SCHEMA as EMULATOR

# Where the emulator knowingly differs, and why.
DEVIATIONS = {
    # GitHub declares it non-null but answers a token without read:project with `projectsV2: null`
    # and an INSUFFICIENT_SCOPES error naming that path (the contract accepts such a null).
    "Organization.projectsV2: ProjectV2Connection, GitHub's ProjectV2Connection!",
}


def differences(schema=EMULATOR) -> list[str]:
    github = github_schema()
    found = []
    for name, ours in schema.type_map.items():
        if name.startswith("__"):
            continue
        theirs = github.type_map.get(name)
        if theirs is None:
            found.append(f"{name}: no such type in GitHub's schema")
            continue
        if type(theirs) is not type(ours):
            found.append(f"{name}: a {type(ours).__name__}, GitHub's is a {type(theirs).__name__}")
            continue
        if isinstance(ours, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in ours.fields.items():
                their_field = theirs.fields.get(field_name)
                if their_field is None:
                    found.append(f"{name}.{field_name}: no such field in GitHub's schema")
                    continue
                if str(field.type) != str(their_field.type):
                    found.append(f"{name}.{field_name}: {field.type}, GitHub's {their_field.type}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    their_arg = their_field.args.get(arg_name)
                    if their_arg is None:
                        found.append(f"{name}.{field_name}({arg_name}:): no such argument in GitHub's schema")
                    elif str(arg.type) != str(their_arg.type):
                        found.append(f"{name}.{field_name}({arg_name}:): {arg.type}, GitHub's {their_arg.type}")
            if isinstance(ours, (GraphQLObjectType, GraphQLInterfaceType)):
                theirs_implement = {i.name for i in theirs.interfaces}
                found += [f"{name} implements {i.name}: GitHub's does not" for i in ours.interfaces
                          if i.name not in theirs_implement]
        elif isinstance(ours, GraphQLEnumType):
            found += [f"{name}.{value}: no such value in GitHub's enum" for value in ours.values
                      if value not in theirs.values]
        elif isinstance(ours, GraphQLUnionType):
            theirs_hold = {t.name for t in theirs.types}
            found += [f"{name} | {t.name}: not in GitHub's union" for t in ours.types if t.name not in theirs_hold]
    return found


def test_the_emulator_serves_githubs_types_fields_and_arguments():
    assert set(differences()) == DEVIATIONS


def test_the_comparison_finds_what_github_would_refuse():
    wrong = build_schema("""
        type Query { repository(owner: String!, name: String!, id: Int): Repository }
        type Repository { name: String! isPrivate: String milestones(first: Int, after: String): Int }
        enum IssueState { OPEN CLOSED STALE }
        type Gadget { id: ID! }
    """)
    assert differences(wrong) == [
        "Query.repository(id:): no such argument in GitHub's schema",
        "Repository.isPrivate: String, GitHub's Boolean!",
        "Repository.milestones: Int, GitHub's MilestoneConnection",
        "IssueState.STALE: no such value in GitHub's enum",
        "Gadget: no such type in GitHub's schema"]
