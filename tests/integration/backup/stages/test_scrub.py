"""The scrub stage (orgbackup/backup/stages/scrub.py): credential-free remote URLs, and every
file holding the token found, with real git on repositories made in tmp_path (no emulator
needed); its throughput on a 200 MB tree (the pure parts: tests/unit/backup/stages/test_scrub.py).
"""

from __future__ import annotations

import secrets
import base64
import os
import subprocess
import time
from pathlib import Path

from orgbackup.config.settings import Config
from orgbackup.config.readers import Secret
from orgbackup.backup.context import RunContext
from orgbackup.backup.stages import scrub


TOKEN = "ghp_" + secrets.token_hex(18)  # made at run time, never committed
ORG = "V-Sekai"


def make_ctx(cache: Path, token: str = TOKEN) -> RunContext:
    config = Config(
        orgs=(ORG,),
        token=Secret(token),
        restic_repository=Secret("local:/nowhere"),
        restic_password=Secret("pw"),
        cache_dir=cache,
    )
    return RunContext(config=config, files=None, api=None, started="2026-01-01T00:00:00Z")


def git(*args, cwd=None) -> str:
    return subprocess.run(("git",) + args, cwd=cwd, check=True, capture_output=True, text=True).stdout


def init_repo(path: Path, url: str) -> Path:
    path.mkdir(parents=True)
    git("init", "--quiet", "-b", "main", str(path))
    (path / "README.md").write_text("hello\n")
    git("-C", str(path), "add", "README.md")
    git("-C", str(path), "commit", "--quiet", "-m", "first")
    git("-C", str(path), "remote", "add", "origin", url)
    return path


# The stage on a tree like the cache

def build_tree(cache: Path) -> dict[str, Path]:
    root = cache / ORG
    bad_url = f"https://{TOKEN}:x-oauth-basic@github.example/{ORG}/r1.git"
    repo = init_repo(root / "github-backup/repositories/r1/repository", bad_url)
    wiki = init_repo(
        root / "github-backup/repositories/r1/wiki",
        f"https://{TOKEN}:x-oauth-basic@github.example/{ORG}/r1.wiki.git",
    )
    gitim_clone = init_repo(root / f"gitim/{ORG}/r1", f"https://github.example/{ORG}/r1.git")
    git("-C", str(gitim_clone), "config", "--add", "remote.origin.pushurl", f"https://{TOKEN}@github.example/{ORG}/r1.git")
    mirror = root / "dependencies/github.example/other/dep.git"
    git("clone", "--quiet", "--mirror", str(repo), str(mirror))
    git("-C", str(mirror), "remote", "set-url", "origin", "https://someone:hunter22@github.example/other/dep.git")
    module = repo / ".git/modules/sub"
    git("init", "--quiet", "--bare", str(module))
    git("--git-dir", str(module), "config", "remote.origin.url", f"https://{TOKEN}@github.example/{ORG}/sub.git")

    planted = {
        "issue": root / "github-backup/repositories/r1/issues/1.json",
        "header": root / "github-backup/repositories/r1/pulls/2.json",
        "binary": root / "github-backup/repositories/r1/releases/v1/asset.bin",
    }
    for path in planted.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    planted["issue"].write_text(f'{{"body": "oops, my token is {TOKEN}"}}')
    basic = base64.b64encode(f"{TOKEN}:x-oauth-basic".encode()).decode()
    planted["header"].write_text(f'{{"body": "Authorization: Basic {basic}"}}')
    blob = bytearray(os.urandom(3 * scrub.BLOCK))
    at = scrub.BLOCK - 7  # straddles the first block boundary
    blob[at : at + len(TOKEN)] = TOKEN.encode()
    planted["binary"].write_bytes(bytes(blob))
    (root / "github-backup/repositories/r1/issues/2.json").write_text('{"body": "ghp_ScrubTestToken"}')
    (root / "github-backup/repositories/r1/issues/3.json").write_bytes(os.urandom(100_000))
    os.symlink("/etc/passwd", root / "github-backup/repositories/r1/link")
    return {"repo": repo, "wiki": wiki, "gitim": gitim_clone, "mirror": mirror, "module": module, **planted}


