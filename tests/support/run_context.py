"""Build a RunContext pointed at the GitHub emulator (for stage tests).

    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    ctx2 = make_context(github_emulator, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)  # a second run

Git runs hermetic (HOME in tmp, GIT_CONFIG_NOSYSTEM=1, no global config), and
Python, requests and git trust the emulator's CA.  Secret files are written into
`tmp_path/secrets-N` and removed at the end of the test by monkeypatch's undo
(see `cleanup`).
"""
from __future__ import annotations

import itertools
import json
import os
import subprocess
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from orgbackup.tools import process
from orgbackup.config.settings import ALL_PARTS, Config
from orgbackup.config.readers import Secret
from orgbackup.backup.context import RunContext
from orgbackup.backup.stages import github_backup as gb
from orgbackup.github.api import GitHubAPI
from orgbackup.config.secret_files import write_secret_files

ORG = "V-Sekai"
_runs = itertools.count(1)


def hermetic_git(tmp_path: Path, monkeypatch) -> Path:
    """HOME in tmp_path, no system/global git configuration, no prompts."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    return home


def hermetic(tmp_path: Path, monkeypatch, emulator=None) -> None:
    hermetic_git(tmp_path, monkeypatch)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    if emulator is not None:
        for key, value in emulator.env().items():
            monkeypatch.setenv(key, value)


def make_config(emulator, cache_dir: Path, *, token: str | None = None, **overrides) -> Config:
    values = dict(
        orgs=(ORG,),
        token=Secret(token or emulator.admin_token),
        restic_repository=Secret(str(cache_dir.parent / "restic-repo")),
        restic_password=Secret("test-password"),
        cache_dir=cache_dir,
        github_host=emulator.host,
        parts=ALL_PARTS,
        concurrency=4,
        stall_seconds=300,
    )
    values.update(overrides)
    return Config(**values)


def make_context(emulator, tmp_path: Path, monkeypatch, *, cache_dir: Path | None = None,
                 token: str | None = None, **overrides) -> RunContext:
    """A fresh RunContext (new `started`, new API client) on the emulator."""
    hermetic(tmp_path, monkeypatch, emulator)
    process.reset_stop()
    config = make_config(emulator, cache_dir or tmp_path / "cache", token=token, **overrides)
    config.cache_dir.mkdir(parents=True, exist_ok=True)
    process.register_secret(config.token.reveal())
    secrets_parent = tmp_path / f"secrets-{next(_runs)}"
    secrets_parent.mkdir()
    files = write_secret_files(config, str(secrets_parent))
    api = GitHubAPI(config.api_url, config.token.reveal())
    # Each context is a distinct run: `started` must differ (decisions are per run).
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    time.sleep(0.001)
    return RunContext(config=config, files=files, api=api, started=started)


def with_config(ctx: RunContext, **changes) -> RunContext:
    """The same run with some configuration changed."""
    return replace(ctx, config=replace(ctx.config, **changes))


# ------------------------------------------------------- comparing with truth.json

BACKED_UP = ("refs/heads/", "refs/tags/")


def git_refs(repo: Path) -> dict[str, str]:
    """refs/heads and refs/tags of a clone ({} when there is no clone)."""
    from tests.support.truth_compare import git_refs as refs

    return refs(repo) if (repo / ".git").exists() else {}


def differences_from_truth(github_backup_dir: Path, truth_repos: dict, *, records: dict | None = None,
                           hooks: bool = True, skip: tuple[str, ...] = ()) -> list[str]:
    """What truth.json says a complete backup holds that the cache (or a restored tree) lacks.

    On disk: `tests.support.truth_compare.compare_repository` (refs, LFS, wiki, issues, pulls with
    both kinds of comments, releases and assets), plus milestones, labels and hooks.
    `records` (optional): the verify-and-repair stage's manifest records, compared too.
    Returns readable differences; [] means complete.
    """
    import json

    from tests.support.truth_compare import compare_repository

    org_dir = Path(github_backup_dir).parent
    diffs: list[str] = []
    for name, t in sorted(truth_repos.items()):
        if name in skip:
            continue
        diffs += compare_repository(org_dir.name, name, t, org_dir, gitim=False)
        d = Path(github_backup_dir) / "repositories" / name
        expected = {r: s for r, s in t["refs"].items() if r.startswith(BACKED_UP)}
        if git_refs(d / "repository") != expected:
            diffs.append(f"{name}: the clone's refs are not exactly GitHub's")
        if t["milestones"] and len(list((d / "milestones").glob("*.json"))) != t["milestones"]:
            diffs.append(f"{name}: milestones differ")
        labels = d / "labels" / "labels.json"
        if t["labels"] and (not labels.is_file() or len(json.loads(labels.read_text())) != t["labels"]):
            diffs.append(f"{name}: labels differ")
        hooks_file = d / "hooks" / "hooks.json"
        if hooks and t["hooks"] and (not hooks_file.is_file() or len(json.loads(hooks_file.read_text())) != t["hooks"]):
            diffs.append(f"{name}: hooks differ")
        if records is not None:
            diffs += record_differences(name, t, records.get(name))
    return diffs


def record_differences(name: str, t: dict, rec: dict | None) -> list[str]:
    """A manifest record (verify-and-repair) against the repository's truth."""
    if rec is None:
        return [f"{name}: no manifest record"]
    diffs = []
    for key in ("private", "fork", "archived", "empty", "default_branch"):
        if rec.get(key) != t[key]:
            diffs.append(f"{name}: record {key} is {rec.get(key)!r}, not {t[key]!r}")
    if rec.get("refs") != {r: s for r, s in t["refs"].items() if r.startswith(BACKED_UP)}:
        diffs.append(f"{name}: record refs differ")
    want_wiki = {r: s for r, s in t["wiki"]["refs"].items() if r.startswith(BACKED_UP)} if t["wiki"] else None
    if (rec.get("wiki") or {}).get("refs") != want_wiki and not (want_wiki is None and rec.get("wiki") is None):
        diffs.append(f"{name}: record wiki differs")
    counts = {"lfs_objects": len(t["lfs_oids"]), "issues": len(t["issues"]), "pulls": len(t["pulls"]),
              "pull_conversation_comments": sum(p["comments"] for p in t["pulls"].values()),
              "releases": len(t["releases"]),
              "release_assets": sum(len(r["assets"]) for r in t["releases"].values())}
    for key, want in counts.items():
        if rec.get(key) != want:
            diffs.append(f"{name}: record {key} is {rec.get(key)}, not {want}")
    if rec.get("problems"):
        diffs.append(f"{name}: record problems {rec['problems']}")
    return diffs


