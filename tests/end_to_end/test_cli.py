"""The command line itself: each command's help (its purpose, the variables it needs, its exit
statuses), -v before or after the command, and bad arguments refused with exit 2 before
anything runs (the real entry point, `python entrypoint.py`, as a program; the parser alone:
tests/unit/test_cli.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from orgbackup.cli import EXAMPLE_ENV, SUBCOMMANDS, build_parser
from tests.support.paths import ROOT


@pytest.fixture
def entrypoint(tmp_path):
    """entrypoint.py as a program, with only `env` configured (no other variable, an empty
    dotenv file)."""
    empty = tmp_path / "empty.env"
    empty.write_text("# nothing\n")

    def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        environ = {k: v for k, v in os.environ.items()
                   if not k.startswith(("GITHUB_", "RESTIC_", "BACKUP_", "RESTORE_"))}
        environ.update(env or {}, BACKUP_ENV_FILE=str(empty))
        return subprocess.run([sys.executable, str(ROOT / "entrypoint.py"), *args], capture_output=True, text=True,
                              env=environ, cwd=ROOT, timeout=60)

    return run


@pytest.mark.parametrize("command", list(SUBCOMMANDS))
def test_each_commands_help_says_what_it_does_needs_and_exits_with(entrypoint, command):
    result = entrypoint(command, "--help")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    summary, description, _ = SUBCOMMANDS[command]
    assert out.startswith(f"usage: entrypoint.py {command} ")
    assert " ".join(description.split()[:6]) in " ".join(out.split())
    assert "required variables" in out and "RESTIC_PASSWORD or RESTIC_PASSWORD_FILE" in out
    assert f"every variable, its default and meaning: {EXAMPLE_ENV}" in out
    assert "exit statuses:" in out and "\n  0 " in out and "\n  130 " in out and "\n  2 " in out
    assert "--verbose, -v" in out
    # The list of commands shows the summary line.
    assert " ".join(summary.split()[:4]) in " ".join(entrypoint("--help").stdout.split())


def test_backup_help_lists_the_variables_it_needs_and_where_all_are(entrypoint):
    out = entrypoint("backup", "--help").stdout
    for name in ("GITHUB_ORGS", "GITHUB_TOKEN or GITHUB_TOKEN_FILE", "GITHUB_APP_ID",
                 "RESTIC_REPOSITORY or RESTIC_REPOSITORY_FILE", "RESTIC_PASSWORD or RESTIC_PASSWORD_FILE"):
        assert name in out, name
    assert "\n  3    a snapshot was taken but something is missing" in out
    assert (ROOT / "config" / "backup.env.example").is_file()


@pytest.mark.parametrize("args", [("backup", "-v"), ("-v", "backup"), ("backup", "--verbose"), ("-v",)])
def test_verbose_before_or_after_the_command(entrypoint, args):
    """Accepted in both places: the run gets as far as its configuration (GITHUB_ORGS)."""
    result = entrypoint(*args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith("GITHUB_ORGS or GITHUB_USERS is required: "
                                                            "organizations and personal accounts, comma-separated"), result.stderr
    assert "unrecognized arguments" not in result.stderr
    assert build_parser().parse_args(list(args)).verbose is True
    assert build_parser().parse_args(["backup"]).verbose is False


@pytest.mark.parametrize("args, words", [
    (("verify", "--read-data-subset", "bogus"), "argument --read-data-subset: 'bogus' is not n%, n/t or a size (5%, 1/7, 500M)"),
    (("verify", "--read-data-subset", "12"), None),
    (("status", "--max-age", "-1"), "argument --max-age: '-1': hours cannot be negative"),
    (("status", "--max-age", "soon"), "argument --max-age: 'soon' is not a number of hours"),
])
def test_bad_arguments_exit_2_before_anything_runs(entrypoint, args, words, tmp_path):
    """Refused before the configuration is even read: a repository that does not exist and
    a dead man's switch that nothing listens on are never touched."""
    env = {"RESTIC_REPOSITORY": str(tmp_path / "repo"), "RESTIC_PASSWORD": "unused-password",
           "BACKUP_HEALTHCHECK_URL": "http://127.0.0.1:9/ping"}
    started = time.monotonic()
    result = entrypoint(*args, env=env)
    if words is None:  # a good value: the command runs (and fails on the missing repository)
        assert result.returncode == 1 and "repository does not exist" in result.stderr, result.stderr
        return
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"entrypoint.py {args[0]}: error: {words}"
    assert not (tmp_path / "repo").exists()
    assert "restic" not in result.stderr and "healthcheck" not in result.stderr.lower()
    assert time.monotonic() - started < 20
