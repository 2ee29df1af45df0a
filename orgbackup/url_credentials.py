"""A URL without its credentials: the one function github-backup's runner needs from git.py.

Its own module, on the standard library alone, because the runner starts once per
repository (1,000 interpreters on a first run of 1,000 repositories): importing git.py
there also imported the configuration, the secret files and the command runner, about
50 ms of CPU per process.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def without_credentials(url: str) -> str:
    """The URL without any user:password@ part (scp-like SSH URLs are left alone).

    For other schemes (ssh://git@host/...) only a password is removed: the user name
    is no secret there, and SSH needs it.
    """
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    if parts.scheme.lower() not in ("http", "https"):
        if ":" not in userinfo:
            return url
        hostport = f"{userinfo.split(':', 1)[0]}@{hostport}"
    return urlunsplit(parts._replace(netloc=hostport))
