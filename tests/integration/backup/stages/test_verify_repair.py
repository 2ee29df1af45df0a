"""The verify-and-repair stage (orgbackup/backup/stages/verify_repair.py): real git / git-lfs /
github-backup 0.40.0 against the emulator, checked against truth.json (its pure helpers:
tests/unit/backup/stages/test_verify_repair.py; a damaged cache healing:
test_verify_repair_heals.py here)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from orgbackup.backup.stages import github_backup as gb
from tests.github_emulator import force_push_away, mutate
from tests.github_emulator.builder import FastImport
from tests.support.run_context import (ORG, backup_and_verify, differences_from_truth, git_refs, make_context, truth_repos,
                                       verify_with_comments)


def remote_urls(repo: Path) -> list[str]:
    out = subprocess.run(["git", "-C", str(repo), "config", "--get-regexp", r"^remote\..*\.url$"],
                         capture_output=True, text=True).stdout
    return [line.split(" ", 1)[1] for line in out.splitlines()]


def test_first_run_then_a_day_of_activity_then_nothing(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    ctx = make_context(emu, tmp_path, monkeypatch)
    gb_dir = ctx.org_paths(ORG).github_backup

    emu.reset_counters()
    repos, result, records, problems = backup_and_verify(ctx)
    first_api = emu.counters()["api"]
    assert result.problems == [] and problems == []
    assert differences_from_truth(gb_dir, truth_repos(emu), records=records) == []
    assert sorted(records) == sorted(r["name"] for r in repos)
    assert records["v-sekai.github.io"]["wiki"]["refs"]  # the wiki 0.40.0 cannot find
    assert records["empty"]["empty"] is True and records["empty"]["refs"] == {}
    assert records["godot"]["pull_conversation_comments"] == 5
    assert "gitim" not in records["godot"]
    # No credentials in any remote URL of any clone.
    for clone in gb_dir.glob("repositories/*/*/.git"):
        for url in remote_urls(clone.parent):
            assert "@" not in url and emu.admin_token not in url, (clone, url)

    # A day of activity: github-backup 0.40.0 alone leaves the clones stale ...
    truth = mutate(emu.root)["orgs"][ORG]["repos"]
    ctx2 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    repos2 = ctx2.api.org_repositories(ORG)
    result2 = gb.back_up_repositories(ctx2, ORG, repos2, hooks=True)
    assert result2.problems == []
    assert {"godot", "shared-lib", "assets-lfs", "new-repo-1"} <= set(result2.captured.ran)
    assert "old-archive" in result2.captured.skipped
    godot_clone = ctx.org_paths(ORG).repository_dir("godot") / "repository"
    assert git_refs(godot_clone)["refs/heads/main"] != truth["godot"]["refs"]["refs/heads/main"]  # upstream #210
    # ... and verify-and-repair brings everything new.
    records2, problems2 = verify_with_comments(ctx2, ORG, repos2)
    assert problems2 == []
    assert differences_from_truth(gb_dir, truth, records=records2) == []
    assert records2["godot"]["pull_conversation_comments"] == 6
    assert "refs/tags/day-1" in records2["godot"]["refs"]

    # Nothing changed since: one GraphQL query for the 11 repositories, no fetch, no problem.
    ctx3 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    emu.reset_counters()
    result3 = gb.back_up_repositories(ctx3, ORG, repos2, hooks=True)
    records3, problems3 = verify_with_comments(ctx3, ORG, repos2)
    counters = emu.counters()
    assert result3.captured.ran == [] and problems3 == []
    assert counters["api"] == counters["graphql"] == 1
    assert counters["lfs"] == 0
    assert records3 == records2
    print(f"API requests: first run {first_api}, unchanged re-run {counters['api']}; "
          f"git requests unchanged re-run {counters['git']}")


def test_repairs_a_damaged_cache_without_github_backup(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    ctx = make_context(emu, tmp_path, monkeypatch)
    repos, _, _, problems = backup_and_verify(ctx)
    assert problems == []
    paths = ctx.org_paths(ORG)
    # Damage: a clone gone, a clone that is not a repository, a corrupt LFS object, a wiki gone.
    shutil.rmtree(paths.repository_dir("godot") / "repository")
    shutil.rmtree(paths.repository_dir("game") / "repository" / ".git")
    lfs = sorted((paths.repository_dir("assets-lfs") / "repository" / ".git" / "lfs" / "objects").rglob("*"))
    victim = next(p for p in lfs if p.is_file())
    victim.write_bytes(b"corrupt")
    shutil.rmtree(paths.repository_dir("docs") / "wiki")
    subprocess.run(["git", "-C", str(paths.repository_dir("shared-lib") / "repository"), "remote", "set-url",
                    "origin", f"https://{emu.admin_token}:x-oauth-basic@{emu.host}/{ORG}/shared-lib.git"], check=True)

    ctx2 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    records, problems = verify_with_comments(ctx2, ORG, repos)
    assert problems == []
    assert differences_from_truth(paths.github_backup, truth_repos(emu), records=records) == []
    assert remote_urls(paths.repository_dir("shared-lib") / "repository") == [
        f"https://{emu.host}/{ORG}/shared-lib.git"]
    # The clone it made is a working clone, so github-backup's next run still works.
    assert (paths.repository_dir("godot") / "repository" / "README.md").is_file()

    # History rewritten on GitHub, and a first push into the empty repository.
    moved = force_push_away(emu.root, ORG, "shared-lib")
    fi = FastImport()
    fi.commit("refs/heads/main", {"README.md": "# no longer empty\n"}, "first", 1700000000)
    fi.run(emu.root / "git" / ORG / "empty.git")
    ctx3 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    records3, problems3 = verify_with_comments(ctx3, ORG, repos)
    assert problems3 == []
    assert records3["shared-lib"]["refs"] == {"refs/heads/main": moved["new"]}
    assert records3["empty"]["empty"] is False
    assert (paths.repository_dir("empty") / "repository" / "README.md").read_text() == "# no longer empty\n"


def test_a_repository_whose_git_fails_is_a_problem_others_complete(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    emu.set_faults(git_500_repos=[f"{ORG}/shared-lib", f"{ORG}/docs.wiki"])
    ctx = make_context(emu, tmp_path, monkeypatch)
    repos, result, records, problems = backup_and_verify(ctx)
    assert result.problems == []  # github-backup 0.40.0 says nothing: "not initialized"
    assert {(p.repo, p.part) for p in problems} == {("shared-lib", "repository"), ("docs", "wiki")}
    assert all("500" in p.message for p in problems)
    assert records["shared-lib"]["problems"] and records["shared-lib"]["refs"] == {}
    truth = truth_repos(emu)
    assert differences_from_truth(ctx.org_paths(ORG).github_backup, truth, records=records,
                                  skip=("shared-lib", "docs")) == []

    # The fault is gone: the next run repairs both, although github-backup skips them.
    emu.set_faults()
    ctx2 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    result2 = gb.back_up_repositories(ctx2, ORG, repos, hooks=True)
    assert result2.captured.ran == []
    records2, problems2 = verify_with_comments(ctx2, ORG, repos)
    assert problems2 == []
    assert differences_from_truth(ctx.org_paths(ORG).github_backup, truth, records=records2) == []
