"""restic: pure builders of its argument tuples, and running it (`run_restic`, one place; what
it prints is read in orgbackup/tools/restic_output.py).

The repository and the password reach restic through RESTIC_REPOSITORY_FILE and
RESTIC_PASSWORD_FILE (see `restic_environment`), never through arguments.  The
other RESTIC_*, AWS_*, B2_*, ... variables of the configuration (environment or
dotenv file) reach restic and no other program.
Works with restic 0.14 (Debian bookworm) and uses the exit codes of 0.17+ where
they exist.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Iterable

from orgbackup.config.secret_files import SecretFiles
from orgbackup.config.settings import Retention
from orgbackup.errors import PreflightError
from orgbackup.snapshots.shards import Shard
from orgbackup.tools import process
from orgbackup.tools.restic_output import (EXIT_MEANINGS, ResticError, Snapshot, explain, gives_up_opening, is_locked, is_missing_repository, is_wrong_password, parse_snapshots, parse_version, readable)

log = logging.getLogger(__name__)


def restic_environment(files: SecretFiles) -> dict[str, str]:
    """The backend's variables (Config.restic_backend), then the run's own files."""
    return {
        **files.restic_backend,
        "RESTIC_REPOSITORY_FILE": str(files.restic_repository_file),
        "RESTIC_PASSWORD_FILE": str(files.restic_password_file),
    }


def cat_config() -> tuple[str, ...]:
    return ("restic", "cat", "config", "--no-lock")


def init() -> tuple[str, ...]:
    return ("restic", "init")


def source_flags(source: SecretFiles) -> tuple[str, ...]:
    """The repository snapshots are copied from (restic 0.14+'s `--from-*`; files, never the secrets)."""
    return ("--from-repository-file", str(source.restic_repository_file),
            "--from-password-file", str(source.restic_password_file))


def init_copy(source: SecretFiles) -> tuple[str, ...]:
    """A new copy repository with the source's chunker parameters, so that what `restic copy`
    brings deduplicates there as it does in the source. Run against the copy (`copy_side`)."""
    return ("restic", "init", "--copy-chunker-params") + source_flags(source)


def copy(source: SecretFiles, snapshot_ids: Iterable[str]) -> tuple[str, ...]:
    """Snapshots of `source` into the repository the command runs against (the copy)."""
    return ("restic", "copy") + source_flags(source) + tuple(snapshot_ids)


def version() -> tuple[str, ...]:
    return ("restic", "version")


def backup(paths: Iterable[str], *, host: str, tags: Iterable[str], exclude_files: Iterable[str] = (),
           parent: str | None = None) -> tuple[str, ...]:
    """`parent`: the snapshot to compare with (restic picks the newest of the same host and
    paths, which for shards whose caches share a path would be another shard's)."""
    args = ("restic", "backup", "--json", "--host", host)
    if parent:
        args += ("--parent", parent)
    for tag in tags:
        args += ("--tag", tag)
    for path in exclude_files:
        args += ("--exclude", path)
    return args + tuple(paths)


def forget(retention: Retention, *, host: str, org: str, shard: Shard | None = None,
           keep_within: str | None = None) -> tuple[str, ...]:
    """The keep policy over one organization's complete snapshots (a comma in one
    --tag means AND), so an incomplete snapshot never takes a complete one's place.
    With a shard, over that shard's alone (`shard:i/N` in the same --tag): one
    shard's snapshots never count for, or forget, another's. `keep_within` (the prune
    job's floor, a restic duration): every snapshot within it of the group's newest stays.

    Without --prune: `prune` (the expensive part) runs only when a snapshot went."""
    tags = f"org:{org},complete" + (f",{shard.tag}" if shard else "")
    return (
        "restic", "forget", "--json",
        "--host", host, "--tag", tags, "--group-by", "host",
        "--keep-daily", str(retention.daily),
        "--keep-weekly", str(retention.weekly),
        "--keep-monthly", str(retention.monthly),
        "--keep-yearly", str(retention.yearly),
    ) + (("--keep-within", keep_within) if keep_within else ())


def forget_snapshots(snapshot_ids: Iterable[str]) -> tuple[str, ...]:
    return ("restic", "forget") + tuple(snapshot_ids)


def retag_incomplete(snapshot_id: str) -> tuple[str, ...]:
    """A snapshot taken as complete whose backup could not read everything.
    restic rewrites the snapshot: it gets a new id, `original` names the old one."""
    return ("restic", "tag", "--remove", "complete", "--add", "incomplete", snapshot_id)


def prune() -> tuple[str, ...]:
    return ("restic", "prune")


def snapshots(*, host: str | None = None, tags: Iterable[str] = ()) -> tuple[str, ...]:
    args = ("restic", "snapshots", "--json", "--no-lock")
    if host:
        args += ("--host", host)
    for tag in tags:
        args += ("--tag", tag)
    return args


def stats(snapshot_id: str) -> tuple[str, ...]:
    return ("restic", "stats", "--json", "--no-lock", "--mode", "restore-size", snapshot_id)


def restore(snapshot_id: str, target: Path, *, includes: Iterable[str] = ()) -> tuple[str, ...]:
    args = ("restic", "restore", snapshot_id, "--target", str(target), "--no-lock")
    for include in includes:
        args += ("--include", include)
    return args


def check(read_data_subset: str | None = None) -> tuple[str, ...]:
    # --retry-lock is added by run_restic where restic has it (0.16+).
    args = ("restic", "check")
    if read_data_subset:
        args += ("--read-data-subset", read_data_subset)
    return args


# Commands that take an exclusive or shared lock wait for it (restic 0.16+ has --retry-lock).
LOCKING_COMMANDS = ("backup", "forget", "tag", "check", "prune", "copy")


def with_retry_lock(argv: tuple[str, ...], version: tuple[int, ...]) -> tuple[str, ...]:
    """restic 0.16+ waits for a lock itself, as long as run_restic waits for 0.14's."""
    if len(argv) > 1 and argv[1] in LOCKING_COMMANDS and version >= (0, 16):
        return argv[:2] + ("--retry-lock", f"{max(1, math.ceil(LOCK_WAIT_SECONDS))}s") + argv[2:]
    return argv


_version: tuple[int, ...] | None = None


def installed_version() -> tuple[int, ...]:
    global _version
    if _version is None:
        _version = parse_version(process.run(version(), timeout=60).stdout)
    return _version


# restic before 0.16 has no --retry-lock: a locking command that finds the repository
# locked (another shard's backup holds a shared lock while this one forgets, or the
# other way round) is run again, for as long as 0.16+ waits with --retry-lock (with_retry_lock).
LOCK_WAIT_SECONDS = 300.0


def is_lock_failure(exc: ResticError) -> bool:
    """A ResticError because another process held the repository's lock (after waiting)."""
    return exc.returncode == 11 or EXIT_MEANINGS[11] in str(exc)


def run_restic(files: SecretFiles, argv: tuple[str, ...], *, cwd=None, timeout=None, ok_codes=(0,)) -> process.Completed:
    version = installed_version()
    argv = with_retry_lock(argv, version)
    retries_lock = version < (0, 16) and len(argv) > 1 and argv[1] in LOCKING_COMMANDS
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = 1.0
    while True:
        result = readable(process.run(argv, cwd=cwd, env=restic_environment(files), timeout=timeout, check=False,
                                       give_up=gives_up_opening))
        if result.returncode in ok_codes or not (retries_lock and is_locked(result)):
            break
        if time.monotonic() + pause > deadline:
            break
        log.info("restic %s: the repository is locked by another process; trying again in %.0f s",
                 argv[1], pause)
        time.sleep(pause)
        pause = min(pause * 2, 30.0)
    if result.returncode not in ok_codes:
        raise ResticError(explain(result), result.returncode)
    return result


# Shards other than 0 wait this long for shard 0 to initialise a new repository.
INIT_WAIT_SECONDS = 600.0


def ensure_repository(files: SecretFiles, *, may_create: bool = True,
                      create: tuple[str, ...] | None = None, password_name: str = "RESTIC_PASSWORD") -> bool:
    """Open the repository, initialising it when it does not exist. True if created.

    `may_create=False` (a shard other than 0): two `restic init` at once into one
    backend each write their own master key and one config, which leaves a repository
    that the loser's key cannot open; so only shard 0 initialises, the others wait
    for it (INIT_WAIT_SECONDS). `create`: the init command (default `restic init`; a copy
    repository's is `init_copy`)."""
    deadline = time.monotonic() + INIT_WAIT_SECONDS
    while True:
        probe = readable(process.run(cat_config(), env=restic_environment(files), check=False, timeout=300,
                                      give_up=gives_up_opening))
        if probe.ok:
            return False
        if is_wrong_password(probe):
            raise PreflightError(f"restic: the password is wrong for this repository ({password_name})")
        if not is_missing_repository(probe):
            raise PreflightError(explain(probe))
        if may_create:
            created = readable(process.run(create or init(), env=restic_environment(files), check=False, timeout=300,
                                            give_up=gives_up_opening))
            if not created.ok:
                raise PreflightError(explain(created))
            return True
        if time.monotonic() > deadline:
            raise PreflightError(f"{explain(probe)}; shard 0 initialises a new repository and did not "
                                 f"within {INIT_WAIT_SECONDS:.0f} s")
        log.info("restic repository not there yet: waiting for shard 0 to initialise it")
        time.sleep(2)


def list_snapshots(files: SecretFiles, *, host: str | None = None, tags=()) -> list[Snapshot]:
    result = run_restic(files, snapshots(host=host, tags=tags), timeout=600)
    return parse_snapshots(result.stdout)
