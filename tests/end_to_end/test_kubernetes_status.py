"""The status CronJob's container (config/kubernetes/): its args and environment run the real
`status` against a real restic repository, without GitHub credentials."""

from __future__ import annotations

from pathlib import Path

from tests.support.kubernetes import BACKUP_JOB, STATUS_JOB, container, one


def container_environ(cronjob: str, root: Path) -> dict[str, str]:
    """What the container sees (ConfigMap, then its env), its paths moved under `root`."""
    environ = dict(one("ConfigMap")["data"])
    environ.update({e["name"]: e["value"] for e in container(cronjob).get("env", [])})
    for name, value in environ.items():
        if value.startswith(("/run/secrets/", "/repository", "/cache")):
            environ[name] = str(root / value.lstrip("/"))
    return environ


def test_the_status_container_reads_the_repository_without_github_credentials(tmp_path, monkeypatch, capsys):
    """The status CronJob's args and environment run the real `status` against a real repository."""
    import os
    import secrets
    import subprocess
    from datetime import datetime, timedelta, timezone

    from orgbackup.tools import restic
    from orgbackup.cli import main
    from tests.support.snapshot import backup_at

    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    environ = container_environ(STATUS_JOB, tmp_path)
    environ["BACKUP_ENV_FILE"] = str(tmp_path / "none.env")
    (tmp_path / "none.env").write_text("# empty\n")
    password = Path(environ["RESTIC_PASSWORD_FILE"])
    password.parent.mkdir(parents=True)
    password.write_text(secrets.token_hex(12) + "\n")
    restic_env = dict(os.environ, RESTIC_REPOSITORY=environ["RESTIC_REPOSITORY"], RESTIC_PASSWORD_FILE=str(password))
    subprocess.run(restic.init(), env=restic_env, check=True, capture_output=True)
    org = environ["GITHUB_ORGS"]
    (tmp_path / "cache" / org).mkdir(parents=True)
    (tmp_path / "cache" / org / "manifest.json").write_text("{}")
    when = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=3)
    backup_at(tmp_path / "cache", org, when, [f"org:{org}", "complete"], restic_env,
              host=environ["BACKUP_HOST_NAME"])
    args = container(STATUS_JOB)["args"]
    assert main(args, environ=environ) == 0, capsys.readouterr()
    assert f"OK    {org}: complete" in capsys.readouterr().out
    # The GitHub token is not mounted in this pod: without the cleared variables, exit 2.
    backup_like = dict(environ, GITHUB_TOKEN_FILE=container_environ(BACKUP_JOB, tmp_path)["GITHUB_TOKEN_FILE"])
    assert main(args, environ=backup_like) == 2
