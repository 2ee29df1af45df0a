"""Whether a failed network git (or Git LFS) is worth another try: pure, from git's own words.

Worth it: the server failed (HTTP 5xx: git's "The requested URL returned error: 500", Git LFS's
"Server error"), or the network did (a connection reset or refused, a timeout, "RPC failed",
"early EOF", the remote end hanging up). Never: the server refused the request (HTTP 4xx, a
refused or missing credential, "Repository not found", Git LFS's "Authorization error"): asking
again with the token would only repeat the refusal (docs/security.md; the credential helper
stops offering it after three). A stalled transfer (git's low-speed limit, the run's watchdog)
is not retried either: it already waited BACKUP_STALL_SECONDS.
"""

from __future__ import annotations

import re

from orgbackup.git.argv import stalled

# The server's or the network's failure, in git's (curl's) and Git LFS's words.
_TRANSIENT = re.compile(
    r"returned error: 5\d\d|\bHTTP 5\d\d|RPC failed|early EOF|unexpected disconnect|"
    r"the remote end hung up unexpectedly|connection reset|connection refused|connection timed out|"
    r"timed out after|i/o timeout|failed to connect|could not connect|recv failure|send failure|"
    r"SSL_read|SSL_ERROR_SYSCALL|GnuTLS recv error|transfer closed with outstanding read data|"
    r"was not closed cleanly|empty reply from server|Server error|"
    r"temporary failure in name resolution",
    re.IGNORECASE,
)
# A refusal, which no retry changes (it wins over the words above: "RPC failed; HTTP 403").
_REFUSED = re.compile(
    r"returned error: 4\d\d|\bHTTP 4\d\d|Authentication failed|could not read (Username|Password)|"
    r"terminal prompts disabled|Invalid username|Authorization error|Client error|"
    r"Repository (or object )?not found|not found|Permission to .* denied|access denied|"
    r"correct access rights|credential",
    re.IGNORECASE,
)


def transient(stderr: str) -> bool:
    """True when git's standard error says the server or the network failed, not the request."""
    return bool(_TRANSIENT.search(stderr)) and not _REFUSED.search(stderr) and not stalled(stderr)


def transient_line(stderr: str) -> str:
    """The line of git's standard error that says what failed (its last line may only be
    "fatal: expected 'packfile'")."""
    lines = [line.strip() for line in stderr.splitlines() if _TRANSIENT.search(line)]
    own = [line for line in lines if line.startswith(("fatal:", "error:"))]  # not the server's "remote: ..."
    return (own or lines or [""])[0]
