"""The default world (tests/github_emulator/scenario.py): deterministic and sized as the README
says; its submodules' relative URLs resolve on the emulator."""

from __future__ import annotations

import time

from tests.github_emulator import build_world, force_push_away, truth
from tests.github_emulator.builder import ORG
from tests.support.emulator_client import git, run


def test_world_is_deterministic_and_sized(tmp_path):
    started = time.monotonic()
    a = build_world(tmp_path / "a")
    assert time.monotonic() - started < 5
    b = build_world(tmp_path / "b")
    assert (a / "truth.json").read_text() == (b / "truth.json").read_text()
    big = build_world(tmp_path / "big", seed=3, extra_repos=2, megabytes=1)
    t = truth(big)
    assert {"extra-000", "extra-001"} <= set(t["orgs"][ORG]["repos"])
    size = sum(f.stat().st_size for f in (big / "git" / ORG).glob("extra-*.git/**/*") if f.is_file())
    assert 1_000_000 <= size <= 1_300_000   # random bytes do not compress


def test_submodules_resolve_relative_urls(github_emulator, world_root, tmp_path):
    em = github_emulator
    t = truth(world_root)["orgs"]
    clone = tmp_path / "godot"
    git("clone", "-q", f"{em.base_url}/{ORG}/godot.git", clone)
    git("-C", clone, "submodule", "update", "--init", "--recursive", "-q")
    sub = t[ORG]["repos"]["godot"]["submodules"][0]
    assert sub["url"] == "../../upstream-deps/libfoo.git"
    assert git("-C", clone / sub["path"], "rev-parse", "HEAD").strip() == sub["commit"]
    nested = t["upstream-deps"]["repos"]["libfoo"]["submodules"][0]
    assert git("-C", clone / sub["path"] / nested["path"], "rev-parse", "HEAD").strip() == nested["commit"]
    game = t[ORG]["repos"]["game"]["submodules"][0]
    assert game["url"] == "../shared-lib.git"

    gone = force_push_away(world_root, "upstream-deps", "libfoo", "main")
    assert gone["old"] == sub["commit"]
    assert truth(world_root)["orgs"]["upstream-deps"]["repos"]["libfoo"]["refs"]["refs/heads/main"] == gone["new"]
    fresh = tmp_path / "libfoo"
    git("init", "-q", fresh)
    fetch = run("git", "-C", fresh, "fetch", f"{em.base_url}/upstream-deps/libfoo.git", gone["old"], check=False)
    assert fetch.returncode != 0
