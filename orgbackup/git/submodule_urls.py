"""Submodule URLs, pure: how git resolves a relative submodule URL, what a repository
URL is made of (scheme, host, path), and the folder a mirror of it gets.

No git runs here; tests compare these rules with real git.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

_SAFE_COMPONENT = re.compile(r"^[A-Za-z0-9_.~+-]+$")
_SCP_LIKE = re.compile(r"^(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+):(?P<path>.*)$")


def is_relative_url(url: str) -> bool:
    """git treats a submodule URL as relative only when it starts with ./ or ../"""
    return url.startswith("./") or url.startswith("../")


def _chop_last_dir(remote: str) -> tuple[str, bool]:
    """git's chop_last_dir: drop the last /component (or :component for scp-like URLs)."""
    slash = remote.rfind("/")
    if slash >= 0:
        return remote[:slash], False
    colon = remote.rfind(":")
    if colon >= 0:
        return remote[:colon], True
    raise ValueError(f"cannot strip one component off url '{remote}'")


def resolve_url(base: str, url: str) -> str:
    """The absolute URL of a submodule `url` whose superproject is at `base`.

    The same algorithm as git's `relative_url()` (builtin/submodule--helper.c):
    every leading ../ removes one component of the superproject's URL, ./ is
    skipped, and a `:` separator is kept for scp-like URLs (git@host:owner/x).
    """
    url = url.strip()
    if not is_relative_url(url):
        return url
    remote = base.strip().rstrip("/")
    colonsep = False
    while url:
        if url.startswith("../"):
            url = url[3:]
            remote, chopped_colon = _chop_last_dir(remote)
            colonsep |= chopped_colon
        elif url.startswith("./"):
            url = url[2:]
        else:
            break
    result = f"{remote}{':' if colonsep else '/'}{url}"
    return result.rstrip("/") if url.endswith("/") else result


@dataclass(frozen=True)
class RepoURL:
    """A repository URL taken apart: scheme (https, http, ssh, git, file), host
    (lower case, with :port for http and https), and path (no .git, no slashes
    at either end)."""

    scheme: str
    host: str
    path: str
    original: str  # as written (after relative resolution), credentials removed
    dot_git: bool = False  # the URL's path ended in .git

    @property
    def normalized(self) -> str:
        """The key form: https://host/owner/name."""
        if self.scheme == "file":
            return f"file://{self.path}"
        return f"https://{self.host}/{self.path}"

    @property
    def key(self) -> str:
        return self.normalized.lower()

    @property
    def short(self) -> str:
        """host/owner/name"""
        return f"{self.host}/{self.path}"

    @property
    def owner(self) -> str:
        return self.path.split("/")[0] if "/" in self.path else ""

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def fetchable(self) -> bool:
        """Can be tried with plain git over HTTP(S) (SSH and git:// URLs by their https form)."""
        return self.scheme != "file" and bool(self.host) and bool(self.path)

    def fetch_url(self, github_host: str) -> str:
        """The URL git fetches from: the original for http(s); for ssh and git:// the
        https form (with the GitHub host's port when it is the GitHub host)."""
        suffix = ".git" if self.dot_git else ""
        if self.scheme in ("http", "https"):
            return f"{self.scheme}://{self.host}/{self.path}{suffix}"
        host = github_host if _hostname(self.host) == _hostname(github_host) else self.host
        return f"https://{host}/{self.path}{suffix}"


def _hostname(host: str) -> str:
    return host.lower().split(":", 1)[0]


def parse_url(url: str) -> RepoURL | None:
    """Take an absolute repository URL apart; None when it is not one we understand."""
    url = url.strip()
    if not url or is_relative_url(url) or "::" in url or any(ch.isspace() for ch in url):
        return None  # <transport>::<address> (ext::, fd::) is never fetched
    if "://" in url:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return None
        scheme = parts.scheme.lower()
        if scheme in ("git+ssh", "ssh+git"):
            scheme = "ssh"
        path = parts.path
        if scheme == "file":
            return _local(path, url)
        if scheme not in ("http", "https", "ssh", "git") or not parts.hostname:
            return None
        host = parts.hostname.lower()
        if port and scheme in ("http", "https") and port != (443 if scheme == "https" else 80):
            host = f"{host}:{port}"
        netloc = parts.netloc.rsplit("@", 1)[-1]
        original = f"{parts.scheme}://{netloc}{path}"
    else:
        m = _SCP_LIKE.match(url)
        # git: a ':' before any '/' makes an scp-like SSH URL; anything else is a local path
        if not m or "/" in url.split(":", 1)[0]:
            return _local(url, url)
        scheme, host, path = "ssh", m.group("host").lower(), m.group("path")
        original = f"{m.group('user') + '@' if m.group('user') else ''}{host}:{path}"
    path = path.strip("/")
    dot_git = path.endswith(".git")
    if dot_git:
        path = path[: -len(".git")]
    path = path.rstrip("/")
    if scheme == "ssh" and path.startswith("~"):
        return None
    return RepoURL(scheme, host, path, original, dot_git)


def _local(path: str, original: str) -> RepoURL:
    """A local path or file:// URL (never fetched: not reachable over HTTPS)."""
    path = path.rstrip("/") or "/"
    dot_git = path.endswith(".git")
    return RepoURL("file", "", path[: -len(".git")] if dot_git else path, original, dot_git)


def normalize_url(url: str) -> str:
    """https://host/owner/name for any form of a repository URL (the key to compare by)."""
    parsed = parse_url(url)
    return parsed.normalized if parsed else url.strip().rstrip("/")


def mirror_relpath(url: RepoURL) -> Path | None:
    """dependencies/<host>/<owner>/<name>.git (lower case), or None when a part of the
    URL is not safe as a folder name (.., empty, odd characters)."""
    components = [url.host.replace(":", "_")] + url.path.split("/")
    if not url.path or any(
        c in ("", ".", "..") or not _SAFE_COMPONENT.match(c) for c in components
    ):
        return None
    components = [c.lower() for c in components]
    components[-1] += ".git"
    return Path("dependencies", *components)


def is_excluded(url: RepoURL, patterns) -> bool:
    """fnmatch patterns against the normalised URL, host/owner/name and the URL as written."""
    candidates = {url.normalized.lower(), url.short.lower(), url.original.lower()}
    return any(fnmatch.fnmatchcase(c, p.strip().lower()) for p in patterns for c in candidates)


def in_organization(url: RepoURL, github_host: str, org: str) -> bool:
    """On the GitHub host (port ignored for SSH URLs) and owned by `org` (any case)."""
    if url.scheme in ("http", "https"):
        same_host = url.host == github_host.lower()
    else:
        same_host = _hostname(url.host) == _hostname(github_host)
    return same_host and "/" in url.path and url.owner.lower() == org.lower()
