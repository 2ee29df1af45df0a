"""Transient git failures over whole backup runs against the emulator (the git_500_repos fault):
a repository whose first git requests answer 500 ends captured whole, its git retried with the
one retry schedule (orgbackup/backoff.py); one that keeps answering 500 stays that repository's
problem while the others complete (the classification of git's words: tests/unit/git/test_transient.py)."""

from __future__ import annotations

import logging

import pytest

from tests.github_emulator.truth import truth
from tests.support.cli import ORG, restore, run_backup
from tests.support.truth_compare import compare_org


def retry_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "trying again in" in r.getMessage()]


@pytest.mark.parametrize("fault", [
    # The night: the first two git requests of one repository answered 500.
    "git_500_repos",
    # github-backup's clone of one repository fails at its pack (500) and the wrapper's first
    # clone of it too: verify-and-repair's retried clone brings it, whole.
    "git_500_packs",
])
def test_two_500s_end_retried_and_restored_whole(fault, github_emulator, backup_env, tmp_path, capsys, caplog):
    github_emulator.set_faults(**{fault: {f"{ORG}/docs": 2}})
    caplog.set_level(logging.INFO)
    status, summary, seconds = run_backup(backup_env, capsys)
    served = github_emulator.counters(all=True)["git_500"]
    print(f"{fault}: exit {status}, {seconds:.0f} s, {served} answers 500, retries {retry_lines(caplog)}, "
          f"problems {summary['orgs'][0]['problem_list']}")
    assert served == 2
    assert status == 0, summary
    assert any("docs" in line and "500" in line for line in retry_lines(caplog))
    restored = restore(backup_env, summary["orgs"][0]["snapshot_id"], tmp_path / "restore")
    assert compare_org(ORG, truth(github_emulator.root), restored) == []


def test_a_persistent_500_stays_that_repositorys_problem(github_emulator, backup_env, tmp_path, capsys, caplog):
    github_emulator.set_faults(git_500_repos=[f"{ORG}/docs"])
    caplog.set_level(logging.INFO)
    status, summary, seconds = run_backup(backup_env, capsys)
    problems = summary["orgs"][0]["problem_list"]
    print(f"exit {status}, {seconds:.0f} s, {github_emulator.counters(all=True)['git_500']} answers 500, "
          f"problems {problems}")
    assert status == 3, summary
    assert any(p.startswith(f"{ORG}/docs [repository]: git ls-remote failed") and "500" in p for p in problems)
    assert all(p.startswith(f"{ORG}/docs ") for p in problems), problems
    assert any("docs" in line for line in retry_lines(caplog))
    expected = truth(github_emulator.root)
    others = {k: v for k, v in expected["orgs"][ORG]["repos"].items() if k != "docs"}
    restored = restore(backup_env, summary["orgs"][0]["snapshot_id"], tmp_path / "restore")
    assert compare_org(ORG, {"orgs": {ORG: {"repos": others}}}, restored) == []
