"""The snapshot's tag follows the run's final outcome, and retention runs after every
run: the keep policy over complete snapshots, superseded old incomplete ones forgotten.
Real restic throughout; the retention cases make their snapshots with `restic backup --time`."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from orgbackup.tools import restic, restic_output
from orgbackup.config.settings import Config, Retention
from orgbackup.config.readers import Secret
from orgbackup.backup.context import RunContext
from orgbackup.config.secret_files import remove_secret_files, write_secret_files
from orgbackup.backup.stages import snapshot
from tests.helpers_cli import ORG, restic_env, run_backup, snapshots
from tests.helpers_snapshot import backup_at

HOST = "github-org-backup"


def listed(env: dict) -> dict[str, tuple[str, ...]]:
    out = subprocess.run(restic.snapshots(), env=env, check=True, capture_output=True, text=True).stdout
    return {s.short_id: s.tags for s in restic_output.parse_snapshots(out)}


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


def test_keep_policy_sees_complete_snapshots_and_old_incomplete_ones_go(restic_binary, tmp_path, utc, monkeypatch):
    """Old code: one `forget --tag org:A --keep-daily 1` kept the newest snapshot, an
    incomplete one, and forgot the complete one of the day before."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = Config(orgs=("A",), token=Secret("unused-token"),
                    restic_repository=Secret(str(tmp_path / "repo")),
                    restic_password=Secret("retention-" + os.urandom(6).hex()),
                    cache_dir=tmp_path / "cache", host_name=HOST,
                    retention=Retention(daily=1, weekly=0, monthly=0, yearly=0, incomplete_days=14))
    (tmp_path / "secrets").mkdir()
    files = write_secret_files(config, str(tmp_path / "secrets"))
    try:
        env = dict(os.environ, **restic.restic_environment(files))
        subprocess.run(restic.init(), env=env, check=True, capture_output=True)
        for org in ("A", "B"):
            (tmp_path / "cache" / org).mkdir(parents=True)
            (tmp_path / "cache" / org / "manifest.json").write_text(f'{{"org": "{org}"}}\n')
        now = datetime.now(timezone.utc).replace(microsecond=0)
        day = timedelta(days=1)
        cwd = tmp_path / "cache"
        c_old = backup_at(cwd, "A", now - 40 * day, ["org:A", "complete"], env)
        i_superseded = backup_at(cwd, "A", now - 30 * day, ["org:A", "incomplete"], env)
        i_young = backup_at(cwd, "A", now - 3 * day, ["org:A", "incomplete"], env)
        c_new = backup_at(cwd, "A", now - 2 * day, ["org:A", "complete"], env)
        i_newest = backup_at(cwd, "A", now - timedelta(hours=1), ["org:A", "incomplete"], env)
        # Another organization with only old incomplete snapshots: nothing supersedes them.
        b_only = backup_at(cwd, "B", now - 60 * day, ["org:B", "incomplete"], env)

        ctx = RunContext(config=config, files=files, api=None, started="")
        assert snapshot.apply_retention(ctx, "A", now=now) == 2
        assert set(listed(env)) == {c_new, i_young, i_newest, b_only}
        assert {c_old, i_superseded}.isdisjoint(listed(env))
        # B's own retention leaves its only snapshots alone.
        assert snapshot.apply_retention(ctx, "B", now=now) == 0
        assert b_only in listed(env)
    finally:
        remove_secret_files(files)


@pytest.fixture
def restic_without_root_reads(restic_binary, tmp_path, monkeypatch):
    """Tests run as root, which reads every file whatever its mode. This `restic` on PATH
    runs the real restic without the two capabilities that let root do so, so a chmod 000
    file is unreadable to it as to any user (restic then exits 3). With each restic
    (restic_binary): 0.18 reports the unreadable file as JSON."""
    real = shutil.which("restic")
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("setpriv (util-linux) is needed to run restic without root's read rights")
        shim = tmp_path / "restic-bin" / "restic"
        shim.parent.mkdir()
        drop = "-dac_override,-dac_read_search"
        shim.write_text(f'#!/bin/sh\nexec setpriv --bounding-set={drop} --inh-caps={drop} {real} "$@"\n')
        shim.chmod(0o755)
        monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ['PATH']}")


def test_unreadable_file_gives_an_incomplete_snapshot_and_retention_still_runs(
        github_emulator, backup_env, restic_without_root_reads, tmp_path, capsys, utc):
    """restic exit 3 after a run that found no problem: the snapshot is retagged incomplete
    and the report names it. Retention runs although the run is incomplete: the incomplete
    snapshot of 30 days ago goes (a newer complete one exists), that complete one stays."""
    env = backup_env
    renv = restic_env(env)
    subprocess.run(["restic", "init"], env=renv, check=True, capture_output=True)
    seed = tmp_path / "seed"
    (seed / ORG).mkdir(parents=True)
    (seed / ORG / "manifest.json").write_text("{}\n")
    now = datetime.now(timezone.utc)
    complete_before = backup_at(seed, ORG, now - timedelta(days=20), [f"org:{ORG}", "complete"], renv)
    incomplete_before = backup_at(seed, ORG, now - timedelta(days=30), [f"org:{ORG}", "incomplete"], renv)

    locked = Path(env["BACKUP_CACHE_DIR"]) / ORG / "unreadable.bin"
    locked.parent.mkdir(parents=True)
    locked.write_bytes(b"restic cannot read this\n")
    locked.chmod(0)

    status, summary, _ = run_backup(env, capsys)
    assert status == 3, summary
    org = summary["orgs"][0]
    assert org["status"] == "incomplete"
    assert any("could not be read" in p for p in org["problem_list"]), org["problem_list"]
    after = {s["short_id"]: s for s in snapshots(env)}
    newest = next(s for i, s in after.items() if s["id"].startswith(org["snapshot_id"]))
    assert "incomplete" in newest["tags"] and "complete" not in newest["tags"]
    assert newest.get("original")  # the id restic printed was rewritten by `restic tag`
    assert complete_before in after and incomplete_before not in after
