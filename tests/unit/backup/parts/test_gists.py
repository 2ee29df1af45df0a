"""A person's gists (orgbackup/backup/parts/gists.py): the clone URL comes from GITHUB_HOST alone,
and only an id of letters and digits becomes a folder."""

from __future__ import annotations

import pytest

from orgbackup.backup.parts.gists import GIST_ID, gist_url


def test_gist_url_is_built_from_the_host_never_from_githubs_answer():
    assert gist_url("github.com", "aa5a315d61ae9438b18d") == "https://gist.github.com/aa5a315d61ae9438b18d.git"
    assert gist_url("ghe.example:8443", "abc123") == "https://ghe.example:8443/gist/abc123.git"


@pytest.mark.parametrize("gist_id, allowed", [("aa5a315d61ae9438b18d", True), ("1234", True), ("../x", False),
                                              ("a/b", False), ("", False), (".git", False), ("a" * 65, False)])
def test_only_letters_and_digits_name_a_gists_folder(gist_id, allowed):
    assert bool(GIST_ID.match(gist_id)) is allowed
