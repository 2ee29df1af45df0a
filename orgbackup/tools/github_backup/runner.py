"""`python -m orgbackup.tools.github_backup.runner ARGS...`: github-backup 0.40.0, without the token in any argv.

ARGS are github-backup's own arguments *without* `-t/--token`: the runner adds
`--token file://$ORGBACKUP_TOKEN_FILE` to `sys.argv` inside this process (a
file path is no secret) and runs github-backup's console script in this same
interpreter (`runpy.run_path`).  Before that it replaces, as attributes of the
module `github_backup.github_backup` (line numbers of 0.40.0), nothing copied:

* `get_github_repo_url` (L402-425) builds `https://TOKEN:x-oauth-basic@HOST/...`:
  wrapped so that the URL carries no credentials (`url_credentials.without_credentials`).
  Every clone, `git lfs clone`, `ls-remote`, `remote set-url`/`add` (L1073-1118)
  therefore gets a clean URL, git asks the run's credential helper for the token
  (orgbackup/git/environment.py), and no `.git/config` receives it.
* `subprocess` (the module it calls through, L18): a stand-in whose `call`,
  `check_output` and `Popen` never use a shell (L1073 runs
  `sh -c 'git ls-remote ' + URL`: split into an argument list instead) and
  strip credentials from every URL argument, as a second line of defence.
* `codecs` (L798, L889, L955, L984, L1038, L1169 write JSON with
  `codecs.open(path, 'w')`): a stand-in whose `open` for writing writes a
  temporary file in the same folder and `os.replace`s it at close, so a killed
  run leaves either the old file or the new one, never half of one.
* `download_file` (L626-655) writes a release asset straight to its final name
  and skips any name that exists, so a killed download stays truncated forever:
  replaced by a download into a temporary file, checked against the
  Content-Length, then `os.replace`d.  Failures print the same "Skipping
  download of asset ..." line, which the stage counts as a problem.

* `get_auth` (L330-375) reads a `file://` token once and keeps it: wrapped so
  that it reads the file again at every call, since a GitHub App's installation
  token is renewed during the run (orgbackup/github/credentials.py rewrites the file).

* `_request_url_error` (L600-610) is meant to allow three retries of a network
  error, but its counter is a copy that never reaches the caller's loop
  (`_get_response`, L522-548): a URLError is retried at once, forever (fixed in
  0.42.0).  Since every retry prints a line, the stage's watchdog (no progress
  for BACKUP_STALL_SECONDS) would never end it either.  Replaced by one that
  counts per URL, sleeps 1, 2, 4 ... seconds between tries and gives up after
  `URL_ERROR_TRIES` (ORGBACKUP_URL_ERROR_TRIES overrides it), so the repository
  becomes a problem and the run goes on.

* `retrieve_data` (L512): one request per issue for its comments and its events,
  one per pull request for its review comments: answered from the repository's
  listings instead (`github_backup_listings`; an incremental run merges into what
  was saved).
* `retrieve_repositories` (L670-723): `-R NAME` asks for the repository that the
  organization's listing gave the stage; answered from the stage's file instead
  (`github_backup_listings.listed_retrieve_repositories`).

* `backup_releases` (L1019-1049) and `retrieve_data_gen` (L428): every name out of
  GitHub's answers that becomes a file name (a release's tag, an asset's name, an issue's,
  pull request's or milestone's number) through the path rule (`github_backup_names`):
  nothing is written outside the repository's `releases/`, `issues/`, ... folders.

Temporary files are named by `partial_name()`; the stage removes leftovers of
a killed run (`remove_partial_files`) and checks every asset's size against the
release JSON (`release_files.expected_assets`).  Exit status 4: github-backup is not installed;
2: a token on the command line.
"""

from __future__ import annotations

import codecs as real_codecs
import http.client
import os
import runpy
import shlex
import shutil
import subprocess as real_subprocess
import sys
import types
from pathlib import Path

from orgbackup.github.urls import token_may_go_to, without_credentials  # not .git: see url_credentials.py  # not .git: see url_credentials.py
from orgbackup.tools.github_backup.listings import listed_retrieve_repositories, listing_retrieve_data
from orgbackup.tools.github_backup.names import backup_releases, numbered_entries_only
from orgbackup import backoff

