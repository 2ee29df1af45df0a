"""THIS PRODUCT: `python entrypoint.py backup`, configured by environment variables only."""

from __future__ import annotations

import json
from pathlib import Path

from .measure import REPO_ROOT, RunMeasure, run_step

ORG = "V-Sekai"


def product_env(base: dict, *, host: str, token_file: Path, repository: Path, password: str,
                cache_dir: Path, env_file: Path) -> dict:
    return dict(
        base,
        GITHUB_ORGS=ORG,
        GITHUB_HOST=host,
        GITHUB_TOKEN_FILE=str(token_file),
        RESTIC_REPOSITORY=str(repository),
        RESTIC_PASSWORD=password,
        BACKUP_CACHE_DIR=str(cache_dir),
        BACKUP_ENV_FILE=str(env_file),  # an empty dotenv file: nothing from a stray .env
    )


def summary_of(stdout: str) -> dict:
    """The run's last JSON line (`{"event": "backup_summary", ...}`), or {}."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return {}


def run_product(run: str, *, env: dict, log_dir: Path, timeout: float | None) -> RunMeasure:
    measure = RunMeasure("product", run)
    step, stdout = run_step("entrypoint-backup", "script", str(REPO_ROOT / "entrypoint.py"), ["backup"],
                            env=env, log_dir=log_dir, timeout=timeout)
    measure.steps.append(step)
    summary = summary_of(stdout)
    orgs = summary.get("orgs") or [{}]
    org = next((o for o in orgs if (o.get("org") or "").lower() == ORG.lower()), orgs[0])
    measure.data_added = org.get("data_added")
    measure.extra.update(
        snapshot_id=org.get("snapshot_id"),
        status=org.get("status"),
        exit_status=summary.get("exit_status"),
        seconds=summary.get("seconds"),
        problems=(org.get("problem_list") or [])[:20],
    )
    return measure
