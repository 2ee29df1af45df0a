"""The system's certificate store, and an environment that trusts only it: a GitHub behind an
internal CA (the emulator's) is then reached only through GITHUB_CA_BUNDLE(_FILE) (the fixture
`system_trust_only` in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CA_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO")


def trust_only_the_system(monkeypatch) -> None:
    """Every CA variable of the environment points at the system's store (skip without one)."""
    if not SYSTEM_BUNDLE.is_file():
        pytest.skip(f"{SYSTEM_BUNDLE} (Debian's ca-certificates) is not installed")
    for name in CA_VARIABLES:
        monkeypatch.setenv(name, str(SYSTEM_BUNDLE))
