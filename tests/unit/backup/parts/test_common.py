"""What the metadata parts share (orgbackup/backup/parts/common.py): a refusal is a skip, a spent
rate limit or a 5xx is not."""

from __future__ import annotations

from orgbackup.github.api import GitHubError
from orgbackup.backup.parts.common import skip_reason as refusal


def test_refusal_is_a_skip_but_a_spent_rate_limit_or_5xx_is_not():
    assert refusal(GitHubError("GitHub answered HTTP 403 for x", 403), "settings: deploy-keys") \
        == "settings: deploy-keys: needs more access than the token has (HTTP 403)"
    assert refusal(GitHubError("GitHub answered HTTP 404 for x", 404), "settings: keys").endswith("(HTTP 404)")
    assert refusal(GitHubError("GitHub's rate limit is spent until 04:00:00 UTC", 403), "x") is None
    assert refusal(GitHubError("GitHub answered HTTP 502 for x", 502), "x") is None
    assert refusal(GitHubError("GitHub did not answer x: ConnectionError"), "x") is None
