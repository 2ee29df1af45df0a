"""Monitoring without a backup: the settings, the ping's URL and body, the textfile's
memory of the last success, the alert rules (promtool), and a configuration error
reported to real servers on loopback (pings, Pushgateway, SMTP)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from orgbackup.tools import process
from orgbackup.cli import main
from orgbackup.errors import ConfigError
from orgbackup.monitoring import load_monitoring
from orgbackup.monitoring import healthcheck, metrics
from orgbackup.monitoring.settings import DEFAULT_NOTIFY_ON
from orgbackup.results import OrgResult, RunResult
from tests.helpers_monitoring import (  # noqa: F401 (fixtures)
    monitoring_env, ping_recorder, pushgateway, read_textfile, smtp_server,
)

ROOT = Path(__file__).resolve().parent.parent
ALERTS = ROOT / "config" / "prometheus" / "alerts.yml"
ALERTS_TEST = ROOT / "tests" / "prometheus" / "alerts_test.yml"


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


def test_a_bad_monitoring_setting_exits_2_before_anything_runs(tmp_path, capsys):
    (tmp_path / "none.env").write_text("")
    status = main(["backup"], environ={"BACKUP_ENV_FILE": str(tmp_path / "none.env"), "BACKUP_NOTIFY_ON": "never"})
    assert status == 2
    assert "BACKUP_NOTIFY_ON" in capsys.readouterr().err


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


def result(command: str, status: int, *orgs: OrgResult, seconds: float = 12.5) -> RunResult:
    return RunResult(command, status, seconds=seconds, orgs=list(orgs), summary="the summary", api_requests=40)


def test_the_textfile_keeps_the_last_success_and_the_other_commands_series(tmp_path):
    path = tmp_path / "orgbackup.prom"
    complete = OrgResult("Acme", "complete", repositories=7, bytes_added=2048, snapshot_id="abcd1234")
    metrics.write_textfile(path, metrics.run_samples(result("backup", 0, complete, OrgResult("Other", "complete")), 1000.0))
    first = read_textfile(path)
    assert first[("orgbackup_last_success_timestamp_seconds", "acme")] == 1000.0
    assert first[("orgbackup_repositories", "acme")] == 7 and first[("orgbackup_bytes_added", "acme")] == 2048
    assert first[("orgbackup_api_requests", "acme")] == 40 and first[("orgbackup_duration_seconds", "acme")] == 12.5

    # Acme fails, Other is complete: Acme's last success stays at 1000 (not 0), Other's moves on.
    failed = OrgResult("Acme", "failed", problems=["GitHub said no"])
    metrics.write_textfile(path, metrics.run_samples(result("backup", 1, failed, OrgResult("Other", "complete")), 2000.0))
    second = read_textfile(path)
    assert second[("orgbackup_last_success_timestamp_seconds", "acme")] == 1000.0
    assert second[("orgbackup_last_run_timestamp_seconds", "acme")] == 2000.0
    assert second[("orgbackup_run_status", "acme")] == 1 and second[("orgbackup_problems", "acme")] == 1
    assert second[("orgbackup_run_status", "other")] == 0
    assert second[("orgbackup_last_success_timestamp_seconds", "other")] == 2000.0

    # A run that ends before any organization (bad token): every organization of GITHUB_ORGS failed.
    early = RunResult("backup", 1, seconds=0.4, summary="GitHub rejected the token")
    metrics.write_textfile(path, metrics.run_samples(early, 2500.0, ("acme", "Other")))
    third = read_textfile(path)
    assert third[("orgbackup_run_status", "other")] == 1
    assert third[("orgbackup_last_success_timestamp_seconds", "other")] == 2000.0
    assert third[("orgbackup_repositories", "acme")] == second[("orgbackup_repositories", "acme")]  # not counted

    # A verify run writes its own series and leaves the backup's as they were.
    metrics.write_textfile(path, metrics.run_samples(result("verify", 0, OrgResult("Acme", "complete")), 3000.0))
    fourth = read_textfile(path)
    assert fourth[("orgbackup_verify_last_success_timestamp_seconds", "acme")] == 3000.0
    assert fourth[("orgbackup_verify_run_status", "acme")] == 0
    assert fourth[("orgbackup_run_status", "acme")] == 1
    assert fourth[("orgbackup_last_success_timestamp_seconds", "acme")] == 1000.0
    assert not list(tmp_path.glob("orgbackup.prom.*"))  # no temporary file left behind
    # The file is what node_exporter reads: promtool checks its format.
    if shutil.which("promtool"):
        check = subprocess.run(["promtool", "check", "metrics"], input=path.read_text(),
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_a_complete_org_in_a_failed_run_takes_the_run_status_only_when_no_org_explains_it():
    complete = OrgResult("a", "complete")
    # verify after backup failed: nothing in the organizations says why, so the run's status stands
    assert metrics.run_samples(result("backup", 1, complete), 1.0)["orgbackup_run_status"] == {"a": 1.0}
    both = metrics.run_samples(result("backup", 1, complete, OrgResult("b", "failed")), 1.0)
    assert both["orgbackup_run_status"] == {"a": 0.0, "b": 1.0}


def test_alert_rules_pass_promtool():
    check = subprocess.run(["promtool", "check", "rules", str(ALERTS)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 6 rules found" in check.stdout
    unit = subprocess.run(["promtool", "test", "rules", str(ALERTS_TEST)], capture_output=True, text=True)
    assert unit.returncode == 0, unit.stdout + unit.stderr


def test_a_configuration_error_is_reported_everywhere(ping_recorder, pushgateway, smtp_server, tmp_path, capsys):
    (tmp_path / "none.env").write_text("")
    metrics_file = tmp_path / "orgbackup.prom"
    env = {
        "BACKUP_ENV_FILE": str(tmp_path / "none.env"),
        "GITHUB_ORGS": "Acme",
        **monitoring_env(ping_recorder, pushgateway, smtp_server, metrics_file, "failure"),
    }  # no token, no restic repository
    assert main(["backup"], environ=env) == 2
    ping_path = env["BACKUP_HEALTHCHECK_URL"].removeprefix(ping_recorder.url)
    assert ping_recorder.paths() == [f"{ping_path}/start", f"{ping_path}/fail"]
    assert b"GITHUB_TOKEN (or GITHUB_TOKEN_FILE) is required" in ping_recorder.pings[1].body
    assert read_textfile(metrics_file)[("orgbackup_run_status", "acme")] == 2
    assert pushgateway.metrics()[("orgbackup_run_status", "acme")] == 2
    [(subject, body)] = smtp_server.texts()
    assert "FAILED (exit 2)" in subject and "GITHUB_TOKEN" in body
