"""The one place that starts external programs (git, git-lfs, restic, github-backup, gitim).

Commands arrive as argument tuples built by small pure functions elsewhere; they
run without a shell and never carry a secret in their arguments (secrets travel in files or the environment).  Any
registered secret value is masked in everything this module logs or raises.

Two limits: `timeout=` (wall clock) for short local commands, and `idle_timeout=`
for long network work (clones, fetches, Git LFS, github-backup, gitim): the program is
ended only when it shows no progress for that long, never for being slow.  Progress is
at least one byte a second on average (git's own low-speed rule): printed, or read or
written by any process of its group; a server that trickles a byte now and then, or a
program that only waits, is ended.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from orgbackup.errors import CommandFailed

log = logging.getLogger(__name__)

# Variables that hold secret values themselves: never handed to a child process.
# (Their *_FILE forms are, since a file path is not a secret.)
SECRET_VARIABLES = ("GITHUB_TOKEN", "GITHUB_APP_PRIVATE_KEY", "RESTIC_PASSWORD", "RESTIC_REPOSITORY")

_secrets: set[str] = set()
_withheld: list[Callable[[str], bool]] = []  # withhold(): variables no child gets unless given in `extra`
_run_environment: dict[str, str] = {}  # set_run_environment: for every child of the run
_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()
_stopping = threading.Event()
IDLE_POLL_SECONDS = 2.0  # how often the watchdog looks for progress (at most)
PROGRESS_BYTES_PER_SECOND = 1  # less than this, over the idle budget, is no progress
GIVE_UP_POLL_SECONDS = 0.5  # how often a program's output is read for `give_up`


def register_secret(value: str) -> None:
    """Mask this value wherever output is logged or raised from now on."""
    # Short values would mask ordinary words in output that code reads back.
    if value and len(value) >= 8:
        _secrets.add(value)


def withhold(is_withheld: Callable[[str], bool]) -> None:
    """From now on no child gets the variables `is_withheld` names, unless a call gives them in
    its `env` (restic's backend variables: only restic needs cloud credentials)."""
    if is_withheld not in _withheld:
        _withheld.append(is_withheld)


def mask(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, "***")
    return text


def set_run_environment(values: Mapping[str, str]) -> None:
    """Variables every child of this run gets (e.g. the CA bundle's SSL_CERT_FILE,
    GIT_SSL_CAINFO), over our own environment; `extra` of a call still wins."""
    _run_environment.clear()
    _run_environment.update(values)


def clear_run_environment() -> None:
    _run_environment.clear()


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a child sees: ours without secret values and without restic's
    backend variables (AWS_*, B2_*, RESTIC_*, ...: git and the tools never need cloud
    credentials; restic gets them from the configuration in `extra`), plus the run's
    environment (set_run_environment), plus `extra`."""
    env = {
        k: v for k, v in os.environ.items()
        if k not in SECRET_VARIABLES and not any(rule(k) for rule in _withheld)
    }
    env.update(_run_environment)
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
    idle_timeout: float | None = None,
    check: bool = True,
    input: str | None = None,
    stdout_path: str | os.PathLike | None = None,
    give_up: Callable[[str], bool] | None = None,
) -> Completed:
    """Run one program to completion and return what it printed.

    `env` is added on top of `child_environment()`.  With `check`, a non-zero
    exit raises CommandFailed naming the program and the last line it printed.
    `stdout_path` sends standard output to a file instead of memory (for tools
    that print a lot, like github-backup).  `timeout` ends the program after that
    many seconds; `idle_timeout` after that many seconds without progress;
    `give_up(stderr so far)` returning True ends it at once (a tool retrying for
    minutes what cannot succeed): it returns with what it printed and the status
    it exited with once ended.
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
        data = input.encode() if input is not None else None
        try:
            if idle_timeout is None and give_up is None:
                stdout, stderr = proc.communicate(data, timeout=timeout)
            else:
                stdout, stderr = _communicate_watched(proc, data, idle_timeout, timeout, stdout_path, give_up)
        except _NoProgress:
            raise CommandFailed(
                f"{argv[0]} made no progress for {idle_timeout:.0f} s (printed and transferred less than "
                f"{PROGRESS_BYTES_PER_SECOND} byte a second) and was ended: {describe(argv)}"
            ) from None
        except subprocess.TimeoutExpired:
            _end(proc)
            if idle_timeout is None and give_up is None:
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


class _NoProgress(Exception):
    pass


def _communicate_watched(proc, data, idle_timeout, timeout, stdout_path, give_up=None):
    """communicate(), ending the program when it shows no progress for `idle_timeout` s
    (None: never for that), or when `give_up` says so of its standard error so far.

    Progress is PROGRESS_BYTES_PER_SECOND x `idle_timeout` bytes since the last progress:
    output (the pipes, or `stdout_path` growing) plus the bytes every process of the
    program's group read or wrote (a git clone inside github-backup prints nothing while
    it downloads).  Threads drain the pipes; the loop only wakes every few seconds.
    """
    printed = [0]
    outputs = {}
    threads = []

    def drain(pipe, chunks):
        with pipe:
            for chunk in iter(lambda: pipe.read1(65536), b""):
                chunks.append(chunk)
                printed[0] += len(chunk)

    for name, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        if pipe is not None:
            outputs[name] = []
            threads.append(threading.Thread(target=drain, args=(pipe, outputs[name]), daemon=True))
    if proc.stdin is not None:
        threads.append(threading.Thread(target=_feed, args=(proc.stdin, data or b""), daemon=True))
    for thread in threads:
        thread.start()
    started = last_progress = time.monotonic()
    poll = min(IDLE_POLL_SECONDS, idle_timeout / 4) if idle_timeout is not None else GIVE_UP_POLL_SECONDS
    enough = max(1, int(PROGRESS_BYTES_PER_SECOND * (idle_timeout or 0)))
    at_progress = None  # the byte count at the last progress
    try:
        while True:
            try:
                proc.wait(timeout=poll)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if give_up is not None and give_up(b"".join(outputs.get("stderr", [])).decode("utf-8", "replace")):
                _end(proc)
                break
            if idle_timeout is not None:
                moved = printed[0] + (_file_size(stdout_path) or 0) + (group_io_bytes(proc.pid) or 0)
                if at_progress is None or moved - at_progress >= enough:
                    last_progress, at_progress = now, moved
                if now - last_progress > idle_timeout:
                    _end(proc)
                    raise _NoProgress()
            if timeout is not None and now - started > timeout:
                _end(proc)
                raise subprocess.TimeoutExpired(proc.args, timeout)
    finally:
        for thread in threads:
            thread.join(10)
    return (b"".join(outputs["stdout"]) if "stdout" in outputs else None,
            b"".join(outputs["stderr"]) if "stderr" in outputs else None)


def _feed(pipe, data: bytes) -> None:
    try:
        with pipe:
            pipe.write(data)
    except BrokenPipeError:
        pass


def _file_size(path) -> int | None:
    try:
        return os.stat(path).st_size if path else None
    except OSError:
        return None


def group_io_bytes(pgid: int) -> int | None:
    """Bytes read and written (sockets, pipes, files) by the processes of one process
    group, from /proc; None where /proc cannot tell (not Linux)."""
    total, found = 0, False
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
            # Field 5 is the process group; the command name (field 2) may hold spaces.
            if int(stat[stat.rindex(b")") + 2:].split()[2]) != pgid:
                continue
            with open(f"/proc/{entry}/io", "rb") as f:
                counters = dict(line.split(b":", 1) for line in f.read().splitlines() if b":" in line)
            total += int(counters[b"rchar"]) + int(counters[b"wchar"])
            found = True
        except (OSError, ValueError, KeyError, IndexError):
            continue  # ended meanwhile, or not ours to read
    return total if found else None


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


def wait_unless_stopped(seconds: float) -> bool:
    """Sleep for `seconds` unless a stop (SIGTERM) comes first; True when it was not stopped."""
    return not _stopping.wait(max(0.0, seconds))


def reset_stop() -> None:
    """Allow programs to start again (tests run several commands in one process)."""
    _stopping.clear()
