"""Backups a stolen backup host cannot erase (issue 31): one repository folder served twice on
loopback by Debian's `rclone serve restic`, once with `--append-only` (the backup's
credentials: add, never delete) and once with full access (the prune job's), each with its
own basic-auth user made at run time.

- A backup with BACKUP_RETENTION=separate through the append-only server completes (exit 0),
  says that retention is done elsewhere, and restores equal to the emulator's truth; a
  thief's `restic forget` with those credentials deletes nothing (restic's 403 shown).
- `entrypoint.py prune` (orgbackup.cli.main) with the full-access credentials applies the keep
  policy to every organization (snapshots made through the append-only server, dated by
  `restic backup --time`), the BACKUP_PRUNE_KEEP_WITHIN floor keeping what the counts alone
  would forget, and prunes (fewer pack files, `restic check` passes); with the append-only
  credentials it fails naming the snapshots the server refused to delete; with a snapshot
  forged into the future it refuses, exit 1, one line, nothing forgotten.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.github_emulator.truth import truth
from tests.support.backends import RCLONE, RestServer, restic_call, restore_latest, run_cli, run_prune
from tests.support.cli import ORG
from tests.support.restic_versions import trixie_binary, version_of
from tests.support.snapshot import seed
from tests.support.truth_compare import compare_org

pytestmark = pytest.mark.skipif(RCLONE is None, reason="rclone is not installed (apt-get install rclone)")

OTHER_ORG = "Other-Org"


@pytest.fixture
def servers(tmp_path):
    """(append-only, full access): two servers over one folder, two users."""
    append = RestServer(tmp_path, append_only=True, name="rclone-append-only")
    full = RestServer(tmp_path, data=append.data, name="rclone-full")
    started = []
    try:
        for server in (append, full):
            server.start()
            started.append(server)
        yield append, full
    finally:
        for server in started:
            server.stop()


def repository_file(tmp_path: Path, server: RestServer) -> str:
    path = tmp_path / f"repository-{server.port}"
    path.write_text(server.repository + "\n")
    return str(path)


def restic_env_of(server: RestServer, password: str) -> dict[str, str]:
    return dict(os.environ, RESTIC_REPOSITORY=server.repository, RESTIC_PASSWORD=password)


def test_an_append_only_backup_completes_restores_equal_to_truth_and_cannot_be_forgotten(
        github_emulator, backup_env, servers, tmp_path, capsys):
    append, _ = servers
    env = dict(backup_env, RESTIC_REPOSITORY_FILE=repository_file(tmp_path, append), BACKUP_RETENTION="separate")
    del env["RESTIC_REPOSITORY"]
    status, out, err = run_cli(env, capsys)
    assert status == 0, out + err
    org = json.loads(out.strip().splitlines()[-1])["orgs"][0]
    assert org["status"] == "complete" and org["retention"] == "separate" and org["forgotten"] == 0, org
    assert "retention is done elsewhere (BACKUP_RETENTION=separate)" in err
    assert "done elsewhere (BACKUP_RETENTION=separate: the prune job forgets and prunes)" in out
    assert append.password not in out + err

    thief = restic_env_of(append, env["RESTIC_PASSWORD"])
    restored = restore_latest(thief, tmp_path / "restored", ORG)
    assert compare_org(ORG, truth(github_emulator.root), restored) == []

    # The thief forgets the snapshot with the backup's own credentials: the server refuses
    # (restic 0.18, the image's, only warns and exits 0; 0.14 retries the 403 for ~40 s).
    trixie = trixie_binary()
    restic = str(trixie) if version_of(trixie) else "restic"
    [snap] = json.loads(restic_call(thief, "snapshots", "--json", "--no-lock").stdout)
    attempt = restic_call(dict(thief, PATH=f"{Path(restic).parent}{os.pathsep}{os.environ['PATH']}"),
                          "forget", snap["id"], check=False)
    print(f"restic forget with the append-only credentials: exit {attempt.returncode}\n{attempt.stderr}")
    assert "403" in attempt.stderr, attempt.stderr
    assert [s["id"] for s in json.loads(restic_call(thief, "snapshots", "--json", "--no-lock").stdout)] == [snap["id"]]


def listed(env: dict) -> set[str]:
    return {s["short_id"] for s in json.loads(restic_call(env, "snapshots", "--json", "--no-lock").stdout)}


def packs(data: Path) -> int:
    return sum(1 for p in (data / "data").rglob("*") if p.is_file())


def test_prune_with_its_own_credentials_applies_the_policy_above_its_floor_and_refuses_a_future_snapshot(
        servers, tmp_path, capsys, restic_binary, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")  # restic backup --time is local time
    append, full = servers
    password = "test-" + os.urandom(8).hex()
    backup_host = restic_env_of(append, password)
    admin = restic_env_of(full, password)
    restic_call(backup_host, "init")
    now = datetime.now(timezone.utc)
    work = tmp_path / "work"
    kept = {seed(work, backup_host, ORG, now - timedelta(hours=1)),
            seed(work, backup_host, ORG, now - timedelta(days=5)),
            seed(work, backup_host, ORG, now - timedelta(days=20)),  # daily=2 forgets it; the 30d floor keeps it
            seed(work, backup_host, ORG, now - timedelta(days=20, hours=2), complete=False),  # the floor too
            # Its organization's two newest days (the floor counts from them: 100 days apart).
            seed(work, backup_host, OTHER_ORG, now - timedelta(days=100)),
            seed(work, backup_host, OTHER_ORG, now - timedelta(days=200))}
    forgotten = {seed(work, backup_host, ORG, now - timedelta(days=45)),
                 seed(work, backup_host, ORG, now - timedelta(days=60), complete=False),
                 seed(work, backup_host, OTHER_ORG, now - timedelta(days=300))}
    (tmp_path / "none.env").write_text("")
    settings = {"RESTIC_PASSWORD": password, "BACKUP_ENV_FILE": str(tmp_path / "none.env"),
                "BACKUP_CACHE_DIR": str(tmp_path / "cache"), "BACKUP_KEEP_DAILY": "2", "BACKUP_KEEP_WEEKLY": "0",
                "BACKUP_KEEP_MONTHLY": "0", "BACKUP_KEEP_YEARLY": "0"}
    with_full = dict(settings, RESTIC_REPOSITORY_FILE=repository_file(tmp_path, full))
    everything = kept | forgotten

    if restic_binary >= "0.17":  # 0.14 retries each refused delete for ~40 s before failing
        status, out, err = run_prune(dict(settings, RESTIC_REPOSITORY_FILE=repository_file(tmp_path, append)), capsys)
        assert status == 1, out + err
        assert "restic forget: the repository did not delete" in err.strip().splitlines()[-1], err
        assert listed(admin) == everything

    # A snapshot forged into the future (it would carry the keep policy and the floor past the
    # real ones): prune refuses, one line, nothing forgotten.
    future = seed(work, backup_host, ORG, now + timedelta(days=3))
    status, out, err = run_prune(with_full, capsys)
    assert status == 1, out + err
    line = err.strip().splitlines()[-1]
    assert "prune refused, nothing forgotten: 1 snapshot dated in the future" in line and future in line, err
    assert listed(admin) == everything | {future}
    # An administrator forgets it by hand; then prune applies the policy.
    restic_call(admin, "forget", future)

    before = packs(full.data)
    status, out, err = run_prune(with_full, capsys)
    assert status == 0, out + err
    assert listed(admin) == kept
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["event"] == "prune_summary" and summary["keep_within"] == "30d"
    assert {r["org"]: (r["forgotten"], r["incomplete_forgotten"], r["kept"]) for r in summary["orgs"]} == {
        ORG: (2, 1, 4), OTHER_ORG: (1, 0, 2)}
    assert packs(full.data) < before  # restic prune deleted the forgotten snapshots' data
    restic_call(admin, "check")
    assert full.password not in out + err and append.password not in out + err
