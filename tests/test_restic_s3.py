"""restic's backend variables: set in BACKUP_ENV_FILE, they reach restic (and only
restic). A whole backup run into an S3 repository served by moto on loopback."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from orgbackup import commands
from orgbackup import git as orgbackup_git
from orgbackup.config import load_config
from orgbackup.secret_files import remove_secret_files, write_secret_files
from tests.github_emulator.world import truth
from tests.helpers_cli import ORG, run_backup
from tests.truth_compare import compare_org

boto3 = pytest.importorskip("boto3")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3_server(tmp_path):
    """moto's S3 on a free loopback port, checking credentials: the first three
    requests (an IAM user, its policy, its key) need none, every later one does.
    Yields (endpoint, access key id, secret key); the key is made at run time."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
    log = open(tmp_path / "moto.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(endpoint + "/moto-api/", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto's server did not start: " + (tmp_path / "moto.log").read_text()[-2000:])
                time.sleep(0.2)
        bootstrap = "bootstrap-" + os.urandom(4).hex()
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id=bootstrap, aws_secret_access_key=bootstrap)
        iam.create_user(UserName="restic")
        iam.put_user_policy(UserName="restic", PolicyName="s3", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="restic")["AccessKey"]
        yield endpoint, key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.fixture
def no_aws_in_process(monkeypatch):
    """No AWS_* of the developer's or CI's environment. A restic that had no keys would
    ask a metadata service for them: the container one, pointed at a closed loopback
    port, is asked before EC2's, so nothing leaves the machine even then."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/")


def test_backup_into_s3_with_credentials_from_the_dotenv_file(
        github_emulator, backup_env, s3_server, no_aws_in_process, tmp_path, capsys):
    endpoint, key_id, secret = s3_server
    dotenv = tmp_path / "backup.env"
    dotenv.write_text(f"AWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}\n")
    env = dict(backup_env, RESTIC_REPOSITORY=f"s3:{endpoint}/orgbackup/repo", BACKUP_ENV_FILE=str(dotenv))
    assert not any(k.startswith("AWS_") for k in env)

    status, summary, _ = run_backup(env, capsys)
    assert status == 0, summary
    snapshot_id = summary["orgs"][0]["snapshot_id"]

    # restic itself, with the keys, sees the snapshot in the bucket and restores it.
    restic_env = dict(os.environ, RESTIC_REPOSITORY=env["RESTIC_REPOSITORY"],
                      RESTIC_PASSWORD=env["RESTIC_PASSWORD"], AWS_ACCESS_KEY_ID=key_id,
                      AWS_SECRET_ACCESS_KEY=secret)
    listed = json.loads(subprocess.run(["restic", "snapshots", "--json", "--no-lock"], env=restic_env,
                                       check=True, capture_output=True, text=True).stdout)
    snap = next(s for s in listed if s["id"].startswith(snapshot_id))
    assert f"org:{ORG}" in snap["tags"] and "complete" in snap["tags"]
    target = tmp_path / "restore"
    subprocess.run(["restic", "restore", snap["id"], "--target", str(target), "--no-lock"],
                   env=restic_env, check=True, capture_output=True)
    assert compare_org(ORG, truth(github_emulator.root), target / ORG) == []
    # The bucket checks credentials: without them restic is refused.
    refused = subprocess.run(["restic", "snapshots", "--no-lock"], capture_output=True, text=True,
                             env=dict(restic_env, AWS_SECRET_ACCESS_KEY="not-" + secret))
    assert refused.returncode != 0


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
        out = commands.run(("git", "-c", "alias.showenv=!env", "showenv"),
                           env=orgbackup_git.git_environment(files), timeout=60).stdout
    finally:
        remove_secret_files(files)
    names = {line.split("=", 1)[0] for line in out.splitlines() if "=" in line}
    assert "GIT_ASKPASS" in names
    assert not {n for n in names if n.startswith(("AWS_", "B2_", "GOOGLE_"))}, names
    assert process_secret not in out and file_secret not in out
