"""`python -m orgbackup.tools.gitim.runner ORG DEST [--ssh] [--noforks]`: gitim, made usable.

gitim 7b6e898 has no option for a GitHub Enterprise host (it calls
`Github(token)`, so PyGithub talks to api.github.com) and takes the token only
as `--token TOKEN` on its command line, where every user of the machine can read
it in /proc/<pid>/cmdline.  This runner closes both gaps without changing gitim:

* the token is read from the file named by ORGBACKUP_TOKEN_FILE;
* `github.Github` (and `github.MainClass.Github`) is replaced by a subclass that
  adds `base_url=ORGBACKUP_GITHUB_API_URL` when that is not api.github.com;
* the token reaches PyGithub as an `Auth` object that reads the file at every
  request (a GitHub App's installation token is renewed during the run); with
  ORGBACKUP_GITHUB_APP set (a GitHub App), `get_user()` answers `.login`
  without asking GitHub: an installation token may not read /user (HTTP 403);
* `sys.argv` is set *inside this process* to gitim's command line, token
  included, and gitim runs in this same interpreter through
  `runpy.run_module('gitim', run_name='__main__')`.  No process is started
  with the token in its arguments: not this one, and not the git children
  gitim starts (they get credential-free URLs; git asks the run's credential helper);
* the organization's repositories as PyGithub lists them leave out a name GitHub never
  allows (gitim makes a folder of each name: `../x` would lead out of DEST).

It works with the real gitim and with the test suite's stand-in alike.
gitim itself exits 0 whatever happened; the stage that runs this checks the
clones afterwards.  Exit status 4 means gitim is not installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import runpy
import sys
import types

from orgbackup.cache.safe_names import is_repository_name
DEFAULT_API_URL = "https://api.github.com"
EXIT_NOT_INSTALLED = 4
EXIT_USAGE = 2


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m orgbackup.tools.gitim.runner")
    parser.add_argument("org")
    parser.add_argument("dest")
    parser.add_argument("--ssh", action="store_true")
    parser.add_argument("--noforks", action="store_true")
    parser.add_argument("--user", action="store_true", help="ORG is a personal account")
    return parser.parse_args(argv)


def gitim_argv(org: str, dest: str, token: str, *, ssh: bool = False, noforks: bool = False,
               user: bool = False) -> list[str]:
    """gitim's own command line, as it will see it in `sys.argv` (never in a process's argv).
    A personal account (`user`): no `-o`, so gitim clones `get_user().get_repos()` (see
    `only_repositories_of`)."""
    return (
        ["gitim"] + ([] if user else ["-o", org]) + ["-d", dest, "--token", token]
        + (["--ssh"] if ssh else [])
        + (["--noforks"] if noforks else [])
    )


def read_token(environ) -> str:
    path = environ.get("ORGBACKUP_TOKEN_FILE")
    if not path:
        raise SystemExit("gitim_runner: ORGBACKUP_TOKEN_FILE is not set")
    try:
        with open(path, encoding="utf-8") as f:
            token = f.read().strip()
    except OSError as exc:
        raise SystemExit(f"gitim_runner: cannot read ORGBACKUP_TOKEN_FILE: {exc.strerror}") from None
    if not token:
        raise SystemExit("gitim_runner: the token file is empty")
    return token


def token_from_file(path: str):
    """A PyGithub Auth whose token is the file's at each request."""
    import github.Auth

    class TokenFromFile(github.Auth.Auth):
        @property
        def token_type(self) -> str:
            return "token"

        @property
        def token(self) -> str:
            with open(path, encoding="utf-8") as f:
                return f.readline().strip()

        @property
        def _masked_token(self) -> str:
            return "token (removed)"

    return TokenFromFile()


