"""GitHub out of reach for a whole run: a process in an empty network namespace (`unshare --net`),
where even the name server cannot be asked, names the cause (the name did not resolve) at once,
prints a progress line per retry and the run's one error line (the causes one by one:
tests/unit/github/test_api.py; a refused connection: tests/integration/github/test_api.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.support.paths import ROOT


def no_network_command() -> tuple[str, ...]:
    """A process in an empty network namespace, or skip where none can be made."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    prefix = ("unshare", "--net") if os.geteuid() == 0 else ("unshare", "--user", "--map-root-user", "--net")
    if subprocess.run(prefix + ("true",), capture_output=True).returncode != 0:
        pytest.skip("no network namespace can be made here")
    return prefix


def test_backup_without_any_network_names_the_cause_within_seconds(tmp_path):
    """`entrypoint.py backup` where nothing can be reached (the issue's 'no route to GitHub'):
    the first line names the cause at once, one line per retry, one error line, exit 1."""
    prefix = no_network_command()
    (tmp_path / "token").write_text("ghp_" + "0" * 36 + "\n")
    (tmp_path / "none.env").write_text("# empty\n")
    env = dict(os.environ, GITHUB_ORGS="V-Sekai", GITHUB_TOKEN_FILE=str(tmp_path / "token"),
               RESTIC_REPOSITORY=str(tmp_path / "repo"), RESTIC_PASSWORD="pw-" + os.urandom(6).hex(),
               BACKUP_CACHE_DIR=str(tmp_path / "cache"), BACKUP_ENV_FILE=str(tmp_path / "none.env"),
               HOME=str(tmp_path))
    env.pop("GITHUB_HOST", None)
    started = time.monotonic()
    proc = subprocess.Popen(prefix + (sys.executable, str(ROOT / "entrypoint.py"), "backup"), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stderr.readline()
    first_seconds = time.monotonic() - started
    rest, _ = proc.stderr.read(), proc.wait(timeout=120)
    out = proc.stdout.read()
    lines = (first + rest).splitlines()
    assert proc.returncode == 1, first + rest
    cause = "the name api.github.com did not resolve (Temporary failure in name resolution)"
    assert cause in first and "attempt 2 of 5" in first, first
    assert first_seconds < 10
    retries = [line for line in lines if " WARNING " in line]
    errors = [line for line in lines if " ERROR " in line]
    assert len(retries) == 4 and all(cause in line for line in retries), lines
    assert len(errors) == 1 and errors[0].endswith(f"{cause} (after 5 attempts)"), lines
    assert "Traceback" not in first + rest
    assert out.strip()  # the summary and the JSON line (a rejected run reports too)
