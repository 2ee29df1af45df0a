"""The real restic (orgbackup/tools/restic.py), with each restic the tests run: a repository
created then opened, a wrong password named and the repository untouched, restic alone getting
the backend variables, another process's lock waited for (restic 0.14 by running again, 0.16+ by
--retry-lock) and then named."""

from __future__ import annotations

import subprocess

import pytest

from orgbackup.config.readers import Secret
from orgbackup.config.secret_files import remove_secret_files, SecretFiles, write_secret_files
from orgbackup.errors import PreflightError
from orgbackup.tools import restic, restic_output


class FakeConfig:
    """Only what write_secret_files reads."""

    def __init__(self, repository, password):
        self.token = Secret("unused-token")
        self.restic_repository = Secret(repository)
        self.restic_password = Secret(password)
        self.restic_backend = {}
        self.github_host, self.orgs = "github.com", ("example-org",)


@pytest.fixture
def files_for(restic_binary, tmp_path):
    made: list[SecretFiles] = []

    def make(password="right-password"):
        files = write_secret_files(FakeConfig(str(tmp_path / "repo"), password), parent=str(tmp_path))
        made.append(files)
        return files

    yield make
    for files in made:
        remove_secret_files(files)


def test_repository_is_created_then_opened(files_for):
    files = files_for()
    assert restic.ensure_repository(files) is True
    assert restic.ensure_repository(files) is False


def test_wrong_password_is_named_and_repository_untouched(files_for, tmp_path):
    restic.ensure_repository(files_for())
    before = sorted(p.name for p in (tmp_path / "repo" / "keys").iterdir())
    with pytest.raises(PreflightError, match="password is wrong"):
        restic.ensure_repository(files_for("not-the-password"))
    assert sorted(p.name for p in (tmp_path / "repo" / "keys").iterdir()) == before


def test_restic_alone_gets_the_backend_variables(files_for, monkeypatch):
    from dataclasses import replace

    from orgbackup.tools import process
    from orgbackup.config.settings import is_restic_backend_variable
    from orgbackup.config.readers import SecretEnvironment

    for name in ("AWS_SECRET_ACCESS_KEY", "B2_ACCOUNT_KEY", "AZURE_ACCOUNT_SAS", "GOOGLE_APPLICATION_CREDENTIALS",
                 "OS_PASSWORD", "ST_KEY", "RCLONE_CONFIG", "RESTIC_CACHE_DIR"):
        assert is_restic_backend_variable(name), name
    for name in ("PATH", "HOME", "GIT_ASKPASS", "STATE", "GITHUB_TOKEN_FILE", "SSL_CERT_FILE"):
        assert not is_restic_backend_variable(name), name
    files = replace(files_for(), restic_backend=SecretEnvironment({"AWS_ACCESS_KEY_ID": "id-from-dotenv"}))
    env = restic.restic_environment(files)
    assert env["AWS_ACCESS_KEY_ID"] == "id-from-dotenv"
    assert env["RESTIC_PASSWORD_FILE"] == str(files.restic_password_file)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "in-the-process-environment")
    assert "AWS_SECRET_ACCESS_KEY" not in process.child_environment()
    assert process.child_environment(env)["AWS_ACCESS_KEY_ID"] == "id-from-dotenv"


def test_a_locked_repository_is_waited_for(local_repository, tmp_path, monkeypatch):
    """restic's `forget` fails at once on another process's lock; run_restic waits until the
    lock is gone (here: a `restic backup --stdin` that holds its lock until its input ends):
    restic 0.14 by running it again, 0.16+ by --retry-lock; both give up after
    LOCK_WAIT_SECONDS with the same line."""
    import threading
    import time

    context, env = local_repository
    ctx = context()
    holder = subprocess.Popen(["restic", "backup", "--stdin", "--host", "other", "--tag", "x"], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not list((tmp_path / "repo" / "locks").iterdir()):
            assert time.monotonic() < deadline, "restic backup took no lock"
            time.sleep(0.1)
        first = subprocess.run(restic.forget_snapshots(["0" * 8]), env=env, capture_output=True, text=True)
        assert restic_output.is_locked(first), first.stderr  # what restic does alone
        threading.Timer(3.0, lambda: holder.stdin.close()).start()
        started = time.monotonic()
        snaps = restic.list_snapshots(ctx.files)
        assert snaps == []  # `snapshots --no-lock` never waits
        result = restic.run_restic(ctx.files, ("restic", "forget", "--json", "--tag", "nothing", "--keep-last", "1"))
        assert result.ok and time.monotonic() - started >= 2.5
    finally:
        if not holder.stdin.closed:
            holder.stdin.close()
        holder.wait(timeout=60)
    monkeypatch.setattr(restic, "LOCK_WAIT_SECONDS", 0.5)
    holder = subprocess.Popen(["restic", "backup", "--stdin", "--host", "other"], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while not list((tmp_path / "repo" / "locks").iterdir()):
            time.sleep(0.1)
        with pytest.raises(restic_output.ResticError) as caught:  # waited long enough: the lock is the failure
            restic.run_restic(ctx.files, ("restic", "forget", "--json", "--tag", "nothing", "--keep-last", "1"))
        assert restic.is_lock_failure(caught.value)
        assert str(caught.value).startswith("restic forget: the repository is locked by another process (")
        assert "already locked by" in str(caught.value)
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
