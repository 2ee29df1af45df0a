"""Monitoring of whole runs against the GitHub emulator, with real servers on loopback:
pings recorded by a small HTTP server, metrics read back from Debian's
prometheus-pushgateway (/metrics) and from the textfile, mail received by aiosmtpd.

A complete run, an incomplete one (one repository's git failing), a verify run, a
restore with every monitoring service down (exit status unchanged), a failed run (bad
token), a bad monitoring setting (exit 2 before anything runs) and a configuration error
reported everywhere (the parts alone: tests/unit/monitoring/, tests/integration/monitoring/)."""

from __future__ import annotations

import time

from orgbackup.cli import main
from tests.github_emulator.truth import truth
from tests.support.cli import ORG, run_backup
from tests.support.monitoring import free_port, monitoring_env, read_textfile


LABEL = ORG.lower()  # the metrics' org label


def show(capsys, *what) -> None:
    """For the closing note: what the services received (pytest -s shows it)."""
    with capsys.disabled():
        print(*what)


def assert_nothing_carries(secret: str, ping_recorder, smtp_server) -> None:
    assert secret and all(secret.encode() not in p.everything() for p in ping_recorder.pings)
    assert all(secret.encode() not in m.as_bytes() for _, _, m in smtp_server.messages)


def test_complete_incomplete_verify_and_restore_runs_are_reported(
        github_emulator, backup_env, ping_recorder, pushgateway, smtp_server, tmp_path, capsys):
    token = github_emulator.admin_token_file.read_text().strip()
    metrics_file = tmp_path / "textfile" / "orgbackup.prom"
    metrics_file.parent.mkdir()
    env = dict(backup_env, **monitoring_env(ping_recorder, pushgateway, smtp_server, metrics_file,
                                           "success,incomplete,failure"))
    ping = env["BACKUP_HEALTHCHECK_URL"].removeprefix(ping_recorder.url)
    repositories = len(truth(github_emulator.root)["orgs"][ORG]["repos"])

    # 1. Complete: /start then the success ping with the summary table, metrics, a mail.
    before = time.time()
    status, summary, _ = run_backup(env, capsys)
    assert status == 0, summary
    assert ping_recorder.paths() == [f"{ping}/start", ping]
    body = ping_recorder.pings[1].body.decode()
    assert "organization" in body and ORG in body and '"event": "backup_summary"' in body
    pushed, filed = pushgateway.metrics(), read_textfile(metrics_file)
    for found in (pushed, filed):
        assert found[("orgbackup_run_status", LABEL)] == 0
        assert before <= found[("orgbackup_last_success_timestamp_seconds", LABEL)] <= time.time()
        assert found[("orgbackup_last_run_timestamp_seconds", LABEL)] == found[
            ("orgbackup_last_success_timestamp_seconds", LABEL)]
        assert found[("orgbackup_repositories", LABEL)] == repositories
        assert found[("orgbackup_problems", LABEL)] == 0
        assert found[("orgbackup_bytes_added", LABEL)] > 0
        assert found[("orgbackup_api_requests", LABEL)] > 0
        assert found[("orgbackup_duration_seconds", LABEL)] > 0
    assert pushed == filed  # the same values both ways
    first_success = filed[("orgbackup_last_success_timestamp_seconds", LABEL)]
    complete_id = summary["orgs"][0]["snapshot_id"]
    [(subject, text)] = smtp_server.texts()
    assert subject == f"orgbackup backup complete (exit 0): {ORG}"
    assert f"{ORG}: complete, snapshot {complete_id}" in text
    show(capsys, "pushgateway after the complete run:", pushed)

    # 2. Incomplete: one repository's git fails. /fail, status 3, the last success kept.
    github_emulator.set_faults(git_500_repos=[f"{ORG}/docs"])
    status, summary, _ = run_backup(env, capsys)
    github_emulator.set_faults()
    assert status == 3
    assert ping_recorder.paths()[2:] == [f"{ping}/start", f"{ping}/fail"]
    assert f"{ORG}/docs" in ping_recorder.pings[3].body.decode()
    pushed, filed = pushgateway.metrics(), read_textfile(metrics_file)
    for found in (pushed, filed):
        assert found[("orgbackup_run_status", LABEL)] == 3
        assert found[("orgbackup_problems", LABEL)] >= 1
        assert found[("orgbackup_last_success_timestamp_seconds", LABEL)] == first_success
        assert found[("orgbackup_last_run_timestamp_seconds", LABEL)] > first_success
    subject, text = smtp_server.texts()[1]
    assert subject == f"orgbackup backup INCOMPLETE (exit 3): {ORG}"
    assert f"{ORG}: incomplete" in text and f"{ORG}/docs" in text
    show(capsys, "pushgateway after the incomplete run:", pushed)

    # 3. verify of the complete snapshot: its own series; the backup's stay as they were.
    assert main(["verify", "--snapshot", complete_id], environ=env) == 0
    capsys.readouterr()
    assert ping_recorder.paths()[4:] == [f"{ping}/start", ping]
    assert "verify: passed" in ping_recorder.pings[5].body.decode()
    pushed, filed = pushgateway.metrics(), read_textfile(metrics_file)
    for found in (pushed, filed):
        assert found[("orgbackup_verify_last_success_timestamp_seconds", LABEL)] > first_success
        assert found[("orgbackup_verify_run_status", LABEL)] == 0
        assert found[("orgbackup_run_status", LABEL)] == 3
        assert found[("orgbackup_last_success_timestamp_seconds", LABEL)] == first_success
    assert smtp_server.texts()[2][0] == f"orgbackup verify complete (exit 0): {ORG}"
    show(capsys, "pushgateway after verify:", pushed)
    assert_nothing_carries(token, ping_recorder, smtp_server)
    show(capsys, "pings:", [(p.method, p.path, len(p.body)) for p in ping_recorder.pings])
    show(capsys, "mail received:", smtp_server.texts()[1][0], "\n", smtp_server.texts()[1][1][:600])

    # 4. Every monitoring service down (and the metrics file a folder): the restore's exit
    # status is what it would be without monitoring, and each failure is one warning.
    (tmp_path / "blocked.prom").mkdir()
    down = dict(env, BACKUP_HEALTHCHECK_URL=f"http://127.0.0.1:{free_port()}/ping/x",
                BACKUP_PUSHGATEWAY_URL=f"http://127.0.0.1:{free_port()}",
                BACKUP_METRICS_FILE=str(tmp_path / "blocked.prom"),
                BACKUP_NOTIFY_URLS=f"mailto://127.0.0.1:{free_port()}?from=a@example.org&to=b@example.org",
                BACKUP_NOTIFY_ON="success")
    assert main(["restore", "--target", str(tmp_path / "restored")], environ=down) == 0
    assert (tmp_path / "restored" / ORG / "manifest.json").is_file()
    err = capsys.readouterr().err
    warned = [line.split(" failed, the run's outcome is unchanged")[0].split("WARNING ")[-1].strip()
              for line in err.splitlines() if "the run's outcome is unchanged" in line]
    assert warned == ["healthcheck start ping", "healthcheck ping", f"metrics file {tmp_path / 'blocked.prom'}",
                      "Pushgateway push", "notification"], err


