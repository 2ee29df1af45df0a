"""Run one measured step through bench.launcher, and the restic helpers both procedures share."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Step:
    """What one program cost: wall and CPU seconds (its children included), its own peak memory."""

    name: str
    exit_status: int | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0
    self_peak_kb: int = 0
    children_peak_kb: int = 0
    error: str | None = None
    log: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class RunMeasure:
    """One run of a procedure: its steps and the totals."""

    procedure: str
    run: str
    steps: list[Step] = field(default_factory=list)
    requests: dict = field(default_factory=dict)
    data_added: int | None = None
    repo_bytes_before: int | None = None
    repo_bytes_after: int | None = None
    completeness: dict = field(default_factory=dict)
    error: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def wall_s(self) -> float:
        return sum(s.wall_s for s in self.steps)

    @property
    def cpu_s(self) -> float:
        return sum(s.cpu_s for s in self.steps)

    @property
    def ok(self) -> bool:
        return self.error is None and all(s.exit_status == 0 for s in self.steps)

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(wall_s=round(self.wall_s, 3), cpu_s=round(self.cpu_s, 3), ok=self.ok)
        return d


def launcher_argv(report: Path, how: str, target: str | None, args: list[str]) -> list[str]:
    """The argv that runs `target` through bench.launcher (how: script | module | exec)."""
    head = [sys.executable, "-m", "bench.launcher", "--report", str(report)]
    if how == "exec":
        return head + ["--exec", "--"] + args
    return head + [f"--{how}", str(target), "--"] + args


def run_step(name: str, how: str, target: str | None, args: list[str], *, env: dict, log_dir: Path,
             cwd: Path = REPO_ROOT, timeout: float | None = None) -> tuple[Step, str]:
    """Run one program, measured; returns the Step and its standard output. Never raises."""
    log_dir.mkdir(parents=True, exist_ok=True)
    step = Step(name)
    log_path = log_dir / f"{name}.log"
    step.log = str(log_path)
    fd, report_name = tempfile.mkstemp(prefix="bench-report-", suffix=".json")
    os.close(fd)
    report = Path(report_name)
    started = time.monotonic()
    stdout = ""
    try:
        with open(log_path, "wb") as err:
            completed = subprocess.run(launcher_argv(report, how, target, args), cwd=cwd, env=env,
                                       stdout=subprocess.PIPE, stderr=err, timeout=timeout)
        stdout = completed.stdout.decode(errors="replace")
        with open(log_path, "ab") as err:
            err.write(b"\n----- stdout -----\n" + completed.stdout)
        step.exit_status = completed.returncode
        data = json.loads(report.read_text() or "{}")
        step.cpu_s = float(data.get("self_cpu_s", 0)) + float(data.get("children_cpu_s", 0))
        step.self_peak_kb = int(data.get("self_maxrss_kb", 0))
        step.children_peak_kb = int(data.get("children_maxrss_kb", 0))
        if completed.returncode != 0:
            step.error = f"exit status {completed.returncode} (see {log_path})"
    except subprocess.TimeoutExpired:
        step.error = f"timed out after {timeout} s"
    except (OSError, ValueError) as exc:
        step.error = f"{type(exc).__name__}: {exc}"
    finally:
        step.wall_s = time.monotonic() - started
        report.unlink(missing_ok=True)
    return step, stdout


# ------------------------------------------------------------------ restic


def restic_env(base: dict, repository: Path, password: str) -> dict:
    return dict(base, RESTIC_REPOSITORY=str(repository), RESTIC_PASSWORD=password)


def restic(args: list[str], env: dict, *, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["restic", *args], env=env, capture_output=True, text=True, check=check)


def restic_init(env: dict) -> None:
    restic(["init"], env)


def backup_summary(stdout: str) -> dict:
    """The `summary` message of `restic backup --json` (other lines are status messages)."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("message_type") == "summary":
                return msg
    return {}


def tree_bytes(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def disk_usage(*paths: Path) -> int:
    """Bytes on disk as `du` counts them (allocated blocks), every inode once: hard links
    shared between the paths (a clone's objects linked from another) count once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for path in paths:
        for dirpath, dirs, files in os.walk(path):
            for name in dirs + files:
                try:
                    st = os.lstat(os.path.join(dirpath, name))
                except OSError:
                    continue
                if (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


def clone_part(relative: tuple[str, ...]) -> str:
    """Which part of a clone a path is: "objects" (git's objects and LFS's under a git
    folder), "working_tree" (outside any git folder) or "git_other" (the rest of a git
    folder: refs, logs, index, config, hooks, its directories)."""
    for i, name in enumerate(relative):
        if name == ".git" or name.endswith(".git"):
            return "objects" if relative[i + 1:i + 2] in (("objects",), ("lfs",)) else "git_other"
    return "working_tree"


def disk_usage_by_part(*paths: Path) -> dict[str, int]:
    """disk_usage of clones split by clone_part: objects + working trees is what the cache
    cannot do without; git_other is git's own small files and directories."""
    seen: set[tuple[int, int]] = set()
    parts = {"objects": 0, "working_tree": 0, "git_other": 0}
    for path in paths:
        for dirpath, dirs, files in os.walk(path):
            relative = Path(dirpath).relative_to(path).parts
            for name in dirs + files:
                try:
                    st = os.lstat(os.path.join(dirpath, name))
                except OSError:
                    continue
                if (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
                parts[clone_part(relative + (name,))] += st.st_blocks * 512
    return parts


def restore(snapshot: str, target: Path, env: dict, tags: list[str] = ()) -> None:
    args = ["restore", snapshot, "--target", str(target), "--no-lock"]
    for tag in tags:
        args += ["--tag", tag]
    restic(args, env)
