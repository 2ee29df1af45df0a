"""The ORIGINAL procedure of the proposal (docs: /work/shared/seed.md), run faithfully on the emulator.

    github-backup V-Sekai --token $ACCESS_TOKEN --organization --output-directory DIR \
        --incremental --prefer-ssh --lfs --private --fork --private --all
    python3 -m gitim -o V-Sekai -d DIR2 --ssh --token $ACCESS_TOKEN
    restic backup DIR DIR2           (the proposal's "backup"; the benchmark adds --json to read data_added)

One after the other, as the proposal does. Differences forced by the emulator, and only those:
- `-H HOST` for github-backup (its GitHub Enterprise option) so that it talks to the emulator;
- `--token file://PATH` (github-backup reads the same token from a file);
- no `--prefer-ssh` / `--ssh`: the emulator has no SSH server, so both tools clone over HTTPS;
  github-backup puts the token in its clone URLs itself; gitim's HTTPS URLs carry no
  credentials and nothing gives git any, so its clone of a private repository fails, as it
  would for anyone running gitim over HTTPS;
- gitim runs through `orgbackup.tools.gitim.runner`, which only points PyGithub at the emulator
  (gitim has no host option) and hands it the token; gitim's own code and argv are unchanged.
DIR and DIR2 stay the same across the three runs (the proposal's folders carry the date, so this
is the same-day case; on a new day the original starts again from empty folders).
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

from .measure import RunMeasure, backup_summary, run_step

ORG = "V-Sekai"


def github_backup_script() -> str:
    """github-backup's console script (run in the launcher's own interpreter, to measure it)."""
    path = Path(sysconfig.get_path("scripts")) / "github-backup"
    if path.is_file():
        return str(path)
    return str(Path(sys.executable).parent / "github-backup")


def github_backup_args(host: str, token_file: Path, output: Path) -> list[str]:
    return [ORG, "--token", f"file://{token_file}", "--organization", "--output-directory", str(output),
            "--incremental", "--lfs", "--private", "--fork", "--all", "-H", host]


def gitim_args(output: Path) -> list[str]:
    """gitim_runner ORG DEST  ==  gitim -o ORG -d DEST --token TOKEN (no --ssh: no SSH server)."""
    return [ORG, str(output)]


def restic_backup_args(paths: list[Path]) -> list[str]:
    return ["restic", "backup", "--json", *[str(p) for p in paths]]


def run_original(run: str, *, host: str, api_url: str, token_file: Path, dirs: tuple[Path, Path],
                 env: dict, log_dir: Path, timeout: float | None) -> RunMeasure:
    """One run of the original procedure; every step runs even when an earlier one failed
    (the proposal's commands are independent), and failures are recorded, never raised."""
    backup_dir, gitim_dir = dirs
    measure = RunMeasure("original", run)
    step, _ = run_step("github-backup", "script", github_backup_script(),
                       github_backup_args(host, token_file, backup_dir),
                       env=env, log_dir=log_dir, timeout=timeout)
    measure.steps.append(step)
    gitim_env = dict(env, ORGBACKUP_TOKEN_FILE=str(token_file), ORGBACKUP_GITHUB_API_URL=api_url)
    step, _ = run_step("gitim", "module", "orgbackup.tools.gitim.runner", gitim_args(gitim_dir),
                       env=gitim_env, log_dir=log_dir, timeout=timeout)
    measure.steps.append(step)
    paths = [p for p in (backup_dir, gitim_dir) if p.exists()]
    step, stdout = run_step("restic-backup", "exec", None, restic_backup_args(paths),
                            env=env, log_dir=log_dir, timeout=timeout)
    measure.steps.append(step)
    summary = backup_summary(stdout)
    measure.data_added = summary.get("data_added")
    measure.extra["snapshot_id"] = summary.get("snapshot_id")
    return measure
