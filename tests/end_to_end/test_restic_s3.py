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
import time

import pytest

from tests.github_emulator.truth import truth
from tests.support.backends import (Relay, assert_one_clear_failure, restic_call, restore_latest, run_cli,
                                    run_stopping_backend, snapshot_trees)
from tests.support.cli import ORG, run_backup
from tests.support.s3 import ALL_OF_S3, moto_s3
from tests.support.truth_compare import compare_org, files_holding


boto3 = pytest.importorskip("boto3")


@pytest.fixture
def s3_server(tmp_path):
    """moto's S3 on a free loopback port, checking credentials: one IAM user, `restic`, allowed
    everything (tests/support/s3.py). The key is made at run time."""
    with moto_s3(tmp_path, {"restic": ALL_OF_S3}) as server:
        yield server


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


def test_backup_into_s3_with_credentials_from_the_dotenv_file(
        github_emulator, backup_env, s3_server, no_aws_in_process, tmp_path, capsys):
    endpoint, key = s3_server.endpoint, s3_server.keys["restic"]
    key_id, secret = key.key_id, key.secret
    dotenv = tmp_path / "backup.env"
    dotenv.write_text(key.dotenv())
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
    key = s3_server.keys["restic"]
    dotenv = tmp_path / "backup.env"
    dotenv.write_text(key.dotenv())
    # Every snapshot kept (retention would keep one a day), so none goes but by failure.
    env = dict(backup_env, RESTIC_REPOSITORY=repository, BACKUP_ENV_FILE=str(dotenv), BACKUP_KEEP_DAILY="0",
               BACKUP_KEEP_WEEKLY="0", BACKUP_KEEP_MONTHLY="0", BACKUP_KEEP_YEARLY="0")
    restic_env = dict(os.environ, RESTIC_REPOSITORY=repository, RESTIC_PASSWORD=env["RESTIC_PASSWORD"],
                      **key.environ())
    secrets = [key.secret]

    # A whole run through the relay: restored by restic itself, equal to truth.
    status, out, err = run_cli(env, capsys)
    assert status == 0, out + err
    for secret in secrets:
        assert secret not in out and secret not in err
    first = restore_latest(restic_env, tmp_path / "restore-1", ORG)
    assert compare_org(ORG, truth(github_emulator.root), first) == []
    assert files_holding(tmp_path / "restore-1", key.secret.encode()) == []
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
