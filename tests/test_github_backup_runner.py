"""The github-backup runner: no token in any process's arguments or any cached file, atomic
writes, and release assets repaired after an interrupted run.  Real github-backup 0.40.0, real
git, the HTTPS emulator."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from orgbackup.tools import process
from orgbackup.cache import release_files
from orgbackup.tools.github_backup import runner as runner
from orgbackup.config.settings import ALL_PARTS
from orgbackup.git.argv import git_environment
from orgbackup.backup.stages import github_backup as gb
from tests.helpers_run import ORG, make_context

OUT = Path("/cache/.state/V-Sekai/github-backup-runs/godot")


# ---------------------------------------------------------------- pure builders


def test_argv_starts_the_runner_in_this_interpreter_without_any_token():
    argv = gb.github_backup_argv(ORG, "godot", output_dir=OUT, parts=ALL_PARTS, hooks=False,
                                 github_host="localhost:8443", prefer_ssh=False)
    assert argv[:3] == (sys.executable, "-m", "orgbackup.tools.github_backup.runner")
    assert argv[3:8] == ("V-Sekai", "--organization", "-o", str(OUT), "--incremental")
    assert not runner.has_token_argument(list(argv))
    assert not any("token" in a or a.startswith("file://") for a in argv)
    assert argv[-3:] == ("-H", "localhost:8443", "--as-app")


def test_runner_refuses_a_token_argument():
    assert runner.has_token_argument(["V-Sekai", "-t", "x"])
    assert runner.has_token_argument(["-tx"])
    assert runner.has_token_argument(["--token=x"])
    assert not runner.has_token_argument(["V-Sekai", "--organization", "--issues"])
    assert runner.main(["V-Sekai", "--token", "x"]) == runner.EXIT_USAGE


def test_commands_lose_their_shell_and_credentials():
    assert runner.clean_command("git ls-remote https://tok:x-oauth-basic@h:1/o/r.git", shell=True) == [
        "git", "ls-remote", "https://h:1/o/r.git"]
    assert runner.clean_command(["git", "clone", "https://x-access-token:tok@h/o/r.git", "/d"]) == [
        "git", "clone", "https://h/o/r.git", "/d"]
    assert runner.clean_command(["git", "remote", "show"]) == ["git", "remote", "show"]


def test_atomic_writer_replaces_only_when_closed_cleanly(tmp_path):
    target = tmp_path / "1.json"
    target.write_text("old")
    open_ = runner.atomic_codecs().open
    try:
        with open_(str(target), "w", encoding="utf-8") as f:
            f.write('{"half": ')
            assert target.read_text() == "old"
            assert runner.partial_name(target).exists()
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]
    with open_(str(target), "w+", encoding="utf-8") as f:
        f.write("new ü")
    assert target.read_text(encoding="utf-8") == "new ü" and list(tmp_path.iterdir()) == [target]


def test_expected_assets_and_leftovers(tmp_path):
    releases = tmp_path / "releases"
    (releases / "a__b").mkdir(parents=True)
    (releases / "a__b.json").write_text(json.dumps(
        {"tag_name": "a/b", "assets": [{"name": "x.bin", "size": 3, "url": "https://h/a/1"}]}))
    (releases / "broken.json").write_text("{")
    leftover = releases / "a__b" / ".x.bin.77.orgbackup-partial"
    leftover.write_bytes(b"x")
    assert [(p.relative_to(releases).as_posix(), a["size"]) for p, a in release_files.expected_assets(releases)] == [
        ("a__b/x.bin", 3)]
    assert runner.remove_partial_files(tmp_path) == [leftover] and not leftover.exists()


# --------------------------------------------------------- against the emulator


class CmdlineSampler(threading.Thread):
    """Reads every process's /proc/PID/cmdline every 20 ms; counts those holding the secret."""

    def __init__(self, secret: str):
        super().__init__(daemon=True)
        self.secret = secret.encode()
        self.hits: list[str] = []
        self.samples = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                        cmdline = f.read()
                except OSError:
                    continue
                if self.secret in cmdline:
                    self.hits.append(cmdline.split(b"\0", 2)[0].decode(errors="replace"))
            self.samples += 1
            self.stop.wait(0.02)


def files_holding(root: Path, secret: str) -> list[str]:
    needle = secret.encode()
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and needle in path.read_bytes():
            found.append(str(path.relative_to(root)))
    return found


