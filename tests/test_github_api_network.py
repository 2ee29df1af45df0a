"""GitHub out of reach: the cause named (the name did not resolve, the connection refused,
no route, TLS, a timeout), a progress line per retry, and the run's one error line.

Nothing here leaves the machine: a refused connection is a free loopback port; "no network
at all" is a process in an empty network namespace (`unshare --net`), where even the name
server cannot be asked."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import urllib3

from orgbackup.github.api import GitHubAPI, GitHubError, network_cause
from tests.helpers_backends import free_port

ROOT = Path(__file__).resolve().parent.parent


def wrapped(reason: BaseException, outer=requests.exceptions.ConnectionError) -> requests.RequestException:
    """The chain requests raises: its exception <- urllib3's MaxRetryError <- the socket's."""
    pool = urllib3.HTTPSConnectionPool("github.example", 443)
    return outer(urllib3.exceptions.MaxRetryError(pool, "/user", reason=reason))


def test_each_cause_is_named_by_host_and_port_never_the_url():
    url = "https://github.example/api/v3/user?sig=secret"
    gai = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    resolving = urllib3.exceptions.NameResolutionError("github.example", None, gai)
    resolving.__context__ = gai
    assert network_cause(url, wrapped(resolving)) == (
        "the name github.example did not resolve (Name or service not known)")
    refused = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection")
    refused.__context__ = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    assert network_cause(url, wrapped(refused)) == "github.example:443 refused the connection (nothing listens there)"
    unreachable = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection")
    unreachable.__context__ = OSError(errno.ENETUNREACH, "Network is unreachable")
    assert network_cause(url, wrapped(unreachable)) == "no route to github.example:443 (Network is unreachable)"
    assert network_cause(url, requests.exceptions.ConnectTimeout("x")) == (
        "github.example:443 did not accept a connection within 10 s")
    assert network_cause(url, requests.exceptions.ReadTimeout("x")) == (
        "github.example:443 accepted the connection but did not answer in time")
    tls = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000)")
    assert network_cause(url, wrapped(tls, requests.exceptions.SSLError)) == (
        "TLS with github.example:443 failed ([SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000))")
    reset = urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
    assert network_cause(url, requests.exceptions.ConnectionError(reset)) == (
        "github.example:443 closed the connection (ConnectionResetError)")
    other = requests.exceptions.ChunkedEncodingError(f"broken at {url}")
    assert network_cause(url, other) == "ChunkedEncodingError"
    for cause in (network_cause(url, wrapped(refused)), network_cause(url, other)):
        assert "sig=" not in cause and "/api/v3" not in cause


def test_a_refused_connection_is_named_at_once_with_a_line_per_retry(caplog):
    port = free_port()  # nothing listens there
    api = GitHubAPI(f"https://127.0.0.1:{port}/api/v3", "unused-token", attempts=3)
    started = time.monotonic()
    with caplog.at_level("WARNING", logger="orgbackup.github.api"), pytest.raises(GitHubError) as caught:
        api.get("/user")
    seconds = time.monotonic() - started
    assert str(caught.value) == (f"GitHub did not answer https://127.0.0.1:{port}/api/v3/user: 127.0.0.1:{port} "
                                 f"refused the connection (nothing listens there) (after 3 attempts)")
    retries = [r.getMessage() for r in caplog.records]
    assert retries == [f"GitHub did not answer https://127.0.0.1:{port}/api/v3/user: 127.0.0.1:{port} refused the "
                       f"connection (nothing listens there); attempt {n} of 3 in {delay} s"
                       for n, delay in ((2, 1), (3, 2))]
    assert seconds < 3 + 2  # the backoff (1 + 2 s) and little else


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
