"""restic's REST backend: Debian's `rclone serve restic` on loopback, with basic auth made
at run time. A whole backup run into it, restored and compared with the emulator's truth;
then the server goes away during a run's snapshot stage: exit 1, one clear line, and once
the server is back on the same folder the repository checks, keeps its snapshots and the
next run completes.

The credentials reach the product only in a URL in RESTIC_REPOSITORY_FILE: restic 0.14
(Debian bookworm) reads no RESTIC_REST_USERNAME/PASSWORD (0.17+ does), a URL works with
every version."""

from __future__ import annotations

import os
import signal

import pytest

from tests.github_emulator.truth import truth
from tests.support.backends import (RCLONE, RestServer, assert_one_clear_failure, restic_call, restore_latest,
                                    run_cli, run_stopping_backend, snapshot_trees)
from tests.support.cli import ORG
from tests.support.truth_compare import compare_org, files_holding

pytestmark = pytest.mark.skipif(RCLONE is None, reason="rclone is not installed (apt-get install rclone)")


@pytest.fixture
def rest_server(tmp_path):
    server = RestServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_backup_into_rest_then_the_server_goes_away_mid_run(
        github_emulator, backup_env, rest_server, tmp_path, capsys):
    server = rest_server
    repository_file = tmp_path / "restic-repository"
    repository_file.write_text(server.repository + "\n")
    # Every snapshot kept (retention would keep one a day), so none goes but by failure.
    env = dict(backup_env, RESTIC_REPOSITORY_FILE=str(repository_file), BACKUP_KEEP_DAILY="0",
               BACKUP_KEEP_WEEKLY="0", BACKUP_KEEP_MONTHLY="0", BACKUP_KEEP_YEARLY="0")
    del env["RESTIC_REPOSITORY"]
    restic_env = dict(os.environ, RESTIC_REPOSITORY=server.repository, RESTIC_PASSWORD=env["RESTIC_PASSWORD"])
    # The password is masked everywhere; the user name (not a secret, restic itself shows
    # it) may appear in the run's messages, never in the snapshot.
    secrets = [server.password]

    # A whole run into the REST repository: restored by restic itself, equal to truth,
    # the credentials in neither the run's output nor the restored tree.
    status, out, err = run_cli(env, capsys)
    assert status == 0, out + err
    assert (server.data / "config").is_file() and any((server.data / "snapshots").iterdir())
    for secret in secrets:
        assert secret not in out and secret not in err
    expected = truth(github_emulator.root)
    first = restore_latest(restic_env, tmp_path / "restore-1", ORG)
    assert compare_org(ORG, expected, first) == []
    for secret in (server.password, server.user):
        assert files_holding(tmp_path / "restore-1", secret.encode()) == []
    # The server checks the credentials.
    refused = restic_call(dict(restic_env, RESTIC_REPOSITORY=server.repository.replace(server.password, "wrong")),
                          "snapshots", "--no-lock", check=False)
    assert refused.returncode != 0
    before = snapshot_trees(restic_env)

    # The server is killed when the run starts its snapshot: exit 1, one clear line.
    status, out, err = run_stopping_backend(env, capsys, lambda: server.stop(signal.SIGKILL))
    assert_one_clear_failure(status, out, err, secrets)

    # Back on the same folder and port: the repository is intact, the snapshots are
    # there, and the next run completes and restores equal to truth.
    server.start()
    restic_call(restic_env, "check")
    assert snapshot_trees(restic_env) == before
    status, out, err = run_cli(env, capsys)
    assert status == 0, out + err
    restic_call(restic_env, "check")
    after = snapshot_trees(restic_env)
    assert set(before) < set(after)
    again = restore_latest(restic_env, tmp_path / "restore-2", ORG)
    assert compare_org(ORG, truth(github_emulator.root), again) == []
