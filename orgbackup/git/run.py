"""The one way the package runs git (and git-lfs): `run_git`.

A local git (reading or writing a clone on disk) gets a wall-clock `timeout`; a git that talks
to a server (`stall` seconds given) gets none, and is ended only when it makes no progress for
`stall` seconds (orgbackup/tools/process.py's watchdog; git's own low-speed limit in its
environment does the same for git's transfers). Which environment it runs in is the caller's
choice, built in orgbackup/git/argv.py: `git_environment` (the token for GitHub's
organizations only), `anonymous_git_environment` (another host), `restored_git_environment`
(a restored tree, never the network).
"""

from __future__ import annotations

from typing import Mapping, Sequence

from orgbackup.errors import BackupError
from orgbackup.tools import process
from orgbackup.tools.process import Completed

LOCAL_TIMEOUT = 600  # seconds: a local git that takes longer is stuck


def run_git(argv: Sequence[str], *, env: Mapping[str, str] | None = None, stall: int | None = None,
            timeout: float | None = LOCAL_TIMEOUT, input: str | None = None, check: bool = True,
            stdout_path: str | None = None) -> Completed:
    """Run one git command. `check=True`: a non-zero exit raises CommandFailed. `check=False`:
    never raises; a git that did not run to its end (did not start, timed out, ended without
    progress, the run stopping) returns exit status -1 with the reason as its standard error,
    so that nothing is concluded, or deleted, from a git that was stopped (`unfinished`)."""
    try:
        return process.run(argv, env=env, input=input, idle_timeout=stall,
                           timeout=None if stall is not None else timeout, check=check,
                           stdout_path=stdout_path)
    except BackupError as exc:
        if check:
            raise
        return Completed(tuple(str(a) for a in argv), -1, "", str(exc))


def unfinished(result: Completed) -> bool:
    """git did not run to its end: its failure says nothing about the repository."""
    return result.returncode < 0
