"""The emulator tests' fixtures: `em`, the running emulator with the GraphQL tests' discussions and
projects (tests/support/graphql_world.py); `target`, an empty organization with an empty
repository made over the API, for the write side (tests/conftest.py has the rest)."""

from __future__ import annotations

import pytest

from tests.github_emulator import add_org
from tests.support.emulator_client import TARGET, Client
from tests.support.graphql_world import add_discussions_and_projects


@pytest.fixture
def em(github_emulator, world_root):
    """The running emulator, its world with the GraphQL tests' discussions and projects."""
    add_discussions_and_projects(world_root)
    github_emulator.reset_counters()
    return github_emulator


@pytest.fixture
def target(github_emulator, world_root):
    """An empty organization and an empty repository in it, made over the API."""
    add_org(world_root, TARGET, "Where the backup goes back")
    admin = Client(github_emulator, github_emulator.admin_token)
    assert admin.ok("GET", f"/orgs/{TARGET}")["login"] == TARGET
    assert admin.ok("GET", f"/orgs/{TARGET}/repos") == []
    created = admin.ok("POST", f"/orgs/{TARGET}/repos",
                       json={"name": "assets", "description": "restored", "homepage": "https://example.org",
                             "has_wiki": False})
    assert created["full_name"] == f"{TARGET}/assets" and created["homepage"] == "https://example.org"
    assert created["has_wiki"] is False and created["private"] is False
    return admin