def point_pygithub_at(api_url: str, token_file: str | None = None, app_id: str | None = None) -> None:
    """Make every `Github(...)` created from now on talk to `api_url`, with the token of
    `token_file` read at every request, and (a GitHub App) a login that needs no /user."""
    api_url = api_url.rstrip("/")
    if (not api_url or api_url == DEFAULT_API_URL) and not token_file and not app_id:
        return
    import github
    import github.MainClass

    original = github.MainClass.Github
    if getattr(original, "_orgbackup_patched", None) == (api_url, token_file, app_id):
        return

    class Github(original):  # type: ignore[misc, valid-type]
        _orgbackup_patched = (api_url, token_file, app_id)

        def __init__(self, *args, **kwargs):
            if api_url and api_url != DEFAULT_API_URL:
                kwargs.setdefault("base_url", api_url)
            if token_file and args and isinstance(args[0], str) and len(args) == 1 and "auth" not in kwargs:
                args, kwargs["auth"] = (), token_from_file(token_file)  # Github(token), as gitim calls it
            super().__init__(*args, **kwargs)

        def get_user(self, *args, **kwargs):
            if app_id and not args and not kwargs:
                return types.SimpleNamespace(login=f"app-{app_id}[bot]")
            return super().get_user(*args, **kwargs)

    Github.__name__ = Github.__qualname__ = original.__name__
    Github.__module__ = original.__module__
    github.Github = Github
    github.MainClass.Github = Github


def only_allowed_repositories() -> None:
    """gitim clones every repository of PyGithub's listing into DEST/<full_name> (and looks at
    DEST/<name>): one whose name GitHub never allows (`../x`, a NUL) is left out with a line saying
    so, as the plan leaves it out (orgbackup/backup/planning/plan.py: storable_listing)."""
    import github.Organization

    original = github.Organization.Organization.get_repos
    if getattr(original, "_orgbackup_allowed_only", False):
        return

    def get_repos(self, *args, **kwargs):
        for repo in original(self, *args, **kwargs):
            owner, _, name = (repo.full_name or "").partition("/")
            if is_repository_name(repo.name) and name == repo.name and owner.lower() == self.login.lower():
                yield repo
            else:
                print(f"gitim_runner: repository {repo.full_name!r} left out: no name GitHub allows", flush=True)

    get_repos._orgbackup_allowed_only = True
    github.Organization.Organization.get_repos = get_repos


class RepositoriesOf:
    """What gitim's `get_user()` answers for a personal account: that account's login, and its
    repositories (all the token sees when it is the token's user, else the public ones)."""

    def __init__(self, login: str, get_user):
        self.login = login
        self._get_user = get_user  # PyGithub's own Github.get_user

    def get_repos(self):
        me = self._get_user()
        if me.login.lower() == self.login.lower():
            listed = me.get_repos(affiliation="owner")
        else:
            listed = self._get_user(self.login).get_repos(type="owner")
        for repo in listed:
            owner, _, name = (repo.full_name or "").partition("/")
            if is_repository_name(repo.name) and name == repo.name and owner.lower() == self.login.lower():
                yield repo
            else:
                print(f"gitim_runner: repository {repo.full_name!r} left out: not {self.login}'s or no name "
                      "GitHub allows", flush=True)


def only_repositories_of(login: str) -> None:
    """gitim without `-o` clones `Github(token).get_user().get_repos()`: every repository the token's
    user may read (other owners' too), and the token's user, not `login`. Its `get_user()` (no
    arguments) answers `RepositoriesOf(login)` instead."""
    import github

    patched = github.Github

    class Github(patched):  # type: ignore[misc, valid-type]
        def get_user(self, *args, **kwargs):
            if not args and not kwargs:
                return RepositoriesOf(login, super().get_user)
            return super().get_user(*args, **kwargs)

    Github.__name__ = Github.__qualname__ = patched.__name__
    Github.__module__ = patched.__module__
    github.Github = Github
    github.MainClass.Github = Github


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if importlib.util.find_spec("gitim") is None:
        print("gitim_runner: gitim is not installed (no module named 'gitim')", file=sys.stderr)
        return EXIT_NOT_INSTALLED
    token = read_token(os.environ)
    point_pygithub_at(os.environ.get("ORGBACKUP_GITHUB_API_URL") or DEFAULT_API_URL,
                      os.environ.get("ORGBACKUP_TOKEN_FILE"), os.environ.get("ORGBACKUP_GITHUB_APP"))
    only_allowed_repositories()
    if args.user:
        only_repositories_of(args.org)
    sys.argv = gitim_argv(args.org, args.dest, token, ssh=args.ssh, noforks=args.noforks, user=args.user)
    sys.stdout.flush()
    runpy.run_module("gitim", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
