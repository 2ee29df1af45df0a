"""The backup run end to end: real github-backup 0.40.0, the gitim stand-in, git,
git-lfs and restic against the GitHub emulator, checked by restoring the snapshot
and comparing it with the emulator's truth."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

from orgbackup.cli import main
from tests.github_emulator.mutate import mutate
from tests.github_emulator.truth import truth
from tests.support.cli import ORG, restic_env, restore, run_backup, snapshots
from tests.support.truth_compare import compare_org, files_holding
from tests.support.paths import ROOT


def test_first_run_mutate_second_run_and_a_failing_repository(github_emulator, backup_env, tmp_path, capsys):
    env = backup_env
    token = github_emulator.admin_token_file.read_text().strip()

    # A first run: everything the emulator holds comes back from the snapshot.
    status, summary, first_seconds = run_backup(env, capsys)
    assert status == 0, summary
    org_summary = summary["orgs"][0]
    assert org_summary["org"] == ORG and org_summary["status"] == "complete"
    first = restore(env, org_summary["snapshot_id"], tmp_path / "restore-1")
    expected = truth(github_emulator.root)
    assert compare_org(ORG, expected, first) == []
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["complete"] is True
    assert set(manifest["repositories"]) == set(expected["orgs"][ORG]["repos"])
    assert files_holding(tmp_path / "restore-1", token.encode()) == []

    # A day of activity, then a second run: everything new is there.
    mutate(github_emulator.root)
    status, summary, second_seconds = run_backup(env, capsys)
    assert status == 0, summary
    second_id = summary["orgs"][0]["snapshot_id"]
    second = restore(env, second_id, tmp_path / "restore-2")
    after = truth(github_emulator.root)
    assert after != expected
    assert compare_org(ORG, after, second) == []
    assert files_holding(tmp_path / "restore-2", token.encode()) == []
    assert summary["orgs"][0]["data_added"] < 5 * 1024 * 1024

    # One repository's git endpoint fails: the others complete, exit 3, the report names it,
    # and the earlier snapshots stay as they were.
    before = {s["id"]: s["tree"] for s in snapshots(env)}
    mutate(github_emulator.root)
    github_emulator.set_faults(git_500_repos=[f"{ORG}/docs"])
    status, summary, _ = run_backup(env, capsys)
    assert status == 3
    problems = " ".join(summary["orgs"][0]["problem_list"])
    assert f"{ORG}/docs" in problems
    after_fault = {s["id"]: s for s in snapshots(env)}
    for snapshot_id, tree in before.items():
        assert after_fault[snapshot_id]["tree"] == tree
    newest_id = summary["orgs"][0]["snapshot_id"]  # restic prints the short id
    newest = next(s for i, s in after_fault.items() if i.startswith(newest_id))
    assert "incomplete" in newest["tags"]
    third = restore(env, newest["id"], tmp_path / "restore-3")
    latest_truth = truth(github_emulator.root)
    others = {k: v for k, v in latest_truth["orgs"][ORG]["repos"].items() if k != "docs"}
    assert compare_org(ORG, {"orgs": {ORG: {"repos": others}}}, third) == []
    print(f"first run {first_seconds:.1f} s, second run {second_seconds:.1f} s")


def test_bad_token_exits_1_quickly_and_touches_nothing(github_emulator, backup_env, tmp_path, capsys):
    env = dict(backup_env)
    bad = tmp_path / "bad-token"
    bad.write_text("not-a-valid-token\n")
    env["GITHUB_TOKEN_FILE"] = str(bad)
    started = time.monotonic()
    assert main(["backup"], environ=env) == 1
    assert time.monotonic() - started < 10
    captured = capsys.readouterr()
    # The message names the variable the token came from (a file here), and the run still
    # reports like one whose organization does not exist: a failed table and the JSON line.
    line = f"GITHUB_TOKEN_FILE ({bad}): GitHub rejected the token (HTTP 401 Bad credentials)"
    assert captured.err.strip().splitlines()[-1].endswith(line), captured.err
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert summary["exit_status"] == 1
    assert [(o["org"], o["status"], o["problem_list"]) for o in summary["orgs"]] == [(ORG.lower(), "failed", [line])]
    assert "  status               failed" in captured.out
    assert not Path(env["RESTIC_REPOSITORY"]).exists()
    # The token itself, from GITHUB_TOKEN: named so.
    env = dict(backup_env, GITHUB_TOKEN="not-a-valid-token")
    del env["GITHUB_TOKEN_FILE"]
    assert main(["backup"], environ=env) == 1
    assert "GITHUB_TOKEN: GitHub rejected the token" in capsys.readouterr().err


def test_wrong_restic_password_exits_1_and_repository_untouched(github_emulator, backup_env, tmp_path, capsys):
    env = dict(backup_env)
    subprocess.run(["restic", "init"], env=restic_env(env), check=True, capture_output=True)
    listing = sorted(str(p) for p in Path(env["RESTIC_REPOSITORY"]).rglob("*"))
    env["RESTIC_PASSWORD"] = "wrong-password-here"
    assert main(["backup"], environ=env) == 1
    err = capsys.readouterr().err
    assert "password is wrong" in err and "wrong-password-here" not in err
    assert sorted(str(p) for p in Path(env["RESTIC_REPOSITORY"]).rglob("*")) == listing


def test_missing_variable_exits_2(backup_env, capsys):
    env = dict(backup_env)
    del env["RESTIC_REPOSITORY"]
    assert main(["backup"], environ=env) == 2
    assert "RESTIC_REPOSITORY (or RESTIC_REPOSITORY_FILE) is required" in capsys.readouterr().err


def test_unknown_organization_exits_1(github_emulator, backup_env, capsys):
    env = dict(backup_env, GITHUB_ORGS="no-such-org")
    assert main(["backup"], environ=env) == 1
    err = capsys.readouterr().err
    # The only organization: no "the other organizations are backed up".
    [error] = [line for line in err.splitlines() if " ERROR " in line]
    assert error.endswith(
        "no-such-org: organization 'no-such-org' does not exist or the token cannot see it (GITHUB_ORGS)"), err


def test_the_summary_names_each_row_once_in_good_english(github_emulator, backup_env, capsys):
    """One `organization` row (its name; the organization's members and teams are
    `organization data`), and 1 comment, 2 comments; an unknown organization beside a good
    one says that the other is backed up."""
    from orgbackup.backup.stages.summary import OrgOutcome, render_table

    env = dict(backup_env, GITHUB_ORGS=f"no-such-org,{ORG}")
    assert main(["backup"], environ=env) == 1
    captured = capsys.readouterr()
    assert ("no-such-org: organization 'no-such-org' does not exist or the token cannot see it (GITHUB_ORGS); "
            "the other organizations are backed up") in captured.err
    rows = dict_rows = [re.match(r"^  (\S.*?) {2,}(.*)$", line).groups() for line in captured.out.splitlines()
                        if re.match(r"^  \S", line)]
    assert [value for label, value in rows if label == "organization"] == ["no-such-org", ORG]
    data = dict(dict_rows[[label for label, _ in rows].index("organization", 1):])["organization data"]
    assert data.startswith("3 members (1 outside collaborator, 3 teams, 4 team members, 2 hooks, 1 ruleset,"), data
    outcome = OrgOutcome("A", metadata={"discussions": {"saved": {"discussions": 1, "comments": 1, "replies": 2}}})
    assert re.search(r"\n  discussions +1 \(1 comment, 2 replies\)\n", render_table(outcome))


def test_second_run_waits_for_no_one_and_says_so(backup_env, tmp_path, capsys):
    from orgbackup.cache.lock import cache_lock

    env = dict(backup_env)
    with cache_lock(Path(env["BACKUP_CACHE_DIR"])):
        # The lock is per open file, so a second lock from this process fails like another run's would.
        status = main(["backup"], environ=env)
    assert status == 1
    assert "holds the cache" in capsys.readouterr().err


def test_sigterm_ends_tools_releases_lock_and_marks_nothing_complete(github_emulator, backup_env, tmp_path):
    import signal
    import sys

    github_emulator.set_faults(latency_ms=150)  # slow enough to be stopped mid-capture
    env = dict(os.environ, **backup_env)
    repo_root = ROOT
    proc = subprocess.Popen([sys.executable, str(repo_root / "entrypoint.py"), "backup"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    cache = Path(backup_env["BACKUP_CACHE_DIR"]) / ORG
    while time.monotonic() < deadline and not (cache / "github-backup").exists():
        time.sleep(0.2)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 130, err[-2000:]
    assert "stopped by signal SIGTERM" in err
    # No tool is left running, and no snapshot claims to be complete.
    leftovers = subprocess.run(["pgrep", "-f", str(cache)], capture_output=True, text=True).stdout.split()
    assert leftovers == []
    assert [s for s in snapshots(backup_env) if "complete" in (s.get("tags") or [])] == []
    # The lock is free again.
    from orgbackup.cache.lock import cache_lock

    with cache_lock(Path(backup_env["BACKUP_CACHE_DIR"])):
        pass


def test_a_token_without_admin_rights_skips_hooks_and_says_why(github_emulator, backup_env, tmp_path, capsys):
    """github-backup 0.40.0 ends its whole run on the hooks 404 such a token gets; the wrapper asks first."""
    env = dict(backup_env, GITHUB_TOKEN_FILE=str(github_emulator.reader_token_file))
    status, summary, _ = run_backup(env, capsys)
    assert status == 0, summary
    hooks = summary["orgs"][0]["hooks"]
    assert hooks["backed_up"] is False and "cannot read hooks" in hooks["reason"]
    restored = restore(env, summary["orgs"][0]["snapshot_id"], tmp_path / "restore")
    assert compare_org(ORG, truth(github_emulator.root), restored) == []
    assert not list(restored.glob("github-backup/repositories/*/hooks/hooks.json"))