API_URL_ENV = "ORGBACKUP_GITHUB_API_URL"  # GitHub's API: the one place an asset download gets the token
DEFAULT_API_URL = "https://api.github.com"
EXIT_USAGE = 2
EXIT_NOT_INSTALLED = 4
SCRIPT = "github-backup"
PARTIAL_SUFFIX = ".orgbackup-partial"
# The folders of a repository that github-backup fills through these writers (not the clones).
WRITTEN_FOLDERS = ("issues", "pulls", "milestones", "labels", "hooks", "releases")
CHUNK = 64 * 1024
URL_ERROR_TRIES = 6  # about a minute of waiting (1 + 2 + ... + 32 s) before a URL is given up


# Temporary files


def partial_name(path: str | os.PathLike) -> Path:
    """Where `path` is written before it is renamed into place (same folder, hidden)."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}{PARTIAL_SUFFIX}")


def is_partial(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(PARTIAL_SUFFIX)


def remove_partial_files(repository_dir: Path) -> list[Path]:
    """Delete what a killed run left half-written under one repository's folder."""
    removed = []
    for folder in WRITTEN_FOLDERS:
        for path in (repository_dir / folder).rglob(f"*{PARTIAL_SUFFIX}"):
            if path.is_file() and is_partial(path):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


class AtomicWriter:
    """A file open for writing under a temporary name; renamed into place when closed cleanly."""

    def __init__(self, path: str | os.PathLike, mode: str, encoding: str | None):
        self.path = Path(path)
        self.partial = partial_name(self.path)
        binary = "b" in mode
        self.file = open(self.partial, "wb" if binary else "w", encoding=None if binary else (encoding or "utf-8"))

    def __getattr__(self, name):
        return getattr(self.file, name)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is None:
            self.close()
        else:
            self.discard()
        return False

    def write(self, data):
        return self.file.write(data)

    def close(self) -> None:
        if self.file.closed:
            return
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.partial, self.path)

    def discard(self) -> None:
        self.file.close()
        self.partial.unlink(missing_ok=True)


def atomic_codecs() -> types.ModuleType:
    """`codecs` whose `open(..., 'w')` is an AtomicWriter (reading is untouched)."""
    shim = types.ModuleType("codecs_atomic")
    shim.__dict__.update(real_codecs.__dict__)

    def open_(filename, mode="r", encoding=None, errors="strict", buffering=-1):
        if any(c in mode for c in "wax"):
            return AtomicWriter(filename, mode, encoding)
        return real_codecs.open(filename, mode, encoding, errors, buffering)

    shim.open = open_
    return shim


# Subprocesses without a shell and without credentials


def clean_command(args, shell: bool = False) -> list[str] | object:
    """The command as an argument list (a shell string split), every URL without credentials."""
    if shell or isinstance(args, str):
        args = shlex.split(args) if isinstance(args, str) else list(args)
    if isinstance(args, (list, tuple)):
        return [without_credentials(str(a)) if "://" in str(a) else a for a in args]
    return args


def subprocess_without_shell() -> types.ModuleType:
    shim = types.ModuleType("subprocess_without_shell")
    shim.__dict__.update(real_subprocess.__dict__)

    def wrap(function):
        def call(args, *rest, **kwargs):
            shell = kwargs.pop("shell", False)
            return function(clean_command(args, shell), *rest, **kwargs)

        call.__name__ = function.__name__
        return call

    for name in ("call", "check_call", "check_output", "run", "Popen"):
        setattr(shim, name, wrap(getattr(real_subprocess, name)))
    return shim


# Release assets


def download_file(url: str, path: str, auth: bytes) -> None:
    """Replaces github-backup's: a temporary file, its length checked, then renamed into place.

    The token is the file's of this moment (`auth`, what 0.40.0 hands over, may be an
    App's expired one, and with --as-app it is no Basic credential at all)."""
    from github_backup import github_backup as gb

    if os.path.exists(path):
        return  # as 0.40.0; the stage deletes an asset whose size is wrong before the next run
    partial = partial_name(path)
    request = gb.Request(url)
    request.add_header("Accept", "application/octet-stream")
    if token_may_go_to(url, os.environ.get(API_URL_ENV) or DEFAULT_API_URL):  # the release JSON's URL
        request.add_header("Authorization", f"token {current_token()}")
    try:
        with open(partial, "wb") as f:  # before the request: a killed run leaves only this name
            response = gb.build_opener(gb.S3HTTPRedirectHandler).open(request)
            length = response.headers.get("Content-Length")
            written = 0
            while chunk := response.read(CHUNK):
                f.write(chunk)
                written += len(chunk)
            f.flush()
            os.fsync(f.fileno())
        if length is not None and written != int(length):
            raise OSError(f"{written} of {length} bytes arrived")
        os.replace(partial, path)
    except (OSError, http.client.HTTPException) as exc:  # HTTPError and URLError are OSErrors
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
        gb.log_warning(f"Skipping download of asset {url} due to {exc.__class__.__name__}: {reason}")
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


