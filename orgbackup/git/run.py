"""The one way the package runs git (and git-lfs): `run_git`.

A local git (reading or writing a clone on disk) gets a wall-clock `timeout`; a git that talks
to a server (`stall` seconds given) gets none, and is ended only when it makes no progress for
`stall` seconds (orgbackup/tools/process.py's watchdog; git's own low-speed limit in its
environment does the same for git's transfers). A git that talks to a server and fails in a way
that another try may mend (HTTP 5xx, a connection reset, "early EOF": orgbackup/git/transient.py)
is run again, up to TRIES times, after the one retry schedule's waits (orgbackup/backoff.py), a
line logged per retry; a refusal (4xx, a credential) never is. Which environment it runs in is
the caller's choice, built in orgbackup/git/argv.py: `git_environment` (the token for GitHub's
organizations only), `anonymous_git_environment` (another host), `restored_git_environment`
(a restored tree, never the network).
"""

from __future__ import annotations

import logging
from typing import Mapping, Sequence

from orgbackup import backoff
from orgbackup.errors import BackupError, CommandFailed
from orgbackup.git.argv import failure_reason
from orgbackup.git.transient import transient, transient_line
from orgbackup.tools import process
from orgbackup.tools.process import Completed

log = logging.getLogger(__name__)

LOCAL_TIMEOUT = 600  # seconds: a local git that takes longer is stuck
TRIES = 4  # a network git's tries when its failures are transient: waits of about 1, 2 and 4 s


def run_git(argv: Sequence[str], *, env: Mapping[str, str] | None = None, stall: int | None = None,
            timeout: float | None = LOCAL_TIMEOUT, input: str | None = None, check: bool = True,
            stdout_path: str | None = None, tries: int = TRIES) -> Completed:
    """Run one git command (a network one, `stall` given, up to `tries` times while it fails
    transiently). `check=True`: a non-zero exit raises CommandFailed. `check=False`:
    never raises; a git that did not run to its end (did not start, timed out, ended without
    progress, the run stopping) returns exit status -1 with the reason as its standard error,
    so that nothing is concluded, or deleted, from a git that was stopped (`unfinished`)."""
    tries = tries if stall is not None else 1  # a local git's failure is the disk's, not the network's
    for attempt in range(1, tries + 1):
        result = _run_once(argv, env=env, stall=stall, timeout=timeout, input=input, stdout_path=stdout_path)
        if result.ok or unfinished(result) or attempt == tries or not transient(result.stderr):
            break
        wait = backoff.delay(attempt, jitter=True)
        log.warning("%s failed (%s); trying again in %.0f s (try %d of %d)", process.describe(argv),
                    transient_line(result.stderr) or failure_reason(result.stderr), wait, attempt + 1, tries)
        if not process.wait_unless_stopped(wait):
            break
    if check and not result.ok:
        raise (CommandFailed(result.stderr, returncode=-1) if unfinished(result) else process.failure(result))
    return result


def _run_once(argv: Sequence[str], *, env: Mapping[str, str] | None, stall: int | None,
              timeout: float | None, input: str | None, stdout_path: str | None = None) -> Completed:
    try:
        return process.run(argv, env=env, input=input, idle_timeout=stall,
                           timeout=None if stall is not None else timeout, check=False,
                           stdout_path=stdout_path)
    except BackupError as exc:
        return Completed(tuple(str(a) for a in argv), -1, "", str(exc))


def unfinished(result: Completed) -> bool:
    """git did not run to its end: its failure says nothing about the repository."""
    return result.returncode < 0
