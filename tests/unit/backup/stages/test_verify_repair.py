"""Which of github-backup's git failures verify-and-repair's own work settles (`repaired`,
orgbackup/backup/stages/verify_repair.py; the whole run: tests/end_to_end/test_transient_git.py)."""

from __future__ import annotations

from orgbackup.backup.stages.verify_repair import repaired
from orgbackup.results import Problem, StageResult

ORG = "V-Sekai"


def test_a_tool_git_failure_of_a_repository_verified_whole_is_no_problem():
    problems = [Problem(ORG, "docs", "github-backup", "git returned 2:"),
                Problem(ORG, "docs", "github-backup", "API request returned HTTP 502: Bad Gateway"),
                Problem(ORG, "game", "github-backup", "git returned 128:"),
                Problem(ORG, "lost", "github-backup", "git returned 128:"),
                Problem(ORG, None, "budget", "deferred ...", "deferred")]
    verified = StageResult({"docs": {"refs": {}}, "game": {"refs": {}}},
                           [Problem(ORG, "game", "repository", "git clone failed: ...")])
    # docs: whole, its git failure settled (not its API failure); game: still failing; lost: not verified
    assert repaired(problems, verified) == problems[1:]
