"""The gitim stage (orgbackup/backup/stages/gitim.py) with the test suite's stand-in of gitim
7b6e898: the repair of its clones with real git on repositories made in tmp_path (file://
remotes: fast-forwards, force-pushes, missing and empty clones), then the stand-in and the stage
against the GitHub emulator (the pure parts: tests/unit/backup/stages/test_gitim.py,
tests/unit/tools/gitim/test_runner.py)."""

from __future__ import annotations

import secrets
import dataclasses
import os
import subprocess
import sys
import venv
from pathlib import Path

from orgbackup.config.settings import Config
from orgbackup.config.readers import Secret
from orgbackup.backup.context import RunContext
from orgbackup.config.secret_files import write_secret_files
from orgbackup.backup.stages import gitim as gitim_stage
from orgbackup.git import working_clones
from tests.github_emulator import force_push_away, mutate, truth
from tests.support.paths import ROOT
from tests.support.run_context import ORG as EMU_ORG, make_context


TOKEN = "ghp_" + secrets.token_hex(18)  # made at run time, never committed
ORG = "Local-Org"


# The repair of clones, against local file:// remotes


@dataclasses.dataclass(frozen=True)
class LocalConfig(Config):
    """A configuration whose git URLs are file:// ones (the API is not used here)."""

    local_git_url: str = ""

    @property
    def git_url(self) -> str:
        return self.local_git_url


