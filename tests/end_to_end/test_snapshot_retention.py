"""The snapshot's tag follows the run's final outcome, and retention runs after every run: a file
restic cannot read gives an incomplete snapshot, and retention still runs (real restic, the
emulator; the keep policy itself: tests/integration/backup/stages/test_snapshot.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.support.cli import ORG, restic_env, run_backup, snapshots
from tests.support.snapshot import backup_at


@pytest.fixture
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")


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
