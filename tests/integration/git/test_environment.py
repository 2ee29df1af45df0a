"""git's environments (orgbackup/git/environment.py) as git itself reads them: ssh gives up on a dead
connection after the stall budget; git's children get no cloud credential (AWS_*, B2_*, GOOGLE_*)."""

from __future__ import annotations

import os

from orgbackup.config.secret_files import remove_secret_files, write_secret_files
from orgbackup.config.settings import load_config
from orgbackup.git.environment import git_environment, ssh_command
from orgbackup.tools import process
from tests.support.cli import ORG


def test_ssh_gives_up_on_a_dead_connection_after_the_stall_budget(tmp_path):
    import subprocess

    assert ssh_command(600) == "ssh -o ServerAliveInterval=15 -o ServerAliveCountMax=40"
    assert ssh_command(3) == "ssh -o ServerAliveInterval=3 -o ServerAliveCountMax=1"

    class Files:
        credential_helper, token_file = tmp_path / "helper", tmp_path / "token"
        credential_host, credential_owners, credential_log = "github.com", ("example-org",), None

    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1", **git_environment(Files, 600)}
    shown = subprocess.run(("git", "config", "core.sshCommand"), env=env, capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == ssh_command(600)


def test_git_children_get_no_cloud_credentials(tmp_path, monkeypatch, hermetic_git_env):
    """AWS_* in the process environment and in the dotenv file: a git child process sees
    none of them (git's `!` alias runs `env` as git's own child)."""
    process_secret = "process-" + os.urandom(8).hex()
    file_secret = "dotenv-" + os.urandom(8).hex()
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", process_secret)
    monkeypatch.setenv("B2_ACCOUNT_KEY", process_secret)
    dotenv = tmp_path / "backup.env"
    dotenv.write_text(f"AWS_ACCESS_KEY_ID={file_secret}\nGOOGLE_APPLICATION_CREDENTIALS=/k.json\n")
    config = load_config({"GITHUB_ORGS": ORG, "GITHUB_TOKEN": "token-" + os.urandom(8).hex(),
                          "RESTIC_REPOSITORY": str(tmp_path / "repo"), "RESTIC_PASSWORD": "pw-" + os.urandom(8).hex(),
                          "BACKUP_CACHE_DIR": str(tmp_path / "cache"), "BACKUP_ENV_FILE": str(dotenv),
                          "AWS_SECRET_ACCESS_KEY": process_secret})
    assert set(config.restic_backend) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GOOGLE_APPLICATION_CREDENTIALS"}
    (tmp_path / "secrets").mkdir()
    files = write_secret_files(config, str(tmp_path / "secrets"))
    try:
        out = process.run(("git", "-c", "alias.showenv=!env", "showenv"),
                           env=git_environment(files), timeout=60).stdout
    finally:
        remove_secret_files(files)
    names = {line.split("=", 1)[0] for line in out.splitlines() if "=" in line}
    assert "GIT_ASKPASS" in names
    assert not {n for n in names if n.startswith(("AWS_", "B2_", "GOOGLE_"))}, names
    assert process_secret not in out and file_secret not in out
