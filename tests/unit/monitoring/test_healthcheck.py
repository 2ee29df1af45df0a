"""The dead man's switch (orgbackup/monitoring/healthcheck.py): the ping's URL and body."""

from __future__ import annotations

import os

from orgbackup.tools import process
from orgbackup.monitoring import healthcheck


def test_ping_url_and_body():
    assert healthcheck.ping_url("https://hc.example.org/ping/abc", "start") == "https://hc.example.org/ping/abc/start"
    assert healthcheck.ping_url("https://hc.example.org/ping/abc/", "fail") == "https://hc.example.org/ping/abc/fail"
    # Uptime Kuma's push URL carries its parameters in the query: the suffix goes before it.
    assert (healthcheck.ping_url("https://kuma.example.org/api/push/T0k?status=up", "fail")
            == "https://kuma.example.org/api/push/T0k/fail?status=up")
    assert healthcheck.ping_url("https://hc.example.org/ping/abc", "") == "https://hc.example.org/ping/abc"

    secret = "ghp_" + os.urandom(18).hex()
    process.register_secret(secret)
    long_summary = f"token {secret}\n" + "é" * 20_000  # two bytes a character: the cut falls inside one
    body = healthcheck.ping_body(long_summary)
    assert len(body) <= healthcheck.BODY_LIMIT
    text = body.decode("utf-8")  # still valid UTF-8
    assert secret not in text and text.startswith("token ***") and text.endswith("[... truncated]\n")
    assert healthcheck.ping_body("short") == b"short"
