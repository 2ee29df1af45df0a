"""restic's backend variables: set in BACKUP_ENV_FILE, they reach restic (and only restic). A
whole backup run into an S3 repository served by moto on loopback; then the S3 endpoint goes away
during a run's snapshot stage: exit 1, one clear line naming the S3 server, and once the endpoint
is back the repository checks, keeps its snapshots and the next run completes.

moto's server keeps its buckets in memory: killed, the repository would be gone. So restic talks
to a TCP relay in front of moto (tests/support/backends.Relay), and the relay is what goes away;
moto, with the bucket, stays (git's children seeing no cloud credential:
tests/integration/git/test_argv.py; the unreachable lines: tests/unit/tools/test_restic.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest
import requests

from tests.github_emulator.truth import truth
from tests.support.backends import (Relay, assert_one_clear_failure, free_port, restic_call, restore_latest,
                                    run_cli, run_stopping_backend, snapshot_trees, stop_process)
from tests.support.cli import ORG, run_backup
from tests.support.truth_compare import compare_org, files_holding


boto3 = pytest.importorskip("boto3")


@dataclass(frozen=True)
class S3Server:
    port: int
    key_id: str
    secret: str

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def s3_server(tmp_path):
    """moto's S3 on a free loopback port, checking credentials: the first three
    requests (an IAM user, its policy, its key) need none, every later one does.
    The key is made at run time."""
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
        yield S3Server(port, key["AccessKeyId"], key["SecretAccessKey"])
    finally:
        stop_process(proc)
        log.close()


@pytest.fixture
def s3_relay(s3_server, tmp_path):
    """The endpoint restic is given: a relay to moto's port, stopped and started again
    on its own port while moto keeps the bucket."""
    relay = Relay(s3_server.port, tmp_path / "relay.log")
    relay.start()
    try:
        yield relay
    finally:
        relay.stop()


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
    endpoint, key_id, secret = s3_server.endpoint, s3_server.key_id, s3_server.secret
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


def test_backup_into_s3_then_the_endpoint_goes_away_mid_run(
        github_emulator, backup_env, s3_server, s3_relay, no_aws_in_process, tmp_path, capsys):
    repository = f"s3:http://127.0.0.1:{s3_relay.port}/orgbackup/repo"
    dotenv = tmp_path / "backup.env"
    dotenv.write_text(f"AWS_ACCESS_KEY_ID={s3_server.key_id}\nAWS_SECRET_ACCESS_KEY={s3_server.secret}\n")
    # Every snapshot kept (retention would keep one a day), so none goes but by failure.
    env = dict(backup_env, RESTIC_REPOSITORY=repository, BACKUP_ENV_FILE=str(dotenv), BACKUP_KEEP_DAILY="0",
               BACKUP_KEEP_WEEKLY="0", BACKUP_KEEP_MONTHLY="0", BACKUP_KEEP_YEARLY="0")
    restic_env = dict(os.environ, RESTIC_REPOSITORY=repository, RESTIC_PASSWORD=env["RESTIC_PASSWORD"],
                      AWS_ACCESS_KEY_ID=s3_server.key_id, AWS_SECRET_ACCESS_KEY=s3_server.secret)
    secrets = [s3_server.secret]

    # A whole run through the relay: restored by restic itself, equal to truth.
    status, out, err = run_cli(env, capsys)
    assert status == 0, out + err
    for secret in secrets:
        assert secret not in out and secret not in err
    first = restore_latest(restic_env, tmp_path / "restore-1", ORG)
    assert compare_org(ORG, truth(github_emulator.root), first) == []
    assert files_holding(tmp_path / "restore-1", s3_server.secret.encode()) == []
    before = snapshot_trees(restic_env)
    assert before

    # The endpoint goes away when the run starts its snapshot: nothing listens on the
    # relay's port, restic is refused at once. Exit 1, one line naming the S3 server.
    started = time.monotonic()
    status, out, err = run_stopping_backend(env, capsys, lambda: s3_relay.stop(signal.SIGKILL))
    text = assert_one_clear_failure(status, out, err, secrets)
    assert "its S3 server did not answer" in text and "connection refused" in text, text
    assert "does not exist" not in text and "Traceback" not in out + err, text
    assert time.monotonic() - started < 90  # restic is refused at once, it does not retry for minutes

    # The endpoint back (moto kept the bucket all along): the repository checks, the
    # snapshots are the same, and the next run completes and restores equal to truth.
    s3_relay.start()
    restic_call(restic_env, "check")
    assert snapshot_trees(restic_env) == before
    status, out, err = run_cli(env, capsys)
    assert status == 0, out + err
    for secret in secrets:
        assert secret not in out and secret not in err
    restic_call(restic_env, "check")
    after = snapshot_trees(restic_env)
    assert set(before) < set(after)
    again = restore_latest(restic_env, tmp_path / "restore-2", ORG)
    assert compare_org(ORG, truth(github_emulator.root), again) == []
