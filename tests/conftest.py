"""Shared pytest fixtures, and each test's tier marked from its folder (tests/README.md):
tests/unit/ -> `unit`, tests/integration/ -> `integration`, tests/end_to_end/ -> `end_to_end`.
The GitHub emulator: see tests/github_emulator/README.md."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.github_emulator import start
from tests.github_emulator.scenario import build_world
from tests.github_emulator.store import copy_world
from tests.support.restic_versions import binaries as restic_binaries

TIERS = ("unit", "integration", "end_to_end")
TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    """Mark every test with its tier (its folder under tests/): `-m unit` is the fast loop.
    And its group for pytest-xdist's `--dist loadgroup` (tests/run.sh runs the whole suite on
    a worker per CPU): a module's tests stay together (its module-scoped fixtures are made
    once), and every test that needs Docker runs on one worker (the image is built once, and
    no two builds or compose stacks race)."""
    for item in items:
        tier = Path(item.path).resolve().relative_to(TESTS).parts[0]
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))
        group = "docker" if item.get_closest_marker("docker") else str(Path(item.path).relative_to(TESTS))
        item.add_marker(pytest.mark.xdist_group(group))


def pytest_sessionfinish(session):
    """ORGBACKUP_CONTRACT_UPDATE_USED=1: the operations this run recorded added to
    tests/contract/operations_used.json (the contract tests' refresh reads it: tests/README.md)."""
    if os.environ.get("ORGBACKUP_CONTRACT_UPDATE_USED") == "1":
        from tests.contract.check import update_used

        update_used()


RESTICS = restic_binaries()
RESTIC_PARAMS = dict(params=[(kind, binary, version) for _, kind, binary, version in RESTICS],
                     ids=[test_id for test_id, *_ in RESTICS])


def use_restic(param, mp: pytest.MonkeyPatch) -> str:
    """Put one of RESTICS first on PATH (skip, or fail in CI, when it is missing); its version."""
    from orgbackup.tools import restic

    kind, binary, version = param
    if version is None:
        reason = ("no restic on PATH" if kind == "host" else
                  f"no trixie restic at {binary}: `bash .ci/restic-trixie.sh` unpacks it "
                  f"(or set ORGBACKUP_TEST_RESTIC_TRIXIE)")
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI: .ci/run fetches it)")
        pytest.skip(reason)
    if kind != "host":  # the host's is first on PATH already (its folder may hold other programs)
        mp.setenv("PATH", f"{binary.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    mp.setattr(restic, "_version", None)  # installed_version() asks this binary
    return version


@pytest.fixture(**RESTIC_PARAMS)
def restic_binary(request, monkeypatch):
    """Runs the test once with the host's restic and once with Debian trixie's (the image's):
    the version it runs with ("0.14.0", "0.18.0"). tests/restic_versions.py."""
    return use_restic(request.param, monkeypatch)


@pytest.fixture(scope="module", **RESTIC_PARAMS)
def restic_binary_for_module(request):
    """restic_binary for a module whose module-scoped fixtures run restic: the module's
    tests run once with each restic, grouped by it."""
    with pytest.MonkeyPatch.context() as mp:
        yield use_restic(request.param, mp)


@pytest.fixture(scope="session")
def github_world_template(tmp_path_factory):
    """The default world, built once per session (read-only: copy it before use)."""
    root = tmp_path_factory.mktemp("github-world-template") / "world"
    build_world(root)
    return root


@pytest.fixture
def world_root(github_world_template, tmp_path):
    """A private copy of the default world for this test (mutate() it freely)."""
    return copy_world(github_world_template, tmp_path / "github-world")


@pytest.fixture
def hermetic_git_env(tmp_path, monkeypatch):
    """HOME in tmp_path, no system/global git configuration, no prompts."""
    from tests.support.run_context import hermetic_git

    return hermetic_git(tmp_path, monkeypatch)


@pytest.fixture
def github_emulator(world_root, hermetic_git_env, monkeypatch, request):
    """A running emulator serving a fresh copy of the default world.

    The CA variables (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE,
    GIT_SSL_CAINFO) point at its CA for the duration of the test. At its teardown the REST and
    GraphQL exchanges it served are checked against GitHub's published descriptions
    (tests/contract/check.py): a violation that tests/contract/known_violations.py does not list
    fails the test (a test that sends GitHub what it does not document on purpose is marked
    `contract_exempt`)."""
    started = time.monotonic()
    emulator = start(world_root)
    emulator.start_seconds = time.monotonic() - started
    for key, value in emulator.env().items():
        monkeypatch.setenv(key, value)
    try:
        yield emulator
    finally:
        emulator.stop()
    from tests.contract.check import assert_contract

    assert_contract(emulator, request.node)


@pytest.fixture(scope="session")
def gitim_installed(tmp_path_factory):
    """gitim must be importable: the real one where installed, else the stand-in.

    `tests/run.sh` pip-installs tests/support/gitim_standin; when it is missing this installs
    it from a copy (so that no build/ folder is left in the source tree)."""
    import importlib.util
    import shutil
    import subprocess
    import sys

    if importlib.util.find_spec("gitim") is None:
        copy = tmp_path_factory.mktemp("gitim-standin") / "src"
        shutil.copytree(Path(__file__).resolve().parent / "support" / "gitim_standin", copy)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", str(copy)], check=True)
        importlib.invalidate_caches()
    assert importlib.util.find_spec("gitim") is not None


@pytest.fixture
def attacker(github_emulator):
    """A hostile HTTPS server on loopback whose certificate the clients trust
    (tests/support/attacker_server.py)."""
    from tests.support.attacker_server import start_attacker

    server = start_attacker(github_emulator.ca)
    yield server
    server.stop()


@pytest.fixture
def system_trust_only(github_emulator, monkeypatch):
    """The emulator running, but the environment trusting only the system's store
    (tests/support/ca.py)."""
    from tests.support.ca import trust_only_the_system

    trust_only_the_system(monkeypatch)
    return github_emulator


@pytest.fixture
def backup_env(github_emulator, tmp_path):
    """The configuration of a run against the emulator (the org name in the wrong case on purpose:
    github-backup 0.40.0 backs up nothing for a wrongly cased name; the wrapper asks GitHub)."""
    from orgbackup.tools import process
    from tests.support.cli import ORG, PASSWORD

    process.reset_stop()
    env = {
        "GITHUB_ORGS": ORG.lower(),
        "GITHUB_TOKEN_FILE": str(github_emulator.admin_token_file),
        "GITHUB_HOST": github_emulator.host,
        "RESTIC_REPOSITORY": str(tmp_path / "restic-repo"),
        "RESTIC_PASSWORD": PASSWORD,
        "BACKUP_CACHE_DIR": str(tmp_path / "cache"),
        "BACKUP_CONCURRENCY": "4",
        "BACKUP_ENV_FILE": str(tmp_path / "none.env"),
    }
    (tmp_path / "none.env").write_text("# empty\n")
    return env
