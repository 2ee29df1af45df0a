"""A URL without its credentials, and whether a URL may receive the token: what github-backup's
runner needs from the git and GitHub modules.

Its own module, on the standard library alone, because the runner starts once per
repository (1,000 interpreters on a first run of 1,000 repositories): importing git/argv.py
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


def origin(url: str) -> str:
    """scheme://host[:port] in lower case, without the scheme's own port ('' when not a URL)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    if not parts.scheme or not parts.hostname:
        return ""
    scheme = parts.scheme.lower()
    default = {"https": 443, "http": 80}.get(scheme)
    return f"{scheme}://{parts.hostname.lower()}" + (f":{port}" if port and port != default else "")


def token_may_go_to(url: str, api_url: str) -> bool:
    """Whether a request to `url` may carry the token: only GitHub's API over https (the API
    URL's origin; for github.com also its uploads host). A URL in an API answer (an asset's,
    a Link header's) that names another host gets no token (docs/security.md)."""
    allowed = {origin(api_url)}
    if origin(api_url) == "https://api.github.com":
        allowed.add("https://uploads.github.com")
    return url.lower().startswith("https://") and origin(url) in allowed
