"""run_git (orgbackup/git/run.py) against the emulator's git: a network git whose server answers 500
is tried again with the one retry schedule and a log line per retry; one that keeps failing ends
failed after TRIES tries; a refusal (404) is not tried again (the words: tests/unit/git/test_transient.py)."""

from __future__ import annotations

import logging
import time

import pytest

from orgbackup.errors import CommandFailed
from orgbackup.git import argv as git
from orgbackup.git.run import TRIES, run_git
from tests.support.cli import ORG


def retries(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "orgbackup.git.run"]


def test_two_500s_then_the_answer(github_emulator, caplog):
    github_emulator.set_faults(git_500_repos={f"{ORG}/godot": 2})
    with caplog.at_level(logging.WARNING):
        result = run_git(git.ls_remote(f"{github_emulator.base_url}/{ORG}/godot.git"), stall=60)
    assert "refs/heads/main" in result.stdout
    assert github_emulator.counters(all=True)["git_500"] == 2
    lines = retries(caplog)
    assert len(lines) == 2 and all("returned error: 500); trying again in" in line for line in lines), lines
    assert "(try 2 of 4)" in lines[0] and "(try 3 of 4)" in lines[1]


def test_a_persistent_500_fails_after_every_try(github_emulator, caplog):
    github_emulator.set_faults(git_500_repos=[f"{ORG}/godot"])
    started = time.monotonic()
    with caplog.at_level(logging.WARNING), pytest.raises(CommandFailed, match="returned error: 500"):
        run_git(git.ls_remote(f"{github_emulator.base_url}/{ORG}/godot.git"), stall=60)
    assert github_emulator.counters(all=True)["git_500"] == TRIES and len(retries(caplog)) == TRIES - 1
    assert time.monotonic() - started < 1.5 * (1 + 2 + 4) + 5  # the schedule's waits, with their jitter


def test_a_refusal_is_not_tried_again(github_emulator, caplog):
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        result = run_git(git.ls_remote(f"{github_emulator.base_url}/{ORG}/no-such-repository.git"), stall=60,
                         check=False)
    assert result.returncode == 128 and "not found" in result.stderr
    assert retries(caplog) == [] and time.monotonic() - started < 1


def test_a_local_git_is_not_tried_again(github_emulator, caplog):
    """Without `stall` git does not talk to a server: its failure is the disk's, not the network's."""
    github_emulator.set_faults(git_500_repos=[f"{ORG}/godot"])
    with caplog.at_level(logging.WARNING):
        result = run_git(git.ls_remote(f"{github_emulator.base_url}/{ORG}/godot.git"), check=False)
    assert result.returncode == 128 and github_emulator.counters(all=True)["git_500"] == 1
    assert retries(caplog) == []
