"""The errors that rise to `main`, and the exit status each one means.

Every stage raises one of these; only `cli.main` turns them into an exit status,
so the table below is the whole contract (documented in the README).
"""

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2
EXIT_INCOMPLETE = 3


class BackupError(Exception):
    """A failure that ends the run: one line for the user, and an exit status."""

    exit_status = EXIT_FAILURE


class ConfigError(BackupError):
    """Bad or missing configuration; nothing has been touched yet."""

    exit_status = EXIT_CONFIG


class PreflightError(BackupError):
    """GitHub, the restic repository or the cache is not usable; nothing was written."""


class LockedError(BackupError):
    """Another run holds the cache."""


class CommandFailed(BackupError):
    """An external program failed where the run cannot go on without it."""

    def __init__(self, message, *, returncode=None, stderr=""):
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


class SecretLeak(BackupError):
    """A file in the tree still holds the token: the snapshot is not taken."""


EXIT_INTERRUPTED = 130


class Interrupted(Exception):
    """SIGTERM or Ctrl-C: tools ended, lock released, nothing marked complete.

    Not a BackupError on purpose: no stage may take it for one organization's
    failure and go on with the next."""

    exit_status = EXIT_INTERRUPTED
