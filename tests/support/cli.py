"""Running the real CLI's backup against the emulator and reading back what it stored
(for the end-to-end tests; the `backup_env` fixture in conftest.py gives the configuration)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from pathlib import Path

from orgbackup.cli import main

ORG = "V-Sekai"
PASSWORD = "test-restic-password-" + os.urandom(4).hex()


def restic_env(env: dict) -> dict:
    return dict(os.environ, RESTIC_REPOSITORY=env["RESTIC_REPOSITORY"], RESTIC_PASSWORD=env["RESTIC_PASSWORD"])


def snapshots(env: dict) -> list[dict]:
    out = subprocess.run(["restic", "snapshots", "--json", "--no-lock"], env=restic_env(env),
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out or "[]")


def restore(env: dict, snapshot_id: str, target: Path) -> Path:
    subprocess.run(["restic", "restore", snapshot_id, "--target", str(target), "--no-lock"],
                   env=restic_env(env), check=True, capture_output=True)
    return target / ORG


def run_backup(env: dict, capsys) -> tuple[int, dict, float]:
    started = time.monotonic()
    status = main(["backup"], environ=env)
    seconds = time.monotonic() - started
    out = capsys.readouterr().out
    print(out)
    summary = json.loads(out.strip().splitlines()[-1])
    return status, summary, seconds


def minimal_env(tmp_path: Path) -> dict[str, str]:
    """A valid configuration that reaches nothing (a token GitHub never made, a repository not made yet)."""
    (tmp_path / "none.env").write_text("# empty\n")
    return {
        "GITHUB_ORGS": ORG,
        "GITHUB_TOKEN": "ghp_" + secrets.token_hex(18),
        "RESTIC_REPOSITORY": str(tmp_path / "restic-repo"),
        "RESTIC_PASSWORD": secrets.token_hex(8),
        "BACKUP_CACHE_DIR": str(tmp_path / "cache"),
        "BACKUP_ENV_FILE": str(tmp_path / "none.env"),
    }
