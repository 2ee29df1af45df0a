"""The command line: `backup` (default), `restore`, `restore-to-github`, `verify`, `snapshots`, `status`,
`prune`.

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
import textwrap
import time

from orgbackup import __version__
from orgbackup.tools import process
from orgbackup.config.secret_files import MAIN, REPOSITORIES
from orgbackup.config.settings import READ_DATA_SUBSET, load_config
from orgbackup.errors import EXIT_CONFIG, EXIT_FAILURE, BackupError, ConfigError, Interrupted
from orgbackup.monitoring import Monitor, load_monitoring
from orgbackup.results import RunResult

log = logging.getLogger("orgbackup")


# Every variable, its default and meaning (the image has it at the same path under /app).
EXAMPLE_ENV = "config/backup.env.example (in the image: /app/config/backup.env.example)"
RESTIC_VARIABLES = ("  RESTIC_REPOSITORY or RESTIC_REPOSITORY_FILE  the restic repository (a path, s3:, b2:, rest:, ...)\n"
                    "  RESTIC_PASSWORD or RESTIC_PASSWORD_FILE      its password")
BACKUP_VARIABLES = ("  GITHUB_ORGS and/or GITHUB_USERS              organizations, personal accounts, comma-separated\n"
                    "  GITHUB_TOKEN or GITHUB_TOKEN_FILE            the token (or a GitHub App: GITHUB_APP_ID and\n"
                    "                                               GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_FILE)\n"
                    + RESTIC_VARIABLES)
READ_ONLY_VARIABLES = (RESTIC_VARIABLES + "\n"
                       "  (no GitHub token; BACKUP_HOST_NAME if the backups set another one)")
PRUNE_VARIABLES = ("  RESTIC_REPOSITORY or RESTIC_REPOSITORY_FILE  the repository, with credentials that may delete\n"
                   "                                               (the prune job's own, not an append-only backup's)\n"
                   "  RESTIC_PASSWORD or RESTIC_PASSWORD_FILE      its password (or a key of the prune job's own)\n"
                   "  (no GitHub token; BACKUP_KEEP_*, BACKUP_PRUNE_KEEP_WITHIN, BACKUP_HOST_NAME)")
INTERRUPTED = "  130  interrupted (SIGTERM, Ctrl-C): tools ended, nothing marked complete"


def _epilog(variables: str, statuses: str) -> str:
    return (f"required variables (or in a dotenv file: BACKUP_ENV_FILE, or .env here):\n{variables}\n"
            f"every variable, its default and meaning: {EXAMPLE_ENV}\n\n"
            f"exit statuses:\n{statuses}\n{INTERRUPTED}")


# One entry per subcommand: (the line in the list of commands, its description, its epilog).
SUBCOMMANDS = {
    "backup": (
        "back up every organization of GITHUB_ORGS and account of GITHUB_USERS (the default command)",
        "Back up every organization of GITHUB_ORGS and personal account of GITHUB_USERS: github-backup and "
        "gitim into the cache, checked and repaired against GitHub, then one restic snapshot per account, "
        "retention, a summary table "
        "and one JSON line on standard output.",
        _epilog(BACKUP_VARIABLES,
                "  0    complete\n"
                "  1    failure: the token, GitHub, the restic repository or password, the lock; an organization\n"
                "       that does not exist or could not be snapshotted; a file still holding the token\n"
                "  2    configuration error: nothing was touched\n"
                "  3    a snapshot was taken but something is missing (tagged incomplete; the summary names it)"),
    ),
    "snapshots": (
        "list the snapshots: date, organization, complete, size",
        "List the snapshots of the restic repository: id, date, organization, complete or incomplete, "
        "the size a restore writes.",
        _epilog(READ_ONLY_VARIABLES,
                "  0    listed\n  1    failure: wrong password, no repository, restic failed\n"
                "  2    configuration error"),
    ),
    "restore": (
        "restore a snapshot, an organization or one repository into a folder",
        "Restore each organization's newest complete snapshot (or --snapshot) into --target, as "
        "TARGET/<ORG>/ with the snapshot's layout.",
        _epilog(READ_ONLY_VARIABLES,
                "  0    restored\n"
                "  1    failure: wrong password, no repository, no such snapshot or repository, target not empty\n"
                "  2    configuration error, or --repo without --org"),
    ),
    "restore-to-github": (
        "make a snapshot's organization again in another (empty) organization on GitHub",
        "Create the repositories of a snapshot's organization again in --to-org (which must exist): "
        "git and LFS, wikis, labels, milestones, issues and pull requests in number order, releases. "
        "Nothing is overwritten; a rerun goes on where the last one stopped.",
        _epilog(RESTIC_VARIABLES + "\n"
                "  RESTORE_GITHUB_TOKEN or RESTORE_GITHUB_TOKEN_FILE   a token that may create repositories in\n"
                "                                               the target (default: GITHUB_TOKEN(_FILE));\n"
                "                                               RESTORE_GITHUB_HOST (default GITHUB_HOST)",
                "  0    everything restored (or the dry run's plan printed)\n"
                "  1    failure: GitHub unreachable or the token rejected, restic, git\n"
                "  2    configuration error: no such target organization, --to-org the same as --org,\n"
                "       a --repo not in the snapshot\n"
                "  3    restored, but something is missing or a repository was left alone (the report names each)"),
    ),
    "status": (
        "is every organization's newest complete snapshot recent? exit 0 yes, 1 no",
        "From the restic repository alone: per organization (GITHUB_ORGS, or every organization with "
        "snapshots) the newest complete snapshot and its age.",
        _epilog(READ_ONLY_VARIABLES,
                "  0    every organization has a complete snapshot younger than --max-age\n"
                "  1    an organization's newest complete snapshot is too old or missing, its newest night of\n"
                "       shards lacks a shard, or restic failed\n"
                "  2    configuration error, a bad --max-age"),
    ),
    "verify": (
        "the restore drill: restic check, restore, fsck, LFS, manifest",
        "The restore drill: restic check (reading --read-data-subset of the data), then the newest "
        "snapshot of each organization restored into a temporary folder and checked (git fsck, refs, "
        "LFS objects, JSON, manifest).",
        _epilog(READ_ONLY_VARIABLES,
                "  0    every check passed\n  1    a check failed (the report names it), or restic failed\n"
                "  2    configuration error, a bad --read-data-subset"),
    ),
    "prune": (
        "forget by the keep policy and prune, apart from the backup (BACKUP_RETENTION=separate)",
        "Apply the keep policy (BACKUP_KEEP_*) to every organization's snapshots, keeping every "
        "snapshot within BACKUP_PRUNE_KEEP_WITHIN (default 30d) of the newest, then restic prune: "
        "the job that does retention when the backup's credentials are append-only. Refuses, "
        "forgetting nothing, while any snapshot is dated in the future.",
        _epilog(PRUNE_VARIABLES,
                "  0    the policy applied and the repository pruned\n"
                "  1    failure: a snapshot dated in the future (nothing forgotten), wrong password, no\n"
                "       repository, credentials that may not delete, restic failed\n"
                "  2    configuration error"),
    ),
}


def read_data_subset(value: str) -> str:
    if not READ_DATA_SUBSET.match(value.strip()):
        raise argparse.ArgumentTypeError(f"{value!r} is not n%, n/t or a size (5%, 1/7, 500M)")
    return value.strip()


def hours(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of hours") from None
    if number < 0 or number != number:
        raise argparse.ArgumentTypeError(f"{value!r}: hours cannot be negative")
    return number


def repository_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repository", choices=REPOSITORIES, default=MAIN,
                        help="which restic repository to read: main (RESTIC_REPOSITORY, the default) or copy "
                             "(the second copy, RESTIC_COPY_REPOSITORY and RESTIC_COPY_PASSWORD)")


def build_parser() -> argparse.ArgumentParser:
    # -v after the subcommand too (`backup -v`); SUPPRESS keeps the top level's value when absent.
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument("--verbose", "-v", action="store_true", default=argparse.SUPPRESS,
                         help="log every command run")
    parser = argparse.ArgumentParser(
        prog="entrypoint.py",
        description="Back up GitHub organizations into a restic repository, verified against GitHub. "
                    "Without a command: backup. `entrypoint.py COMMAND --help` says what each needs.",
        epilog=f"every variable, its default and meaning: {EXAMPLE_ENV}",
    )
    parser.add_argument("--version", action="version", version=f"orgbackup {__version__}")
    parser.add_argument("--verbose", "-v", action="store_true", help="log every command run")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str) -> argparse.ArgumentParser:
        summary, description, epilog = SUBCOMMANDS[name]
        return sub.add_parser(name, help=summary, description=textwrap.fill(description, 78), epilog=epilog,
                              parents=[verbose],
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    command("backup")

    snaps = command("snapshots")
    snaps.add_argument("--json", action="store_true", help="print JSON instead of a table")
    snaps.add_argument("--org", help="only this organization")

    restore = command("restore")
    restore.add_argument("--target", required=True, help="folder to restore into")
    restore.add_argument("--snapshot", default="latest", help="snapshot id (default: the latest complete one)")
    restore.add_argument("--org", help="only this organization")
    restore.add_argument("--repo", help="only this repository (needs --org)")
    restore.add_argument("--overwrite", action="store_true", help="allow restoring into a folder that has files")

    to_github = command("restore-to-github")
    to_github.add_argument("--org", required=True, help="the organization the snapshot is of")
    to_github.add_argument("--to-org", required=True, help="the organization to create the repositories in (must exist)")
    to_github.add_argument("--snapshot", default="latest", help="snapshot id (default: the newest complete one of --org)")
    to_github.add_argument("--repo", action="append", default=[], metavar="NAME",
                           help="only this repository (may be given more than once)")
    to_github.add_argument("--dry-run", action="store_true", help="print what would be created; create nothing")
    to_github.add_argument("--with-access", action="store_true",
                           help="also branch protection and collaborators (a decision for a person)")

    status = command("status")
    status.add_argument("--max-age", type=hours, default=36.0, metavar="HOURS",
                        help="a complete snapshot older than this is stale (default 36)")
    status.add_argument("--json", action="store_true", help="print JSON instead of lines")
    repository_option(status)

    verify = command("verify")
    verify.add_argument("--snapshot", default="latest", help="snapshot id (default: the latest of each organization)")
    verify.add_argument("--org", help="only this organization")
    verify.add_argument("--read-data-subset", type=read_data_subset, metavar="SUBSET",
                        help="restic check --read-data-subset: n%%, n/t or a size (default "
                             "BACKUP_VERIFY_READ_DATA_SUBSET, 5%%)")
    verify.add_argument("--json", action="store_true", help="also print the report as one JSON line")
    repository_option(verify)

    command("prune")
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
    process.stop_all()
    raise Interrupted(f"stopped by signal {signal.Signals(signum).name}; tools ended, nothing marked complete")


def dispatch(args, environ) -> RunResult:
    command = args.command or "backup"
    if command == "backup":
        config = load_config(environ)
        from orgbackup.actions.backup import run_backup

        return run_backup(config)
    config = load_config(environ, need_github=False)
    if command == "snapshots":
        from orgbackup.actions.snapshots import run_snapshots

        return run_snapshots(config, org=args.org, as_json=args.json)
    if command == "restore":
        from orgbackup.actions.restore import run_restore

        return run_restore(
            config, target=args.target, snapshot=args.snapshot, org=args.org,
            repo=args.repo, overwrite=args.overwrite,
        )
    if command == "restore-to-github":
        from orgbackup.actions.restore_to_github.command import run_restore_to_github
        from orgbackup.actions.restore_to_github.settings import load_restore_settings

        return run_restore_to_github(
            config, load_restore_settings(environ, config), source_org=args.org, target_org=args.to_org,
            snapshot=args.snapshot, repos=args.repo, dry_run=args.dry_run, with_access=args.with_access,
        )
    if command == "status":
        from orgbackup.actions.status import run_status

        return run_status(config, max_age_hours=args.max_age, as_json=args.json, repository=args.repository)
    if command == "verify":
        from orgbackup.actions.verify import run_verify

        return run_verify(
            config, snapshot=args.snapshot, org=args.org,
            read_data_subset=args.read_data_subset or config.verify_read_data_subset,
            as_json=args.json, repository=args.repository,
        )
    if command == "prune":
        from orgbackup.actions.prune import run_prune

        return run_prune(config)
    raise AssertionError(command)


def run_command(args, environ) -> RunResult:
    """dispatch(), with every way a run can end turned into a RunResult (one line, masked, logged)."""
    command = args.command or "backup"
    try:
        return dispatch(args, environ)
    except (BackupError, Interrupted) as exc:
        line = process.mask(str(exc))
        log.error("%s", line)
        return RunResult(command, exc.exit_status, summary=line)
    except KeyboardInterrupt:
        process.stop_all()
        line = "interrupted; tools ended, nothing marked complete"
        log.error("%s", line)
        return RunResult(command, Interrupted.exit_status, summary=line)
    except Exception as exc:  # a bug: still one line, still a failure status
        line = f"unexpected error: {process.mask(str(exc))}"
        log.exception("%s", line)
        return RunResult(command, EXIT_FAILURE, summary=line)


def main(argv: list[str] | None = None, environ=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0); a bad argument (2), before anything runs
        return exc.code if isinstance(exc.code, int) else EXIT_CONFIG
    setup_logging(args.verbose)
    signal.signal(signal.SIGTERM, _on_signal)
    environ = os.environ if environ is None else environ
    # First, so that even a configuration error or a bad token is reported.
    try:
        monitor = Monitor(load_monitoring(environ))
    except ConfigError as exc:
        log.error("%s", process.mask(str(exc)))
        return exc.exit_status
    clock = time.monotonic()
    result = None
    try:
        monitor.start(args.command or "backup")
        result = run_command(args, environ)
        result.seconds = result.seconds or time.monotonic() - clock
        monitor.finish(result)
    except (Interrupted, KeyboardInterrupt):  # a signal while pinging: the run's own status stands
        process.stop_all()
        return result.status if result else Interrupted.exit_status
    return result.status
