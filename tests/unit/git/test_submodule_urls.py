"""Submodule URLs (orgbackup/git/submodule_urls.py): resolution, normalisation, parsing, the
mirror's path, exclusion, the organization's own (checked against git itself:
tests/integration/git/test_submodule_urls.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orgbackup.git.submodule_urls import in_organization, is_excluded, mirror_relpath, normalize_url, parse_url, resolve_url
from tests.support.dependencies import RELATIVE_CASES


@pytest.mark.parametrize("base,url,expected", RELATIVE_CASES)
def test_resolve_url(base, url, expected):
    assert resolve_url(base, url) == expected


def test_resolve_url_cannot_climb_above_the_host():
    with pytest.raises(ValueError):
        resolve_url("repo", "../../x")


@pytest.mark.parametrize("url,expected", [
    ("https://github.com/Owner/Repo.git", "https://github.com/Owner/Repo"),
    ("https://github.com/Owner/Repo/", "https://github.com/Owner/Repo"),
    ("git@github.com:Owner/Repo.git", "https://github.com/Owner/Repo"),
    ("ssh://git@GitHub.com:22/owner/x", "https://github.com/owner/x"),
    ("git+ssh://git@github.com/owner/x.git", "https://github.com/owner/x"),
    ("git://example.org/owner/x.git", "https://example.org/owner/x"),
    ("https://user:secret-token@gitlab.com/g/sub/p.git", "https://gitlab.com/g/sub/p"),
    ("https://h.example:443/o/x", "https://h.example/o/x"),
    ("https://localhost:8443/o/x.git", "https://localhost:8443/o/x"),
    ("http://h.example/o/x", "https://h.example/o/x"),
])
def test_normalize_url(url, expected):
    assert normalize_url(url) == expected


def test_parse_url_details():
    url = parse_url("https://user:secret-token@gitlab.com/g/sub/p.git")
    assert "secret-token" not in url.original and url.dot_git
    assert url.fetch_url("github.com") == "https://gitlab.com/g/sub/p.git"
    assert (url.owner, url.name, url.short) == ("g", "p", "gitlab.com/g/sub/p")
    ssh = parse_url("git@localhost:o/x.git")
    assert ssh.fetch_url("localhost:8443") == "https://localhost:8443/o/x.git"
    assert parse_url("git@github.com:o/x").fetch_url("ghe.example") == "https://github.com/o/x"
    for local in ("/srv/git/x.git", "file:///srv/git/x.git", "./x", "sub/dir:x"):
        parsed = parse_url(local)
        assert parsed is None or (parsed.scheme == "file" and not parsed.fetchable)
    assert parse_url("ext::sh -c touch% /tmp/pwned") is None
    assert parse_url("") is None


def test_mirror_relpath():
    assert mirror_relpath(parse_url("https://github.com/Owner/Repo.git")) == Path(
        "dependencies/github.com/owner/repo.git")
    assert mirror_relpath(parse_url("https://localhost:8443/a/b")) == Path("dependencies/localhost_8443/a/b.git")
    assert mirror_relpath(parse_url("https://gitlab.com/g/sub/p")) == Path("dependencies/gitlab.com/g/sub/p.git")
    assert mirror_relpath(parse_url("https://h.example/../../etc/x")) is None
    assert mirror_relpath(parse_url("https://h.example/o/we$ird")) is None


def test_is_excluded():
    url = parse_url("git@github.com:BigCorp/Huge-Assets.git")
    assert is_excluded(url, ["github.com/bigcorp/*"])
    assert is_excluded(url, ["https://github.com/*/huge-*"])
    assert not is_excluded(url, ["gitlab.com/*", "github.com/other/*"])


def test_in_organization():
    assert in_organization(parse_url("https://localhost:8443/v-sekai/x.git"), "localhost:8443", "V-Sekai")
    assert not in_organization(parse_url("https://localhost:9999/V-Sekai/x.git"), "localhost:8443", "V-Sekai")
    assert in_organization(parse_url("git@github.com:V-Sekai/x.git"), "github.com", "V-Sekai")
    assert not in_organization(parse_url("https://github.com/V-Sekai-fork/x"), "github.com", "V-Sekai")
    assert not in_organization(parse_url("https://gitlab.com/V-Sekai/x"), "github.com", "V-Sekai")