# The run


def bounded_url_error_retry(tries: int = URL_ERROR_TRIES, sleep=None):
    """A `_request_url_error(template, retry_timeout)` that really counts and waits."""
    import time

    sleep = sleep or time.sleep
    failures: dict[str, int] = {}

    def request_url_error(template, retry_timeout=None):
        failures[template] = failures.get(template, 0) + 1
        if failures[template] >= tries:
            raise Exception(f"{template}: network error {failures[template]} times, giving up")
        sleep(backoff.delay(failures[template]))
        return True

    return request_url_error


def current_token() -> str:
    """The token in ORGBACKUP_TOKEN_FILE now (renewed there during a GitHub App's run)."""
    with open(os.environ["ORGBACKUP_TOKEN_FILE"], encoding="utf-8") as f:
        return f.readline().strip()


def patch(gb: types.ModuleType) -> None:
    """Replace the functions of github_backup.github_backup described at the top."""
    if getattr(gb, "_orgbackup_patched", False):
        return
    original_repo_url = gb.get_github_repo_url
    original_get_auth = gb.get_auth

    def get_auth(args, encode=True, for_git_cli=False):
        if args.token and os.environ.get("ORGBACKUP_TOKEN_FILE"):
            args.token = "file://" + os.environ["ORGBACKUP_TOKEN_FILE"]  # read again: it may be renewed
        return original_get_auth(args, encode, for_git_cli)

    gb.get_auth = get_auth

    def get_github_repo_url(args, repository):
        return without_credentials(original_repo_url(args, repository))

    gb.get_github_repo_url = get_github_repo_url
    gb.subprocess = subprocess_without_shell()
    gb.codecs = atomic_codecs()
    gb.download_file = download_file
    gb.retrieve_data_gen = numbered_entries_only(gb.retrieve_data_gen)
    gb.retrieve_data = listing_retrieve_data(gb.retrieve_data)
    gb.backup_releases = backup_releases
    gb.retrieve_repositories = listed_retrieve_repositories(gb.retrieve_repositories)
    gb._request_url_error = bounded_url_error_retry(int(os.environ.get("ORGBACKUP_URL_ERROR_TRIES") or URL_ERROR_TRIES))
    gb._orgbackup_patched = True


def script_path() -> str | None:
    """github-backup's console script (0.40.0 ships `bin/github-backup`, not an entry point)."""
    beside_python = Path(sys.executable).parent / SCRIPT
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which(SCRIPT)


def has_token_argument(argv: list[str]) -> bool:
    """`-t X`, `-tX`, `--token X`, `--token=X`: the runner refuses them (the token comes from a file)."""
    return any((a.startswith("-t") and not a.startswith("--")) or a == "--token" or a.startswith("--token=")
               for a in argv)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if has_token_argument(args):
        print("github_backup_runner: give the token in ORGBACKUP_TOKEN_FILE, not as an argument", file=sys.stderr)
        return EXIT_USAGE
    token_file = os.environ.get("ORGBACKUP_TOKEN_FILE")
    if not token_file or not os.path.isfile(token_file):
        print("github_backup_runner: ORGBACKUP_TOKEN_FILE does not name a file", file=sys.stderr)
        return EXIT_USAGE
    script = script_path()
    try:
        from github_backup import github_backup as gb
    except ImportError:
        script = None
    if script is None:
        print("github_backup_runner: github-backup is not installed", file=sys.stderr)
        return EXIT_NOT_INSTALLED
    patch(gb)
    sys.argv = [script] + args + ["--token", f"file://{token_file}"]
    sys.stdout.flush()
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
