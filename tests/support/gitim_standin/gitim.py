"""STAND-IN for gitim at commit 7b6e898 -- used only in the orgbackup tests.

This is not gitim.  It was written for the test suite from a reading of what
gitim 7b6e898 does, because the real one installs from its git repository,
which the test machines cannot reach.  It must behave like the pinned gitim,
including its faults, so that the wrapper is tested against them:

* the same options: -u/--user -p/--password -t/--token -o/--org -d/--dest
  --nopull --shallow --ssh --noforks;
* a banner first; PyGithub used the same way: ``Github(token)`` (no base URL
  option, so api.github.com unless the caller patches ``github.Github``),
  ``get_user().login``, ``get_organization(org).get_repos()``;
* for each repository it tests whether ``DEST/NAME`` exists but clones into
  ``DEST/FULL_NAME`` (``DEST/ORG/NAME``): on a later run the clone fails with
  "already exists" and nothing is updated;
* its update path (only reached when ``DEST/NAME`` happens to exist) runs
  ``git pull`` with nothing but ``GIT_DIR`` set;
* HTTPS clone URLs without credentials; git's exit codes ignored; ``FIN``
  printed; exit status 0.
"""

import argparse
import getpass
import os
import subprocess
import sys

from github import Github

__version__ = "2.1.0+standin"

BANNER = r"""
  gitim  (STAND-IN of gitim 7b6e898 for tests)
  ------------------------------------------
  Version: {version}
"""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="gitim",
        description="Clone all repositories of a GitHub user or organisation "
        "(stand-in of gitim 7b6e898, for tests).",
    )
    parser.add_argument("-u", "--user", help="GitHub user name")
    parser.add_argument("-p", "--password", help="GitHub password")
    parser.add_argument("-t", "--token", help="GitHub OAuth token")
    parser.add_argument("-o", "--org", help="organisation (default: the user's own repositories)")
    parser.add_argument("-d", "--dest", help="destination folder, created when missing")
    parser.add_argument("--nopull", action="store_true", help="do not pull existing repositories")
    parser.add_argument("--shallow", action="store_true", help="shallow clones (--depth=1)")
    parser.add_argument("--ssh", action="store_true", help="clone with SSH URLs")
    parser.add_argument("--noforks", action="store_true", help="skip forks")
    return parser


def connect(args):
    # As the pinned gitim: the token positionally, no base URL.
    if args.token:
        return Github(args.token)
    user = args.user or input("Username: ")
    password = args.password or getpass.getpass("Password: ")
    if not args.dest:
        args.dest = input("Destination: ")
    return Github(user, password)


def main():
    print(BANNER.format(version=__version__))
    args = build_parser().parse_args()
    hub = connect(args)
    hub.get_user().login  # the pinned gitim asks for the login first (and fails here on a bad token)

    def under_dest(*parts):
        return os.path.join(args.dest, *parts) if args.dest else os.path.join(*parts)

    if args.dest and not os.path.exists(args.dest):
        os.makedirs(args.dest)
        print('mkdir -p "%s"' % args.dest)

    owner = hub.get_organization(args.org) if args.org else hub.get_user()
    for repo in owner.get_repos():
        if args.noforks and repo.fork:
            print('Repo "%s" is a fork, skipping' % repo.full_name)
            continue
        # The fault kept on purpose: the test looks at DEST/NAME ...
        if not os.path.exists(under_dest(repo.name)):
            url = repo.ssh_url if args.ssh else repo.clone_url
            # ... while the clone goes to DEST/OWNER/NAME.
            target = under_dest(repo.full_name)
            if args.shallow:
                print('Shallow cloning "%s"' % repo.full_name)
                subprocess.call(["git", "clone", "--depth=1", url, target])
            else:
                print('Cloning "%s"' % repo.full_name)
                subprocess.call(["git", "clone", url, target])
        elif not args.nopull:
            print('Updating "%s"' % repo.name)
            # Only GIT_DIR: git takes the current folder as the work tree.
            environment = dict(os.environ)
            environment["GIT_DIR"] = under_dest(repo.name, ".git")
            subprocess.call(["git", "pull"], env=environment)
        else:
            print('Already cloned, skipping...\t"%s"' % repo.full_name)
    print("FIN")


if __name__ == "__main__":
    main()
