"""The emulator's command line (`python -m tests.github_emulator build|mutate|serve`,
tests/github_emulator/__main__.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests

from tests.github_emulator.builder import ORG
from tests.support.emulator_client import run
from tests.support.paths import ROOT


def test_cli_serve(world_root, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "tests.github_emulator", "serve", "--root", str(world_root)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        while not lines or lines[-1] != "}\n":
            lines.append(proc.stdout.readline())
        info = json.loads("".join(lines))
        assert info["host"].startswith("localhost:") and Path(info["ca_file"]).is_file()
        counters = requests.get(info["base_url"] + "/_emulator/counters", verify=info["ca_file"], timeout=10)
        assert counters.json()["api"] == 0
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_cli_build_and_mutate(tmp_path):
    root = tmp_path / "cli-world"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run(sys.executable, "-m", "tests.github_emulator", "build", "--root", root, cwd=ROOT, env=env)
    assert (root / "truth.json").is_file()
    run(sys.executable, "-m", "tests.github_emulator", "mutate", "--root", root, cwd=ROOT, env=env)
    assert "new-repo-1" in json.loads((root / "truth.json").read_text())["orgs"][ORG]["repos"]


def test_serve_without_a_built_world_says_build_first(tmp_path):
    """`serve` on an empty folder once answered every request with a traceback."""
    root = ROOT
    result = subprocess.run([sys.executable, "-m", "tests.github_emulator", "serve", "--root", str(tmp_path / "w")],
                            cwd=root, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"python -m tests.github_emulator serve: no world in {tmp_path / 'w'}: make one "
                                     f"first with `python -m tests.github_emulator build --root {tmp_path / 'w'}`")
