"""The command line: `backup` (default), `restore`, `restore-to-github`, `verify`, `snapshots`, `status`.

This is the only place that turns errors into exit statuses:
0 complete, 1 failure, 2 configuration error (nothing touched),
3 a snapshot was taken but something is missing, 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time

from . import __version__, commands
from .config import load_config
from .errors import EXIT_FAILURE, BackupError, ConfigError, Interrupted
from .monitoring import Monitor, load_monitoring
from .run_result import RunResult

log = logging.getLogger("orgbackup")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="entrypoint.py",
        description="Back up GitHub organizations into a restic repository, verified against GitHub.",
    )
    parser.add_argument("--version", action="version", version=f"orgbackup {__version__}")
    parser.add_argument("--verbose", "-v", action="store_true", help="log every command run")
    sub = parser.add_subparsers(dest="command")

    sub.add_parser("backup", help="back up every organization of GITHUB_ORGS (the default)")

    snaps = sub.add_parser("snapshots", help="list the snapshots: date, organization, complete, size")
    snaps.add_argument("--json", action="store_true", help="print JSON instead of a table")
    snaps.add_argument("--org", help="only this organization")

    restore = sub.add_parser("restore", help="restore a snapshot, an organization or one repository")
    restore.add_argument("--target", required=True, help="folder to restore into")
    restore.add_argument("--snapshot", default="latest", help="snapshot id (default: the latest complete one)")
    restore.add_argument("--org", help="only this organization")
    restore.add_argument("--repo", help="only this repository (needs --org)")
    restore.add_argument("--overwrite", action="store_true", help="allow restoring into a folder that has files")

    to_github = sub.add_parser("restore-to-github",
                               help="make a snapshot's organization again in another (empty) organization")
    to_github.add_argument("--org", required=True, help="the organization the snapshot is of")
    to_github.add_argument("--to-org", required=True, help="the organization to create the repositories in (must exist)")
    to_github.add_argument("--snapshot", default="latest", help="snapshot id (default: the newest complete one of --org)")
    to_github.add_argument("--repo", action="append", default=[], metavar="NAME",
                           help="only this repository (may be given more than once)")
    to_github.add_argument("--dry-run", action="store_true", help="print what would be created; create nothing")
    to_github.add_argument("--with-access", action="store_true",
                           help="also branch protection and collaborators (a decision for a person)")

    status = sub.add_parser("status", help="is every organization's newest complete snapshot recent? exit 0 yes, 1 no")
    status.add_argument("--max-age", type=float, default=36.0, metavar="HOURS",
                        help="a complete snapshot older than this is stale (default 36)")
    status.add_argument("--json", action="store_true", help="print JSON instead of lines")

    verify = sub.add_parser("verify", help="the restore drill: check, restore, fsck, LFS, manifest")
    verify.add_argument("--snapshot", default="latest", help="snapshot id (default: the latest of each organization)")
    verify.add_argument("--org", help="only this organization")
    verify.add_argument("--read-data-subset", help="restic check --read-data-subset (default BACKUP_VERIFY_READ_DATA_SUBSET)")
    verify.add_argument("--json", action="store_true", help="also print the report as one JSON line")
    return parser


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (tests swap it between main() calls)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def setup_logging(verbose: bool) -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _CurrentStderrHandler)]:
        root.removeHandler(handler)
    handler = _CurrentStderrHandler()
    formatter = logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", datefmt="%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("urllib3", "github"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _on_signal(signum, frame):
    commands.stop_all()
    raise Interrupted(f"stopped by signal {signal.Signals(signum).name}; tools ended, nothing marked complete")


def dispatch(args, environ) -> RunResult:
    command = args.command or "backup"
    if command == "backup":
        config = load_config(environ)
        from .run import run_backup

        return run_backup(config)
    config = load_config(environ, need_github=False)
    if command == "snapshots":
        from .snapshots import run_snapshots

        return RunResult(command, run_snapshots(config, org=args.org, as_json=args.json))
    if command == "restore":
        from .restore import run_restore

        return run_restore(
            config, target=args.target, snapshot=args.snapshot, org=args.org,
            repo=args.repo, overwrite=args.overwrite,
        )
    if command == "restore-to-github":
        from .restore_to_github.command import run_restore_to_github
        from .restore_to_github.settings import load_restore_settings

        return run_restore_to_github(
            config, load_restore_settings(environ, config), source_org=args.org, target_org=args.to_org,
            snapshot=args.snapshot, repos=args.repo, dry_run=args.dry_run, with_access=args.with_access,
        )
    if command == "status":
        from .status import run_status

        if args.max_age < 0:
            raise ConfigError("status --max-age: hours cannot be negative")
        return RunResult(command, run_status(config, max_age_hours=args.max_age, as_json=args.json))
    if command == "verify":
        from .verify import run_verify

        return run_verify(
            config, snapshot=args.snapshot, org=args.org,
            read_data_subset=args.read_data_subset or config.verify_read_data_subset,
            as_json=args.json,
        )
    raise AssertionError(command)


def run_command(args, environ) -> RunResult:
    """dispatch(), with every way a run can end turned into a RunResult (one line, masked, logged)."""
    command = args.command or "backup"
    try:
        return dispatch(args, environ)
    except (BackupError, Interrupted) as exc:
        line = commands.mask(str(exc))
        log.error("%s", line)
        return RunResult(command, exc.exit_status, summary=line)
    except KeyboardInterrupt:
        commands.stop_all()
        line = "interrupted; tools ended, nothing marked complete"
        log.error("%s", line)
        return RunResult(command, Interrupted.exit_status, summary=line)
    except Exception as exc:  # a bug: still one line, still a failure status
        line = f"unexpected error: {commands.mask(str(exc))}"
        log.exception("%s", line)
        return RunResult(command, EXIT_FAILURE, summary=line)


def main(argv: list[str] | None = None, environ=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    signal.signal(signal.SIGTERM, _on_signal)
    environ = os.environ if environ is None else environ
    # First, so that even a configuration error or a bad token is reported.
    try:
        monitor = Monitor(load_monitoring(environ))
    except ConfigError as exc:
        log.error("%s", commands.mask(str(exc)))
        return exc.exit_status
    clock = time.monotonic()
    result = None
    try:
        monitor.start(args.command or "backup")
        result = run_command(args, environ)
        result.seconds = result.seconds or time.monotonic() - clock
        monitor.finish(result)
    except (Interrupted, KeyboardInterrupt):  # a signal while pinging: the run's own status stands
        commands.stop_all()
        return result.status if result else Interrupted.exit_status
    return result.status