# ------------------------------------------------------- a stage run, and breaking its cache


def truth_repos(emu) -> dict:
    """The repositories of truth.json (as the emulator last wrote it)."""
    return json.loads((emu.root / "truth.json").read_text())["orgs"][ORG]["repos"]


def backup_and_verify(ctx, hooks=True):
    """github-backup, then verify-and-repair and the pull requests' comments, of every repository:
    (repositories, github-backup's result, the manifest records, the problems)."""
    repos = ctx.api.org_repositories(ORG)
    result = gb.back_up_repositories(ctx, ORG, repos, hooks=hooks)
    records, problems = verify_with_comments(ctx, ORG, repos)
    return repos, result, records, problems


def truncate_largest_pack(clone: Path) -> Path:
    pack = max((clone / ".git" / "objects" / "pack").glob("*.pack"), key=lambda p: p.stat().st_size)
    os.chmod(pack, 0o644)
    with open(pack, "r+b") as f:
        f.truncate(pack.stat().st_size // 2)
    return pack


def fsck_full(git_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "--git-dir", str(git_dir), "-c", "safe.directory=*", "fsck", "--full",
                           "--no-dangling"], capture_output=True, text=True)


def verify_with_comments(ctx: RunContext, org: str, repos: list[dict]):
    """verify-and-repair, then the pull requests' conversation comments (the metadata part that
    fetches them after it on a night), for the decisions of this run: what the manifest's
    records say after both (orgbackup/backup/stages/manifest.py)."""
    from orgbackup.backup.parts import pull_comments
    from orgbackup.backup.planning.changes import change_decisions
    from orgbackup.backup.stages.verify_repair import verify_and_repair
    from orgbackup.results import StageResult

    change_decisions(ctx, org, repos)
    records, problems = verify_and_repair(ctx, org, repos)
    for repo in repos:
        if "pulls" in ctx.config.parts and pull_comments.due(ctx, org, repo):
            outcome = pull_comments.back_up_pull_comments(ctx, org, repo, ctx.org_paths(org).repository_dir(repo["name"]))
            problems = problems + outcome.problems
            if repo["name"] in records:
                records[repo["name"]]["pull_conversation_comments"] = outcome.saved.get(pull_comments.COUNTED, 0)
    return StageResult(records, problems)