def test_scrub_cleans_every_config_and_flags_planted_files(tmp_path, hermetic_git, caplog):
    cache = tmp_path / "cache"
    tree = build_tree(cache)
    caplog.set_level("INFO")

    flagged, problems = scrub.scrub_tree(make_ctx(cache), ORG)

    assert git("-C", str(tree["repo"]), "remote", "get-url", "origin").strip() == f"https://github.example/{ORG}/r1.git"
    assert git("-C", str(tree["wiki"]), "remote", "get-url", "origin").strip() == f"https://github.example/{ORG}/r1.wiki.git"
    assert git("-C", str(tree["gitim"]), "config", "remote.origin.pushurl").strip() == f"https://github.example/{ORG}/r1.git"
    assert git("-C", str(tree["mirror"]), "remote", "get-url", "origin").strip() == "https://github.example/other/dep.git"
    assert "hunter22" not in (tree["mirror"] / "config").read_text()
    assert git("--git-dir", str(tree["module"]), "config", "remote.origin.url").strip() == f"https://github.example/{ORG}/sub.git"
    # the mirror keeps its other settings
    assert git("-C", str(tree["mirror"]), "config", "remote.origin.mirror").strip() == "true"

    assert sorted(flagged) == sorted([tree["issue"], tree["header"], tree["binary"]])
    assert len(problems) == 3 and {p.part for p in problems} == {"secrets"}
    assert {p.repo for p in problems} == {"r1"}
    for problem in problems:
        assert TOKEN not in str(problem) and TOKEN[4:20] not in str(problem)
    assert TOKEN not in caplog.text

    # a second run finds nothing more to clean and the same files
    flagged_again, _ = scrub.scrub_tree(make_ctx(cache), ORG)
    assert sorted(flagged_again) == sorted(flagged)


def test_scrub_of_a_clean_tree_reports_nothing(tmp_path, hermetic_git):
    cache = tmp_path / "cache"
    init_repo(cache / ORG / f"gitim/{ORG}/r", f"https://github.example/{ORG}/r.git")
    assert scrub.scrub_tree(make_ctx(cache), ORG) == ([], [])
    assert scrub.scrub_tree(make_ctx(cache), "Other") == ([], [])


def test_scrub_throughput_on_a_200_mb_tree(tmp_path, hermetic_git, capsys):
    """200 MB in files of 64 KiB to 40 MiB; prints the measured rate (see the module docstring)."""
    root = tmp_path / "cache" / ORG / "github-backup/repositories"
    sizes = [40 << 20, 40 << 20, 20 << 20] + [1 << 20] * 80 + [64 << 10] * 320
    rng = os.urandom(1 << 20)
    written = 0
    for i, size in enumerate(sizes):
        path = root / f"r{i % 16}" / f"file{i}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            for _ in range(size >> 20):
                f.write(rng)
            f.write(rng[: size & ((1 << 20) - 1)])
        written += size
    patterns = scrub.token_patterns(TOKEN)
    started = time.perf_counter()
    holding, unreadable, total, clean = scrub.files_holding(root.parent.parent, patterns)
    seconds = time.perf_counter() - started
    assert holding == [] and unreadable == [] and total == written
    with capsys.disabled():  # a figure for people; speed targets belong to the benchmark, not to tests
        print(f"\nscrub scan: {total / 1e6:.0f} MB in {len(sizes)} files, {seconds:.2f} s, {total / seconds / 1e6:.0f} MB/s")

    # A second scan reads nothing that is unchanged, and still finds a file that changed.
    memo = scrub.CleanMemo(scrub.SortedFingerprints(scrub.sorted_fingerprints(clean)))
    again = scrub.files_holding(root.parent.parent, patterns, memo)
    assert again[:3] == ([], [], 0) and again[3] == clean
    changed = root / "r1" / "file1.bin"
    with open(changed, "ab") as f:
        f.write(TOKEN.encode())
    holding, _, total, _ = scrub.files_holding(root.parent.parent, patterns, memo)
    assert holding == [changed] and total == 0