def git(*args, cwd=None) -> str:
    return subprocess.run(("git",) + args, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def local_ctx(tmp_path: Path, concurrency: int = 2) -> RunContext:
    config = LocalConfig(
        orgs=(ORG,),
        token=Secret(TOKEN),
        restic_repository=Secret("local:/nowhere"),
        restic_password=Secret("pw"),
        cache_dir=tmp_path / "cache",
        concurrency=concurrency,
        stall_seconds=60,
        local_git_url=f"file://{tmp_path / 'remote'}",
    )
    secrets = tmp_path / "secrets"
    secrets.mkdir(exist_ok=True)
    return RunContext(config=config, files=write_secret_files(config, str(secrets)), api=None, started="")


class Upstream:
    """A bare repository standing for GitHub's copy, and a work tree to push from."""

    def __init__(self, tmp_path: Path, name: str, branch: str = "main"):
        self.bare = tmp_path / "remote" / ORG / f"{name}.git"
        self.work = tmp_path / "upstream-work" / name
        self.branch = branch
        git("init", "--quiet", "--bare", "-b", branch, str(self.bare))
        git("init", "--quiet", "-b", branch, str(self.work))
        git("-C", str(self.work), "remote", "add", "origin", str(self.bare))

    def commit(self, text: str, push: bool = True, force: bool = False) -> str:
        (self.work / "file.txt").write_text(text)
        git("-C", str(self.work), "add", "file.txt")
        git("-C", str(self.work), "commit", "--quiet", "-m", text)
        if push:
            git("-C", str(self.work), "push", "--quiet", "--force" if force else "--no-force", "origin", self.branch)
        return git("-C", str(self.work), "rev-parse", "HEAD")

    def rewrite(self, text: str) -> str:
        git("-C", str(self.work), "reset", "--quiet", "--hard", "HEAD~1")
        return self.commit(text, force=True)

    @property
    def repo(self) -> dict:
        return {"name": self.bare.name.removesuffix(".git"), "default_branch": self.branch}


def test_repair_clones_missing_stale_rewritten_and_empty(tmp_path, hermetic_git):
    ctx = local_ctx(tmp_path)
    paths = ctx.org_paths(ORG)
    ff = Upstream(tmp_path, "fast-forward")
    ff.commit("one")
    forced = Upstream(tmp_path, "force-pushed", branch="develop")
    forced.commit("one")
    old_forced = forced.commit("two")
    missing = Upstream(tmp_path, "missing")
    missing_head = missing.commit("only")
    empty = Upstream(tmp_path, "empty")
    repos = [ff.repo, forced.repo, missing.repo, empty.repo]

    # what gitim leaves: clones of two repositories (it clones into DEST/ORG/NAME)
    for up in (ff, forced):
        git("clone", "--quiet", f"file://{up.bare}", str(paths.gitim_clone(ORG, up.repo["name"])))
    ff_head = ff.commit("two")
    new_forced = forced.rewrite("two, rewritten")
    (paths.gitim_clone(ORG, "fast-forward") / "local-note.txt").write_text("not from GitHub")

    states, problems = working_clones.verify_repair_clones(ctx, ORG, repos)

    assert problems == []
    assert states == {
        "fast-forward": {"branch": "main", "head": ff_head},
        "force-pushed": {"branch": "develop", "head": new_forced},
        "missing": {"branch": "main", "head": missing_head},
        "empty": {"branch": "main", "head": None},
    }
    for name, state in states.items():
        clone = paths.gitim_clone(ORG, name)
        assert (clone / ".git").is_dir()
        if state["head"]:
            assert git("-C", str(clone), "rev-parse", "HEAD") == state["head"]
            assert git("-C", str(clone), "symbolic-ref", "HEAD") == f"refs/heads/{state['branch']}"
            assert git("-C", str(clone), "status", "--porcelain") == ""
            assert git("-C", str(clone), "remote", "get-url", "origin") == f"file://{tmp_path}/remote/{ORG}/{name}.git"
    assert (paths.gitim_clone(ORG, "fast-forward") / "file.txt").read_text() == "two"
    assert (paths.gitim_clone(ORG, "force-pushed") / "file.txt").read_text() == "two, rewritten"
    # nothing lost: the rewritten head and the local file are kept
    kept = git("-C", str(paths.gitim_clone(ORG, "force-pushed")), "for-each-ref",
               "--format=%(objectname) %(refname)", "refs/orgbackup/previous/develop/")
    assert kept.split()[0] == old_forced and len(kept.splitlines()) == 1
    stash = paths.gitim_clone(ORG, "fast-forward")
    assert "local-note.txt" in git("-C", str(stash), "show", "--name-only", "--format=", "stash@{0}^3")

    # a second check with nothing new changes nothing and fetches nothing
    again, problems = working_clones.verify_repair_clones(ctx, ORG, repos)
    assert again == states and problems == []


def test_repair_reports_what_cannot_be_had(tmp_path, hermetic_git):
    ctx = local_ctx(tmp_path)
    up = Upstream(tmp_path, "present")
    up.commit("one")
    repos = [up.repo, {"name": "gone", "default_branch": "main"}, dict(up.repo, default_branch="nope")]
    not_a_clone = ctx.org_paths(ORG).gitim_clone(ORG, "gone")
    states, problems = working_clones.verify_repair_clones(ctx, ORG, repos[:2])
    assert list(states) == ["present"]
    assert [(p.repo, p.part) for p in problems] == [("gone", "gitim")]
    assert not not_a_clone.exists()
    _, problems = working_clones.verify_repair_clones(ctx, ORG, repos[2:])
    assert "default branch" in problems[0].message


def test_missing_gitim_is_a_problem_not_a_crash(tmp_path, hermetic_git, monkeypatch):
    """A Python without gitim (a venv without site-packages): one problem, part gitim."""
    bare = tmp_path / "venv"
    venv.create(bare, with_pip=False, system_site_packages=False)
    monkeypatch.setattr(sys, "executable", str(bare / "bin" / "python"))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    ctx = local_ctx(tmp_path)
    problems = gitim_stage.clone_with_gitim(ctx, ORG, [{"name": "x", "default_branch": "main"}]).problems
    assert [(p.repo, p.part) for p in problems] == [(None, "gitim")]
    assert "not installed" in problems[0].message
    assert gitim_stage.clone_with_gitim(dataclasses.replace(ctx, config=dataclasses.replace(ctx.config, gitim=False)), ORG, []).problems == []


def clone_heads(dest: Path) -> dict[str, str | None]:
    heads = {}
    for clone in sorted(p for p in dest.iterdir() if p.is_dir()):
        result = subprocess.run(("git", "-C", str(clone), "rev-parse", "--verify", "--quiet", "HEAD"),
                                capture_output=True, text=True)
        heads[clone.name] = result.stdout.strip() or None
    return heads


def default_heads(world: dict) -> dict[str, str | None]:
    repos = world["orgs"][EMU_ORG]["repos"]
    return {name: rec["refs"].get(f"refs/heads/{rec['default_branch']}") for name, rec in repos.items()}


def run_runner(ctx, dest: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        gitim_stage.runner_argv(EMU_ORG, dest), env=env, capture_output=True, text=True, timeout=120
    )


def test_standin_has_gitims_silent_faults(github_emulator, world_root, tmp_path, monkeypatch, gitim_installed):
    """Without a credential helper: the private repository is not cloned; a second run updates nothing;
    exit status 0 and FIN both times."""
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    dest = ctx.org_paths(EMU_ORG).gitim
    env = dict(os.environ, ORGBACKUP_TOKEN_FILE=str(ctx.files.token_file),
               ORGBACKUP_GITHUB_API_URL=ctx.config.api_url)  # and no GIT_ASKPASS
    first = run_runner(ctx, dest, env)
    assert first.returncode == 0 and first.stdout.rstrip().endswith("FIN")
    assert "STAND-IN" in first.stdout or "gitim" in first.stdout
    before = truth(world_root)
    expected = default_heads(before)
    heads = clone_heads(dest / EMU_ORG)
    assert "private-tools" not in heads  # no credentials: git could not clone it, and gitim said nothing
    assert set(heads) == set(expected) - {"private-tools"}
    assert heads == {name: expected[name] for name in heads}

    after = default_heads(mutate(world_root))
    second = run_runner(ctx, dest, env)
    assert second.returncode == 0 and second.stdout.rstrip().endswith("FIN")
    assert "already exists" in second.stderr
    heads2 = clone_heads(dest / EMU_ORG)
    changed = {n for n in heads if after.get(n) != heads[n]}
    assert changed, "mutate should have moved some default branches"
    assert {n: heads2[n] for n in heads} == heads  # nothing updated
    assert set(heads2) - set(heads) == {n for n in after if n.startswith("new-repo-")}  # only new repos arrive


def test_stage_clones_every_repository_and_keeps_them_current(
    github_emulator, world_root, tmp_path, monkeypatch, gitim_installed
):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    paths = ctx.org_paths(EMU_ORG)
    repos = ctx.api.org_repositories(EMU_ORG)
    assert gitim_stage.clone_with_gitim(ctx, EMU_ORG, repos).problems == []
    # gitim itself cloned the private repository: git found the token through GIT_ASKPASS
    assert (paths.gitim_clone(EMU_ORG, "private-tools") / ".git").is_dir()
    states, problems = gitim_stage.gitim_and_working_clones(ctx, EMU_ORG, repos)
    assert problems == []
    expected = default_heads(truth(world_root))
    assert {n: s["head"] for n, s in states.items()} == expected
    assert clone_heads(paths.gitim / EMU_ORG) == expected
    assert expected["empty"] is None and expected["private-tools"]

    # a day later, and a force-push that rewrites a default branch
    after = mutate(world_root)
    pushed = force_push_away(world_root, EMU_ORG, "game")
    expected2 = default_heads(truth(world_root))
    assert expected2["game"] == pushed["new"]
    ctx2 = make_context(github_emulator, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    repos2 = ctx2.api.org_repositories(EMU_ORG)
    assert len(repos2) == len(after["orgs"][EMU_ORG]["repos"])
    assert gitim_stage.clone_with_gitim(ctx2, EMU_ORG, repos2).problems == []
    states2, problems = gitim_stage.gitim_and_working_clones(ctx2, EMU_ORG, repos2)
    assert problems == []
    assert {n: s["head"] for n, s in states2.items()} == expected2
    assert clone_heads(paths.gitim / EMU_ORG) == expected2
    updated = {n for n in expected if expected[n] != expected2[n]}
    assert {"godot", "shared-lib", "assets-lfs", "game"} <= updated
    game = paths.gitim_clone(EMU_ORG, "game")
    kept = subprocess.run(("git", "-C", str(game), "for-each-ref", "--format=%(objectname)",
                           "refs/orgbackup/previous/"), capture_output=True, text=True, check=True).stdout.split()
    assert kept == [pushed["old"]]
    assert (game / "REWRITTEN.md").is_file()
    # every remote URL credential-free; the token nowhere in a git config
    for clone in (paths.gitim / EMU_ORG).iterdir():
        config = (clone / ".git" / "config").read_text()
        assert ctx.config.token.reveal() not in config and "@" not in config


def _process_table(token: bytes, seen: dict, stop) -> None:
    while not stop.is_set():
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmdline = f.read()
                with open(f"/proc/{pid}/environ", "rb") as f:
                    environ = f.read()
            except OSError:
                continue
            args = cmdline.split(b"\0")
            if b"orgbackup.tools.gitim.runner" in args:
                seen["runner"].add(pid)
            elif any(a == b"clone" for a in args) and any(a.endswith(b"git") for a in args[:2]):
                seen["git"].add(pid)
            if token in cmdline or token in environ:
                seen["leaks"].add(pid)
        stop.wait(0.02)


def test_token_is_in_no_process_argument_list(github_emulator, tmp_path, monkeypatch, gitim_installed):
    """/proc/<pid>/cmdline (and environ) of the runner and of every git it starts: no token."""
    import shutil
    import threading

    real_git = shutil.which("git")
    bin_dir = tmp_path / "slow-git"
    bin_dir.mkdir()
    # git, slowed down so that every git process lives long enough to be seen in /proc
    (bin_dir / "git").write_text(f'#!/bin/sh\nsleep 0.25\nexec "{real_git}" "$@"\n')
    (bin_dir / "git").chmod(0o755)
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    token = ctx.config.token.reveal().encode()
    seen = {"runner": set(), "git": set(), "leaks": set()}
    stop = threading.Event()
    watcher = threading.Thread(target=_process_table, args=(token, seen, stop), daemon=True)
    watcher.start()
    try:
        repos = ctx.api.org_repositories(EMU_ORG)
        assert gitim_stage.clone_with_gitim(ctx, EMU_ORG, repos).problems == []
    finally:
        stop.set()
        watcher.join()
    print(f"processes seen: runner {len(seen['runner'])}, git clone {len(seen['git'])}")
    assert seen["runner"], "the runner was never seen in /proc"
    assert len(seen["git"]) >= 3, "too few git processes seen to prove anything"
    assert seen["leaks"] == set()
    assert (ctx.org_paths(EMU_ORG).gitim_clone(EMU_ORG, "private-tools") / ".git").is_dir()
