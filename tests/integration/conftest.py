"""The integration tests' fixtures: git with an author for commits, a local restic repository
(tests/conftest.py has the shared ones)."""

from __future__ import annotations

import os
import subprocess

import pytest

from orgbackup.tools import restic


@pytest.fixture
def hermetic_git(hermetic_git_env, monkeypatch):
    """conftest's hermetic git (HOME in tmp, no system config), plus an author for commits."""
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "test@example.invalid")


@pytest.fixture
def local_repository(restic_binary, tmp_path, monkeypatch):
    """A real restic repository and a RunContext for it (no GitHub), with each restic."""
    from orgbackup.config.settings import Config, Retention
    from orgbackup.config.readers import Secret
    from orgbackup.backup.context import RunContext
    from orgbackup.config.secret_files import remove_secret_files, write_secret_files

    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def context(**overrides):
        values = dict(orgs=("A",), token=Secret("unused-token"), restic_repository=Secret(str(tmp_path / "repo")),
                      restic_password=Secret("shards-test-password"), cache_dir=tmp_path / "cache",
                      host_name="github-org-backup",
                      retention=Retention(daily=2, weekly=0, monthly=0, yearly=0, incomplete_days=0))
        values.update(overrides)
        config = Config(**values)
        folder = tmp_path / f"secrets-{len(made)}"
        folder.mkdir()
        files = write_secret_files(config, str(folder))
        made.append(files)
        return RunContext(config=config, files=files, api=None, started="")

    made: list = []
    ctx = context()
    env = dict(os.environ, **restic.restic_environment(ctx.files))
    subprocess.run(restic.init(), env=env, check=True, capture_output=True)
    (tmp_path / "cache" / "A").mkdir(parents=True)
    (tmp_path / "cache" / "A" / "manifest.json").write_text("{}")
    try:
        yield context, env
    finally:
        for files in made:
            remove_secret_files(files)