def test_no_token_in_any_argv_or_cached_file_during_a_whole_stage_run(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    ctx = make_context(emu, tmp_path, monkeypatch)
    repos = ctx.api.org_repositories(ORG)
    token = ctx.config.token.reveal()
    sampler = CmdlineSampler(token)
    sampler.start()
    try:
        result = gb.back_up_repositories(ctx, ORG, repos, hooks=True)
    finally:
        sampler.stop.set()
        sampler.join()
    assert result.problems == []
    assert sampler.samples > 20
    assert sampler.hits == [], f"{len(sampler.hits)} processes held the token: {sorted(set(sampler.hits))}"
    configs = list(ctx.org_paths(ORG).github_backup.rglob(".git/config"))
    assert len(configs) >= len(repos)
    assert files_holding(ctx.cache_dir, token) == []
    # The private repository still arrived: git asked GIT_ASKPASS.
    private = ctx.org_paths(ORG).repository_dir("private-tools") / "repository"
    assert subprocess.run(["git", "-C", str(private), "rev-parse", "HEAD"], capture_output=True).returncode == 0


def asset_bytes(world_root: Path, asset: dict) -> bytes:
    return (world_root / "assets" / str(asset["id"])).read_bytes()


def godot_assets(ctx) -> list[tuple[Path, dict]]:
    return list(release_files.expected_assets(ctx.org_paths(ORG).repository_dir("godot") / "releases"))


def test_truncated_asset_and_leftovers_are_repaired_on_the_next_run(github_emulator, world_root, tmp_path,
                                                                     monkeypatch):
    emu = github_emulator
    ctx = make_context(emu, tmp_path, monkeypatch, parts=("releases", "assets"))
    godot = [r for r in ctx.api.org_repositories(ORG) if r["name"] == "godot"]
    assert gb.back_up_repositories(ctx, ORG, godot, hooks=False).problems == []
    assets = godot_assets(ctx)
    assert len(assets) >= 2
    # What 0.40.0 leaves when killed mid-download: a truncated file at the final name
    # (and, with the runner, a temporary file).
    (path, asset), (missing, _) = assets[0], assets[1]
    path.write_bytes(path.read_bytes()[: asset["size"] // 2])
    missing.unlink()
    leftover = runner.partial_name(path).with_name(f".{path.name}.99999{runner.PARTIAL_SUFFIX}")
    leftover.write_bytes(b"half")

    ctx2 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir, parts=("releases", "assets"))
    emu.reset_counters()
    second = gb.back_up_repositories(ctx2, ORG, godot, hooks=False)
    assert second.captured.ran == [] and second.problems == []  # unchanged, yet repaired
    assert emu.counters()["assets"] >= 2
    for p, a in godot_assets(ctx2):
        assert p.stat().st_size == a["size"] and p.read_bytes() == asset_bytes(world_root, a), p
    assert not leftover.exists()


def test_killed_while_downloading_an_asset_leaves_no_truncated_file_and_the_next_run_repairs(
        github_emulator, world_root, tmp_path, monkeypatch):
    emu = github_emulator
    ctx = make_context(emu, tmp_path, monkeypatch, parts=("releases", "assets"))
    godot = [r for r in ctx.api.org_repositories(ORG) if r["name"] == "godot"]
    out = gb.prepare_run_dir(ctx, ORG, "godot", None)
    releases = ctx.org_paths(ORG).repository_dir("godot") / "releases"
    emu.set_faults(latency_ms=300)
    proc = subprocess.Popen(gb.argv_for(ctx, ORG, "godot", out, hooks=False),
                            env=process.child_environment(git_environment(ctx.files)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        partial = []
        while not partial and proc.poll() is None and time.monotonic() < deadline:
            partial = list(releases.glob(f"*/*{runner.PARTIAL_SUFFIX}")) if releases.exists() else []
            time.sleep(0.01)
        assert partial, "no asset download was caught in progress"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    emu.set_faults()
    # Atomic: every asset on disk is whole; the interrupted one is only a temporary file.
    for p, a in godot_assets(ctx):
        assert not p.exists() or p.stat().st_size == a["size"], p
    assert any(p.exists() for p in partial)

    ctx2 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir, parts=("releases", "assets"))
    result = gb.back_up_repositories(ctx2, ORG, godot, hooks=False)
    assert result.problems == []
    for p, a in godot_assets(ctx2):
        assert p.read_bytes() == asset_bytes(world_root, a), p
    assert list(releases.rglob(f"*{runner.PARTIAL_SUFFIX}")) == []


def test_no_token_in_any_argv_during_whole_backup_runs(github_emulator, backup_env, tmp_path, capsys):
    """Every program of two whole runs (github-backup, gitim, git, git-lfs, restic, the
    dependency mirrors), a first one and one after a day of activity: no argv holds the token,
    and neither the cache nor the restored snapshot holds it in any file."""
    from orgbackup.cli import main
    from tests.github_emulator.mutate import mutate
    from tests.helpers_cli import restore

    env = backup_env
    token = github_emulator.admin_token_file.read_text().strip()
    sampler = CmdlineSampler(token)
    sampler.start()
    try:
        first = main(["backup"], environ=env)
        mutate(github_emulator.root)
        second = main(["backup"], environ=env)
    finally:
        sampler.stop.set()
        sampler.join()
    out = capsys.readouterr().out
    assert (first, second) == (0, 0), out[-3000:]
    assert sampler.samples > 50
    assert sampler.hits == [], f"{len(sampler.hits)} processes held the token: {sorted(set(sampler.hits))}"
    assert files_holding(tmp_path / "cache", token) == []
    snapshot_id = json.loads(out.strip().splitlines()[-1])["orgs"][0]["snapshot_id"]
    assert files_holding(restore(env, snapshot_id, tmp_path / "restored"), token) == []


def test_a_network_error_is_retried_with_waits_then_given_up():
    waits = []
    retry = runner.bounded_url_error_retry(4, sleep=waits.append)
    assert retry("https://h/a", 3) and retry("https://h/a", 3) and retry("https://h/b", 3)
    assert retry("https://h/a", 3)
    with pytest.raises(Exception, match="network error 4 times, giving up"):
        retry("https://h/a", 3)
    assert waits == [1, 2, 1, 4]



def test_the_runner_starts_without_the_rest_of_the_package():
    """One interpreter per repository: the runner imports only what it uses (url_credentials.py
    says why), not the configuration, the secret files or the command runner."""
    shown = subprocess.run(
        [sys.executable, "-c", "import sys, orgbackup.tools.github_backup.runner; "
                               "print(' '.join(sorted(m for m in sys.modules if m.startswith('orgbackup'))))"],
        capture_output=True, text=True, check=True, timeout=60)
    assert shown.stdout.split() == ["orgbackup", "orgbackup.tools.github_backup.listings", "orgbackup.tools.github_backup.names",
                                    "orgbackup.tools.github_backup.runner", "orgbackup.cache.release_files",
                                    "orgbackup.cache.safe_names", "orgbackup.github.urls"]
