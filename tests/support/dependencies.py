"""What the dependencies stage's tests share (orgbackup/backup/stages/dependencies.py,
orgbackup/git/submodule_urls.py): the relative submodule URLs and what they resolve to, a run
context for local repositories, clones with .gitmodules, and an app using the emulator's
upstream-deps/libfoo."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from orgbackup.backup.context import RunContext
from orgbackup.config.readers import Secret
from orgbackup.config.secret_files import write_secret_files
from orgbackup.config.settings import Config
from orgbackup.git import argv as git
from tests.github_emulator.builder import FastImport, Gitlink


RELATIVE_CASES = [
    ("https://h.example/V-Sekai/godot.git", "../../upstream-deps/libfoo.git",
     "https://h.example/upstream-deps/libfoo.git"),
    ("https://h.example/V-Sekai/game.git", "../shared-lib.git", "https://h.example/V-Sekai/shared-lib.git"),
    ("https://h.example/V-Sekai/game.git/", "../shared-lib", "https://h.example/V-Sekai/shared-lib"),
    ("https://h.example/a/b", "./sub/x.git", "https://h.example/a/b/sub/x.git"),
    ("https://h.example/a/b", "../x/", "https://h.example/a/x"),
    ("git@github.com:org/repo.git", "../other.git", "git@github.com:org/other.git"),
    ("git@github.com:org/repo.git", "../../x/y.git", "git@github.com:x/y.git"),
    ("ssh://git@h.example/org/repo", "../../o2/r2", "ssh://git@h.example/o2/r2"),
    ("https://h.example/a/b.git", "https://other.example/x/y.git", "https://other.example/x/y.git"),
]


def git_run(*args, cwd=None, input=None) -> str:
    """git ARGS (hermetic as the test's environment is); its output."""
    return subprocess.run(["git", *args], cwd=cwd, input=input, capture_output=True, text=True,
                          check=True).stdout


def stage_context(tmp_path: Path, org: str, **overrides) -> RunContext:
    """A run context for `org` on git.example.invalid (no API), its secret files in tmp_path."""
    values = dict(orgs=(org,), token=Secret("ghp_not-a-real-token"), restic_repository=Secret("/x"),
                  restic_password=Secret("x"), cache_dir=tmp_path / "cache",
                  github_host="git.example.invalid", concurrency=4)
    values.update(overrides)
    config = Config(**values)
    (tmp_path / "secrets").mkdir(exist_ok=True)
    files = write_secret_files(config, str(tmp_path / "secrets"))
    return RunContext(config=config, files=files, api=None, started="2026-01-01T00:00:00Z")


def clone_dir(ctx: RunContext, org: str, name: str) -> Path:
    """An empty git repository where the cache keeps github-backup's clone of NAME."""
    path = ctx.org_paths(org).repository_dir(name) / "repository"
    path.mkdir(parents=True)
    git_run("init", "-q", str(path))
    return path


def gitmodules(*entries) -> str:
    """.gitmodules text for (path, url) entries."""
    return "".join(f'[submodule "{p}"]\n\tpath = {p}\n\turl = {u}\n' for p, u in entries)


def config_of(env: dict[str, str]) -> dict[str, str]:
    """The GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n pairs of an environment."""
    return {env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"] for i in range(int(env["GIT_CONFIG_COUNT"]))}


def mirror_refs(repo: Path) -> dict[str, str]:
    """{ref: sha} of a repository (a dependency's mirror)."""
    return git.parse_ref_lines(git_run(*git.for_each_ref(repo)[1:]))


def app_using_libfoo(ctx, emulator, world_root) -> str:
    """An organization `acme` whose app has upstream-deps/libfoo as a submodule; its commit."""
    truth = json.loads((world_root / "truth.json").read_text())["orgs"]
    sha = truth["V-Sekai"]["repos"]["godot"]["submodules"][0]["commit"]
    app = clone_dir(ctx, "acme", "app")
    fi = FastImport()
    fi.commit("refs/heads/main", {".gitmodules": gitmodules(("lib", f"https://{emulator.host}/upstream-deps/libfoo.git")),
                                  "lib": Gitlink(sha)}, "app", 1700000000)
    fi.run(app / ".git")
    return sha
