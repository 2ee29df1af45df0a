"""The github-backup stage's pure parts (orgbackup/backup/stages/github_backup.py): argument tuples,
output parsing, the longest repositories first."""

from __future__ import annotations

from pathlib import Path

from orgbackup.config.settings import ALL_PARTS
from orgbackup.cache.state_store import RepoState
from orgbackup.backup.stages import github_backup as gb
from tests.support.run_context import ORG


OUT = Path("/cache/.state/V-Sekai/github-backup-runs/godot")


def argv(**kw):
    values = dict(output_dir=OUT, parts=ALL_PARTS, hooks=False,
                  github_host=None, prefer_ssh=False)
    values.update(kw)
    return gb.github_backup_argv(ORG, "godot", **values)


def test_argv_asks_every_part_explicitly_never_all():
    assert argv() == gb.RUNNER + (
        "V-Sekai", "--organization",
        "-o", str(OUT),
        "--incremental", "--private", "--fork", "--lfs",
        "-R", "godot",
        "--repositories", "--wikis",
        "--issues", "--issue-comments", "--issue-events",
        "--pulls", "--pull-comments", "--pull-commits", "--pull-details",
        "--milestones", "--labels", "--releases", "--assets",
        "--as-app",  # no GET /user per repository
    )
    assert "--all" not in argv(hooks=True)


def test_argv_parts_hooks_host_and_ssh():
    only = argv(parts=("releases",), hooks=True, github_host="ghe.example.com:8443", prefer_ssh=True)
    assert only[only.index("--repositories"):] == (
        "--repositories", "--releases", "--hooks", "-H", "ghe.example.com:8443", "--prefer-ssh", "--as-app")
    assert "--assets" not in argv(parts=("releases",))
    assert "--assets" not in argv(parts=("assets",))  # assets only come with releases
    assert argv(parts=())[-2:] == ("--repositories", "--as-app")


def test_argv_of_a_personal_account_has_no_organization_flag():
    person = gb.github_backup_argv("alice", "notes", output_dir=OUT, parts=("issues",), hooks=False,
                                   github_host=None, prefer_ssh=False, organization=False)
    assert "--organization" not in person
    assert person[len(gb.RUNNER):len(gb.RUNNER) + 3] == ("alice", "-o", str(OUT))
    assert person[person.index("-R"):person.index("-R") + 2] == ("-R", "notes")


def test_argv_carries_no_token():
    assert not any("ghp_" in a for a in argv())


def test_problems_in_output():
    text = (
        "2026-11-25T03:00:00.000: Requesting https://h/api/v3/repos/V-Sekai/godot/issues?per_page=100\n"
        "2026-11-25T03:00:01.000: Skipping godot (https://*****:x-oauth-basic@h/V-Sekai/godot.wiki.git) since it's not initialized\n"
        "git returned 128:\n\t git lfs clone https://***:x-oauth-basic@h/V-Sekai/godot.git /x\n"
        "2026-11-25T03:00:02.000: API request returned HTTP 404: Not Found\n"
        "2026-11-25T03:00:03.000: Skipping download of asset https://h/a/1 due to HTTPError: Not Found\n"
        "git returned 0:\n"
    )
    assert gb.problems_in_output(text) == [
        "API request returned HTTP 404: Not Found",
        "git returned 128:",
        "Skipping download of asset https://h/a/1 due to HTTPError: Not Found",
    ]
    assert gb.problems_in_output("Backing up user V-Sekai\n") == []


def test_longest_repositories_are_expected_first():
    from orgbackup.backup.stages.github_backup import expected_seconds

    busy = {"name": "godot", "open_issues_count": 120, "size": 900}
    quiet = {"name": "docs", "open_issues_count": 0, "size": 10}
    assert expected_seconds(busy, None) > expected_seconds(quiet, None)
    # A measured time beats the guess.
    assert expected_seconds(quiet, RepoState("o", 1, "docs", "docs", seconds=99.0)) == 99.0


def test_an_lfs_fetch_failure_is_recognised_with_its_command_line():
    from orgbackup.backup.stages.github_backup import LFS_FETCH_FAILURE, problems_in_output

    text = ("Updating empty in /cache/repositories/empty/repository\n"
            "git returned 2:\n\t git lfs fetch --all --prune\n"
            "git returned 128:\n\t git fetch --all --force --tags --prune\n")
    left = LFS_FETCH_FAILURE.sub("", text)
    assert problems_in_output(left) == ["git returned 128:"]
    assert problems_in_output(text) == ["git returned 2:", "git returned 128:"]
