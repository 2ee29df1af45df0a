"""`orgbackup-askpass PROMPT`: the GIT_ASKPASS program git and git-lfs call for credentials.

Installed as a console script so that it runs from the package's own folder:
a temporary folder may be mounted noexec (`--tmpfs /tmp`). Any user name works
with a token; the password is the token, read from ORGBACKUP_TOKEN_FILE.
"""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    prompt = args[0] if args else ""
    if prompt.startswith("Username"):
        print("x-access-token")
        return 0
    path = os.environ.get("ORGBACKUP_TOKEN_FILE")
    if not path:
        print("orgbackup-askpass: ORGBACKUP_TOKEN_FILE is not set", file=sys.stderr)
        return 1
    with open(path, encoding="utf-8") as f:
        print(f.readline().strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
