"""Monitoring's settings (orgbackup/monitoring/settings.py): the defaults and every bad value."""

from __future__ import annotations

import os

import pytest

from orgbackup.errors import ConfigError
from orgbackup.monitoring import load_monitoring
from orgbackup.monitoring.settings import DEFAULT_NOTIFY_ON


def settings_error(env: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        load_monitoring(env)
    return str(caught.value)


def test_settings_defaults_and_bad_values(tmp_path):
    none_env = {"BACKUP_ENV_FILE": str(tmp_path / "none.env")}
    (tmp_path / "none.env").write_text("")
    settings = load_monitoring(none_env)
    assert not settings.enabled and settings.notify_on == DEFAULT_NOTIFY_ON == ("failure", "incomplete")

    url_file = tmp_path / "ping-url"
    url_file.write_text("https://hc-ping.example.org/" + os.urandom(8).hex() + "\n")
    settings = load_monitoring(dict(none_env, BACKUP_HEALTHCHECK_URL_FILE=str(url_file),
                                    BACKUP_NOTIFY_ON="Success, failure", GITHUB_ORGS="a,B"))
    assert settings.healthcheck_url.reveal() == url_file.read_text().strip()
    assert "hc-ping" not in repr(settings)  # the URL is a credential
    assert settings.notify_on == ("success", "failure") and settings.orgs == ("a", "B")

    assert "unknown word 'sometimes'" in settings_error(dict(none_env, BACKUP_NOTIFY_ON="failure,sometimes"))
    assert "both set" in settings_error(dict(none_env, BACKUP_HEALTHCHECK_URL="https://x.example.org/p",
                                             BACKUP_HEALTHCHECK_URL_FILE=str(url_file)))
    assert "http:// or https://" in settings_error(dict(none_env, BACKUP_PUSHGATEWAY_URL="ftp://x.example.org"))
    assert "*.prom" in settings_error(dict(none_env, BACKUP_METRICS_FILE=str(tmp_path / "metrics.txt")))
    assert "does not exist" in settings_error(dict(none_env, BACKUP_METRICS_FILE=str(tmp_path / "no" / "m.prom")))
    message = settings_error(dict(none_env, BACKUP_NOTIFY_URLS="nosuchservice://secret-value-123"))
    assert "Apprise" in message and "secret-value-123" not in message