def test_a_bad_token_run_is_reported_as_failed(
        github_emulator, backup_env, ping_recorder, pushgateway, smtp_server, tmp_path, capsys):
    metrics_file = tmp_path / "orgbackup.prom"
    bad_token = "not-a-valid-token-" + tmp_path.name
    (tmp_path / "bad-token").write_text(bad_token + "\n")
    env = dict(backup_env, GITHUB_TOKEN_FILE=str(tmp_path / "bad-token"),
               **monitoring_env(ping_recorder, pushgateway, smtp_server, metrics_file, "failure,incomplete"))
    ping = env["BACKUP_HEALTHCHECK_URL"].removeprefix(ping_recorder.url)
    assert main(["backup"], environ=env) == 1
    assert "GitHub rejected the token" in capsys.readouterr().err
    assert ping_recorder.paths() == [f"{ping}/start", f"{ping}/fail"]
    assert b"GitHub rejected the token" in ping_recorder.pings[1].body
    pushed, filed = pushgateway.metrics(), read_textfile(metrics_file)
    for found in (pushed, filed):
        assert found[("orgbackup_run_status", LABEL)] == 1
        assert ("orgbackup_last_success_timestamp_seconds", LABEL) not in found  # never, not 0
        assert ("orgbackup_repositories", LABEL) not in found  # not counted, not 0
    [(subject, text)] = smtp_server.texts()
    assert subject == "orgbackup backup FAILED (exit 1)" and "GitHub rejected the token" in text
    assert_nothing_carries(bad_token, ping_recorder, smtp_server)
    show(capsys, "pushgateway after the failed run:", pushed)


def test_a_bad_monitoring_setting_exits_2_before_anything_runs(tmp_path, capsys):
    (tmp_path / "none.env").write_text("")
    status = main(["backup"], environ={"BACKUP_ENV_FILE": str(tmp_path / "none.env"), "BACKUP_NOTIFY_ON": "never"})
    assert status == 2
    assert "BACKUP_NOTIFY_ON" in capsys.readouterr().err


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
