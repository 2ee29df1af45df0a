"""The process runner (orgbackup/tools/process.py), without running anything: the environment a
child gets (tests/integration/tools/test_process.py runs programs)."""

from __future__ import annotations

from orgbackup.tools import process


def test_the_run_environment_sits_between_ours_and_a_calls_own(monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", "/ours")
    monkeypatch.setenv("GIT_SSL_CAINFO", "/ours")
    process.set_run_environment({"SSL_CERT_FILE": "/run", "GIT_SSL_CAINFO": "/run"})
    try:
        env = process.child_environment({"GIT_SSL_CAINFO": "/call"})
        assert (env["SSL_CERT_FILE"], env["GIT_SSL_CAINFO"]) == ("/run", "/call")
    finally:
        process.clear_run_environment()
    assert process.child_environment()["SSL_CERT_FILE"] == "/ours"
