"""The verify-and-repair stage: pure helpers, and real git / git-lfs / github-backup
0.40.0 against the emulator, checked against truth.json."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from orgbackup.git import argv as git
from orgbackup.backup.stages import github_backup as gb
from orgbackup.git import clones
from orgbackup.backup.stages import verify_repair as vr
from orgbackup.github.urls import without_credentials
from tests.github_emulator import force_push_away, mutate
from tests.github_emulator.builder import FastImport
from tests.helpers_run import ORG, differences_from_truth, git_refs, make_context

# ---------------------------------------------------------------- pure helpers


def test_merge_comments_keeps_everything_newest_version_wins():
    saved = [{"id": 5, "body": "old", "updated_at": "2023-01-01T00:00:00Z"},
             {"id": 2, "body": "kept", "updated_at": "2023-01-01T00:00:00Z"}]
    new = [{"id": 5, "body": "edited", "updated_at": "2023-01-02T00:00:00Z"},
           {"id": 9, "body": "new", "updated_at": "2023-01-03T00:00:00Z"}]
    merged = vr.merge_comments(saved, new)
    assert [c["id"] for c in merged] == [2, 5, 9]
    assert merged[1]["body"] == "edited"
    assert vr.merge_comments(merged, [{"id": 5, "body": "stale", "updated_at": "2022-01-01T00:00:00Z"}])[1]["body"] \
        == "edited"


def test_save_pull_comments_only_for_pull_requests(tmp_path):
    (tmp_path / "pulls").mkdir()
    (tmp_path / "issues").mkdir()
    (tmp_path / "pulls" / "3.json").write_text("{}")
    (tmp_path / "issues" / "1.json").write_text("{}")
    api = "https://h/api/v3/repos/O/R/issues/"
    comments = [{"id": 1, "issue_url": api + "3", "updated_at": "a"},
                {"id": 2, "issue_url": api + "1", "updated_at": "a"},
                {"id": 3, "issue_url": api + "4", "html_url": "https://h/O/R/pull/4#issuecomment-3", "updated_at": "a"}]
    saved, complete = vr.save_pull_comments(tmp_path, comments, issues_saved=True)
    assert (saved, complete) == (2, True)
    assert [c["id"] for c in json.loads((tmp_path / "pulls" / "3.conversation.json").read_text())] == [1]
    assert (tmp_path / "pulls" / "4.conversation.json").exists()
    assert not (tmp_path / "pulls" / "1.conversation.json").exists()
    # A comment on something neither saved as an issue nor as a pull: fetch again next time.
    assert vr.save_pull_comments(tmp_path, [{"id": 4, "issue_url": api + "8"}], issues_saved=True) == (0, False)
    # Saved comments are never dropped.
    vr.save_pull_comments(tmp_path, [{"id": 7, "issue_url": api + "3", "updated_at": "b"}], issues_saved=True)
    assert [c["id"] for c in json.loads((tmp_path / "pulls" / "3.conversation.json").read_text())] == [1, 7]


def test_ref_differences_and_head_choice():
    expected = {"refs/heads/main": "a" * 40, "refs/heads/dev": "b" * 40, "refs/tags/v1": "c" * 40}
    assert clones.ref_differences(expected, dict(expected)) == []
    assert clones.ref_differences(expected, {**expected, "refs/heads/gone": "d" * 40}) == []
    diffs = clones.ref_differences(expected, {"refs/heads/main": "e" * 40})
    assert diffs[0].startswith("2 ref(s) missing: refs/heads/dev, refs/tags/v1")
    assert "refs/heads/main (eeeeeeeeee instead of aaaaaaaaaa)" in diffs[1]
    assert clones.head_branch_for(expected, "dev") == "refs/heads/dev"
    assert clones.head_branch_for(expected, "gone") == "refs/heads/main"
    assert clones.head_branch_for({}, "main") is None


def test_git_builders_added_for_this_stage():
    repo = Path("/c/r")
    assert git.resolve_head(repo) == ("git", "-C", "/c/r", "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    assert git.point_head(repo, "refs/heads/main") == ("git", "-C", "/c/r", "symbolic-ref", "HEAD", "refs/heads/main")
    assert git.absolute_git_dir(repo) == ("git", "-C", "/c/r", "rev-parse", "--absolute-git-dir")
    assert without_credentials("https://ghp_x:x-oauth-basic@h:8443/O/R.git") == "https://h:8443/O/R.git"
    assert without_credentials("https://h/O/R.git") == "https://h/O/R.git"
    assert without_credentials("git@github.com:O/R.git") == "git@github.com:O/R.git"
    assert git.parse_remote_urls("remote.origin.url https://h/O/R.git\nremote.up.url https://h/U/R.git\n") == {
        "origin": "https://h/O/R.git", "up": "https://h/U/R.git"}
    assert git.fsck_connectivity(repo) == ("git", "-C", "/c/r", "fsck", "--no-progress", "--no-dangling",
                                           "--connectivity-only")
    assert git.verify_pack(repo, Path("/c/r/.git/objects/pack/p.pack")) == (
        "git", "-C", "/c/r", "verify-pack", "/c/r/.git/objects/pack/p.pack")
    assert git.clone_no_checkout("https://h/O/R.git", repo) == (
        "git", "clone", "--quiet", "--no-checkout", "https://h/O/R.git", "/c/r")


def test_what_a_stopped_swap_left_is_cleaned(tmp_path):
    clone = tmp_path / "repository"
    (tmp_path / "repository.old").mkdir()
    (tmp_path / "repository.old" / "kept").write_text("the only copy")
    (tmp_path / "repository.new").mkdir()
    clones.finish_interrupted_swap(clone)  # stopped between the renames: the old one comes back
    assert (clone / "kept").read_text() == "the only copy"
    assert not (tmp_path / "repository.new").exists() and not (tmp_path / "repository.old").exists()
    (tmp_path / "repository.old").mkdir()
    clones.finish_interrupted_swap(clone)  # stopped after the swap: the old one goes
    assert (clone / "kept").exists() and not (tmp_path / "repository.old").exists()


def test_objects_fingerprint_sees_a_truncated_pack(tmp_path):
    pack_dir = tmp_path / "objects" / "pack"
    pack_dir.mkdir(parents=True)
    (pack_dir / "p.pack").write_bytes(b"x" * 10)
    (tmp_path / "objects" / "ab").mkdir()
    (tmp_path / "objects" / "ab" / "cdef").write_bytes(b"loose")
    packs, loose = clones.objects_fingerprint(tmp_path)
    assert list(packs) == ["p.pack"] and packs["p.pack"][0] == 10
    with open(pack_dir / "p.pack", "r+b") as f:
        f.truncate(5)
    assert clones.objects_fingerprint(tmp_path)[0] != packs
    assert clones.objects_fingerprint(tmp_path)[1] == loose


# --------------------------------------------------------- against the emulator


def truth_repos(emu) -> dict:
    return json.loads((emu.root / "truth.json").read_text())["orgs"][ORG]["repos"]


def backup(ctx, hooks=True):
    repos = ctx.api.org_repositories(ORG)
    result = gb.back_up_repositories(ctx, ORG, repos, hooks=hooks)
    records, problems = vr.verify_and_repair(ctx, ORG, repos)
    return repos, result, records, problems


def remote_urls(repo: Path) -> list[str]:
    out = subprocess.run(["git", "-C", str(repo), "config", "--get-regexp", r"^remote\..*\.url$"],
                         capture_output=True, text=True).stdout
    return [line.split(" ", 1)[1] for line in out.splitlines()]


def test_first_run_then_a_day_of_activity_then_nothing(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    ctx = make_context(emu, tmp_path, monkeypatch)
    gb_dir = ctx.org_paths(ORG).github_backup

    emu.reset_counters()
    repos, result, records, problems = backup(ctx)
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
    records2, problems2 = vr.verify_and_repair(ctx2, ORG, repos2)
    assert problems2 == []
    assert differences_from_truth(gb_dir, truth, records=records2) == []
    assert records2["godot"]["pull_conversation_comments"] == 6
    assert "refs/tags/day-1" in records2["godot"]["refs"]

    # Nothing changed since: one GraphQL query for the 11 repositories, no fetch, no problem.
    ctx3 = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    emu.reset_counters()
    result3 = gb.back_up_repositories(ctx3, ORG, repos2, hooks=True)
    records3, problems3 = vr.verify_and_repair(ctx3, ORG, repos2)
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
    repos, _, _, problems = backup(ctx)
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
    records, problems = vr.verify_and_repair(ctx2, ORG, repos)
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
    records3, problems3 = vr.verify_and_repair(ctx3, ORG, repos)
    assert problems3 == []
    assert records3["shared-lib"]["refs"] == {"refs/heads/main": moved["new"]}
    assert records3["empty"]["empty"] is False
    assert (paths.repository_dir("empty") / "repository" / "README.md").read_text() == "# no longer empty\n"


def test_a_repository_whose_git_fails_is_a_problem_others_complete(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    emu.set_faults(git_500_repos=[f"{ORG}/shared-lib", f"{ORG}/docs.wiki"])
    ctx = make_context(emu, tmp_path, monkeypatch)
    repos, result, records, problems = backup(ctx)
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
    records2, problems2 = vr.verify_and_repair(ctx2, ORG, repos)
    assert problems2 == []
    assert differences_from_truth(ctx.org_paths(ORG).github_backup, truth, records=records2) == []
