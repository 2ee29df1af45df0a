"""`status` from the restic repository alone: fresh and stale, per organization, exit 0 or 1 (the
command against a real restic repository; the rule itself: tests/unit/actions/test_status.py)."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from orgbackup.tools import restic
from orgbackup.cli import main
from tests.support.snapshot import backup_at


@pytest.fixture
def repository(restic_binary, tmp_path, monkeypatch):
    """A real restic repository with snapshots of two organizations, dated as the test wants
    (with each restic: restic_binary)."""
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    env = {"RESTIC_REPOSITORY": str(tmp_path / "repo"), "RESTIC_PASSWORD": "status-" + os.urandom(6).hex(),
           "BACKUP_ENV_FILE": str(tmp_path / "none.env")}
    (tmp_path / "none.env").write_text("# empty\n")
    restic_env = dict(os.environ, **env)
    subprocess.run(restic.init(), env=restic_env, check=True, capture_output=True)
    cache = tmp_path / "cache"
    for org in ("A", "B"):
        (cache / org).mkdir(parents=True)
        (cache / org / "manifest.json").write_text(json.dumps({"org": org}))
    now = datetime.now(timezone.utc).replace(microsecond=0)
    backup_at(cache, "A", now - timedelta(hours=2), ["org:A", "complete"], restic_env)
    backup_at(cache, "A", now - timedelta(hours=1), ["org:A", "incomplete"], restic_env)
    backup_at(cache, "B", now - timedelta(hours=50), ["org:B", "complete"], restic_env)
    return env


def test_status_fresh_stale_and_json(repository, capsys):
    assert main(["status"], environ=dict(repository, GITHUB_ORGS="A")) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK    A: complete") and "newest" in out and "is incomplete" in out

    # B's only complete snapshot is 50 hours old: the whole status is stale, and says which.
    assert main(["status"], environ=repository) == 1
    out = capsys.readouterr().out
    assert "OK    A:" in out and "STALE B:" in out and "50.0 hours old" in out

    assert main(["status", "--max-age", "72", "--json"], environ=repository) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and [o["org"] for o in report["orgs"]] == ["A", "B"]
    assert main(["status", "--max-age", "1"], environ=dict(repository, GITHUB_ORGS="A")) == 1

    # An organization configured but never backed up is stale too.
    assert main(["status"], environ=dict(repository, GITHUB_ORGS="A,C")) == 1
    assert "STALE C: no complete snapshot" in capsys.readouterr().out


def test_status_argument_and_repository_errors(repository, capsys):
    assert main(["status", "--max-age", "-1"], environ=repository) == 2
    assert main(["status"], environ=dict(repository, RESTIC_PASSWORD="wrong")) == 1
