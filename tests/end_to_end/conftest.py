"""The end-to-end tests' fixtures: the image, built once per session, the monitoring runs'
real servers on loopback (tests/support/monitoring.py), and no cloud credential of the
developer's for the S3 tests; tests/conftest.py has the rest."""

from __future__ import annotations

import os

import pytest

from tests.support.monitoring import ping_recorder, pushgateway, smtp_server  # noqa: F401 (fixtures)


@pytest.fixture(scope="session")
def image(tmp_path_factory, pytestconfig):
    """The project's image, built once per session for the image tests (tests/support/image.py)."""
    from tests.support.image import built_image, remember_config

    remember_config(pytestconfig)
    yield from built_image(tmp_path_factory)


@pytest.fixture
def no_aws_in_process(monkeypatch):
    """No AWS_* of the developer's or CI's environment. A restic that had no keys would
    ask a metadata service for them: the container one, pointed at a closed loopback
    port, is asked before EC2's, so nothing leaves the machine even then."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/")


@pytest.fixture
def restore_env(backup_env, github_emulator, world_root):
    """backup_env with restore-to-github's empty target organization (tests/support/restore_to_github.py)
    and no pacing (the pacer has its own test); a gap in godot's numbers (its #5 deleted), which the
    restore fills with a closed placeholder."""
    from tests.github_emulator.mutate import add_org, delete_issue
    from tests.support.cli import ORG
    from tests.support.restore_to_github import TARGET

    add_org(world_root, TARGET)
    delete_issue(world_root, ORG, "godot", 5)
    return dict(backup_env, RESTORE_REQUESTS_PER_MINUTE="100000", RESTORE_REQUESTS_PER_HOUR="1000000")
