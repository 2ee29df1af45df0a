"""Storage backends that go away: servers on loopback stopped by their own pid, a run
whose snapshot stage finds its repository gone (tests/test_restic_rest.py and
tests/test_restic_s3.py), and a TCP relay standing for an S3 endpoint that disappears
while the store behind it (moto's server, which keeps its buckets in memory) stays."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from orgbackup.cli import main

RCLONE = shutil.which("rclone")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{proc.args[0]} did not listen on {port}: " + log.read_text()[-2000:])
            time.sleep(0.05)


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, sig)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


class RestServer:
    """`rclone serve restic` over a data folder, on a fixed loopback port: stopped and
    started again, it serves the same repository at the same address.  `append_only`:
    with `--append-only` (restic's rest-server mode: data and snapshots may be added, never
    deleted); `data`: another server's folder (two servers, two sets of credentials, one
    repository); `name` tells their logs apart."""

    def __init__(self, tmp_path: Path, *, append_only: bool = False, data: Path | None = None,
                 name: str = "rclone"):
        self.data = data or tmp_path / "rest-data"
        self.data.mkdir(exist_ok=True)
        self.port = free_port()
        self.append_only = append_only
        self.user = "backup-" + os.urandom(4).hex()
        self.password = "rest-" + os.urandom(12).hex()
        self.log = tmp_path / f"{name}.log"
        self.config = tmp_path / f"{name}.conf"
        self.config.write_text("")
        self.proc: subprocess.Popen | None = None

    @property
    def repository(self) -> str:
        return f"rest:http://{self.user}:{self.password}@127.0.0.1:{self.port}/"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RCLONE_")}
        env["RCLONE_CONFIG"] = str(self.config)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [RCLONE, "serve", "restic", "--addr", f"127.0.0.1:{self.port}",
                 "--user", self.user, "--pass", self.password, str(self.data)]
                + (["--append-only"] if self.append_only else []),
                env=env, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.proc, self.log)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            stop_process(self.proc, sig)


class StopAtSnapshotStage(logging.Handler):
    """Calls `action` once, when the run logs that its snapshot stage starts `restic
    backup` (orgbackup/backup/stages/snapshot.py): the earlier stages have used the repository,
    restic backup finds it gone. Killing the server within restic's own requests would
    make restic retry for minutes (0.14: about 95 s, measured), restic's behaviour, not
    the product's."""

    def __init__(self, action, words: str = ": restic backup ("):
        super().__init__()
        self.action = action
        self.words = words
        self.fired = False

    def emit(self, record):
        if not self.fired and self.words in record.getMessage():
            self.fired = True
            self.action()


def run_cli(env: dict, capsys) -> tuple[int, str, str]:
    status = main(["backup"], environ=env)
    captured = capsys.readouterr()
    print(captured.out)
    print(captured.err)
    return status, captured.out, captured.err


def run_prune(env: dict, capsys) -> tuple[int, str, str]:
    """`entrypoint.py prune` (the prune job of BACKUP_RETENTION=separate): exit status, stdout, stderr."""
    status = main(["prune"], environ=env)
    captured = capsys.readouterr()
    print(captured.out, captured.err)
    return status, captured.out, captured.err


def run_stopping_backend(env: dict, capsys, stop, *, stage: str = "orgbackup.backup.stages.snapshot",
                         words: str = ": restic backup (") -> tuple[int, str, str]:
    """The run, `stop` called when `stage`'s logger says `words` (default: the snapshot stage's
    `restic backup`; the second copy's: `orgbackup.backup.stages.second_copy`, ": restic copy of")."""
    handler = StopAtSnapshotStage(stop, words)
    logger = logging.getLogger(stage)
    logger.addHandler(handler)
    try:
        result = run_cli(env, capsys)
    finally:
        logger.removeHandler(handler)
    assert handler.fired, f"the run never logged {words!r}"
    return result


def assert_one_clear_failure(status: int, out: str, err: str, secrets: list[str]) -> str:
    """Exit 1; the summary names restic backup and an unreachable repository; no secret shows."""
    assert status == 1, out + err
    text = json.dumps(json.loads(out.strip().splitlines()[-1]))
    assert "restic backup: the repository cannot be reached" in text, text
    for secret in secrets:
        assert secret not in out and secret not in err
    return text


def restic_call(restic_env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["restic", *args], env=restic_env, check=check, capture_output=True, text=True,
                          timeout=300)


def snapshot_trees(restic_env: dict) -> dict[str, str]:
    listed = json.loads(restic_call(restic_env, "snapshots", "--json", "--no-lock").stdout or "[]")
    return {s["id"]: s["tree"] for s in listed}


def restore_latest(restic_env: dict, target: Path, org: str) -> Path:
    restic_call(restic_env, "restore", "latest", "--target", str(target), "--no-lock")
    return target / org


# The relay, run as its own process: accepted connections are piped both ways to the
# target; a connection the target refuses is closed. Killed by its pid, nothing listens
# on its port any more, so a client is refused at once (no timeout to wait for).
RELAY = r"""
import socket, sys, threading
listen, target = int(sys.argv[1]), int(sys.argv[2])

def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

def serve(client):
    try:
        upstream = socket.create_connection(("127.0.0.1", target), timeout=10)
        upstream.settimeout(None)
    except OSError:
        client.close()
        return
    threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
    pipe(client, upstream)

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen))
server.listen(64)
while True:
    client, _ = server.accept()
    threading.Thread(target=serve, args=(client,), daemon=True).start()
"""


class Relay:
    """A TCP relay on a fixed loopback port to `target_port`: the endpoint restic sees.
    Stopped (by its pid) and started again on the same port, while the store behind it
    keeps running."""

    def __init__(self, target_port: int, log: Path):
        self.port = free_port()
        self.target_port = target_port
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-c", RELAY, str(self.port), str(self.target_port)],
                                         stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.proc, self.log)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            stop_process(self.proc, sig)
