"""GitHub URLs (orgbackup/github/urls.py): remote URLs without credentials."""

from __future__ import annotations

import secrets

import pytest

from orgbackup.backup.stages import scrub
from orgbackup.github.urls import without_credentials


TOKEN = "ghp_" + secrets.token_hex(18)  # made at run time, never committed


@pytest.mark.parametrize(
    "url, clean",
    [
        (f"https://{TOKEN}:x-oauth-basic@github.com/o/r.git", "https://github.com/o/r.git"),
        (f"https://{TOKEN}@ghe.example:8443/o/r.wiki.git", "https://ghe.example:8443/o/r.wiki.git"),
        ("http://user:pa%40ss@host/o/r.git", "http://host/o/r.git"),
        ("https://github.com/o/r.git", "https://github.com/o/r.git"),
        ("ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git"),
        ("ssh://git:secret@github.com/o/r.git", "ssh://git@github.com/o/r.git"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),
        ("/srv/git/r.git", "/srv/git/r.git"),
    ],
    # ids without the run's token: the same names in every pytest-xdist worker
    ids=["token-as-user", "token-enterprise-wiki", "user-and-password", "plain", "ssh", "ssh-password",
         "scp-like", "local-path"],
)
def test_url_without_credentials(url, clean):
    assert without_credentials(url) == clean
    assert scrub.has_credentials(url) == (url != clean)
