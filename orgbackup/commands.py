"""The one place that starts external programs (git, git-lfs, restic, github-backup, gitim).

Commands arrive as argument tuples built by small pure functions elsewhere; they
run without a shell, with a timeout where one makes sense, and never carry a
secret in their arguments (secrets travel in files or the environment).  Any
registered secret value is masked in everything this module logs or raises.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
from dataclasses import dataclass
from typing import Mapping, Sequence

from .config import is_restic_backend_variable
from .errors import CommandFailed

log = logging.getLogger(__name__)

# Variables that hold secret values themselves: never handed to a child process.
# (Their *_FILE forms are, since a file path is not a secret.)
SECRET_VARIABLES = ("GITHUB_TOKEN", "RESTIC_PASSWORD", "RESTIC_REPOSITORY")

_secrets: set[str] = set()
_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()
_stopping = threading.Event()


def register_secret(value: str) -> None:
    """Mask this value wherever output is logged or raised from now on."""
    # Short values would mask ordinary words in output that code reads back.
    if value and len(value) >= 8:
        _secrets.add(value)


def mask(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, "***")
    return text


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a child sees: ours without secret values and without restic's
    backend variables (AWS_*, B2_*, RESTIC_*, ...: git and the tools never need cloud
    credentials; restic gets them from the configuration in `extra`), plus `extra`."""
    env = {
        k: v for k, v in os.environ.items()
        if k not in SECRET_VARIABLES and not is_restic_backend_variable(k)
    }
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def describe(argv: Sequence[str]) -> str:
    return mask(" ".join(argv))


def run(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    check: bool = True,
    input: str | None = None,
    stdout_path: str | os.PathLike | None = None,
) -> Completed:
    """Run one program to completion and return what it printed.

    `env` is added on top of `child_environment()`.  With `check`, a non-zero
    exit raises CommandFailed naming the program and the last line it printed.
    `stdout_path` sends standard output to a file instead of memory (for tools
    that print a lot, like github-backup).
    """
    argv = tuple(str(a) for a in argv)
    if _stopping.is_set():
        raise CommandFailed(f"not starting {argv[0]}: the run is stopping")
    log.debug("run: %s", describe(argv))
    out_file = open(stdout_path, "ab") if stdout_path else None
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=child_environment(env),
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=out_file or subprocess.PIPE,
            stderr=subprocess.STDOUT if out_file else subprocess.PIPE,
            start_new_session=True,  # so a stop can end the tool and its children
        )
    except FileNotFoundError as exc:
        if out_file:
            out_file.close()
        raise CommandFailed(f"{argv[0]} is not installed ({exc.strerror})") from None
    with _running_lock:
        _running.add(proc)
    try:
        try:
            stdout, stderr = proc.communicate(
                input.encode() if input is not None else None, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            _end(proc)
            proc.communicate()
            raise CommandFailed(f"{argv[0]} did not finish within {timeout:.0f} s: {describe(argv)}")
    finally:
        with _running_lock:
            _running.discard(proc)
        if out_file:
            out_file.close()
    result = Completed(
        argv,
        proc.returncode,
        mask((stdout or b"").decode("utf-8", "replace")),
        mask((stderr or b"").decode("utf-8", "replace")),
    )
    if check and not result.ok:
        raise failure(result)
    return result


def failure(result: Completed) -> CommandFailed:
    last = last_line(result.stderr) or last_line(result.stdout)
    return CommandFailed(
        f"{result.argv[0]} exited with {result.returncode}: {last or describe(result.argv)}",
        returncode=result.returncode,
        stderr=result.stderr,
    )


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _end(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def stop_all() -> None:
    """End every program still running (on SIGTERM) and refuse to start new ones."""
    _stopping.set()
    with _running_lock:
        procs = list(_running)
    for proc in procs:
        _end(proc)


def reset_stop() -> None:
    """Allow programs to start again (tests run several commands in one process)."""
    _stopping.clear()
