"""restic's failures are one readable line for every command (snapshots, status, verify, restore),
with each restic: 0.14's text and 0.18's JSON errors and exit codes give the same line."""

from __future__ import annotations

import os
import subprocess

import pytest


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    from orgbackup.tools import process

    process.reset_stop()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "none.env").write_text("# empty\n")
    return {"RESTIC_REPOSITORY": str(tmp_path / "repo"), "RESTIC_PASSWORD": "right-" + os.urandom(6).hex(),
            "BACKUP_ENV_FILE": str(tmp_path / "none.env")}


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "message_type" not in err and "{" not in err and "Traceback" not in err, err
    return lines[0].split(" ERROR   ", 1)[1]


def test_restic_failures_are_one_readable_line_with_each_restic(restic_binary, cli_env, tmp_path, capsys):
    """The same line whether restic is 0.14 (text) or 0.18 (JSON errors, exit codes 10 and 12)."""
    import time

    from orgbackup.cli import main
    from tests.support.backends import free_port

    repository = cli_env["RESTIC_REPOSITORY"]
    for command in (["snapshots"], ["status"], ["verify"], ["restore", "--target", str(tmp_path / "t")]):
        assert main(command, environ=cli_env) == 1, command
        assert one_error_line(capsys) == f"restic snapshots: the repository does not exist ({repository})", command

    subprocess.run(["restic", "init"], env=dict(os.environ, **cli_env), check=True, capture_output=True)
    for command in (["snapshots"], ["status"], ["verify"]):
        assert main(command, environ=dict(cli_env, RESTIC_PASSWORD="not-the-password")) == 1
        assert one_error_line(capsys) == "restic snapshots: the password is wrong (Fatal: wrong password or no key found)"

    # A REST server that is not there: 0.14 gives up at once, 0.18 would retry for 15 minutes.
    port = free_port()
    started = time.monotonic()
    assert main(["snapshots"], environ=dict(cli_env, RESTIC_REPOSITORY=f"rest:http://127.0.0.1:{port}/")) == 1
    line = one_error_line(capsys)
    assert line.startswith("restic snapshots: the repository cannot be reached, its REST server did not answer: ")
    assert line.endswith(f"dial tcp 127.0.0.1:{port}: connect: connection refused"), line
    assert time.monotonic() - started < 30
