"""Repositories renamed, deleted and re-created on GitHub between two runs, and organizations
that do not exist: the state store keyed by repository id, checked by restoring the snapshot.
Real github-backup 0.40.0, the gitim stand-in, git, git-lfs and restic against the emulator
(the plan alone: tests/unit/backup/planning/test_plan.py)."""

from __future__ import annotations

import json

from tests.github_emulator.mutate import delete_repo, recreate_repo, rename_repo
from tests.github_emulator.truth import truth
from tests.support.cli import ORG, restore, run_backup
from tests.support.truth_compare import compare_org, git_refs


def test_renamed_deleted_and_recreated_repositories(github_emulator, backup_env, tmp_path, capsys):
    env = backup_env
    root = github_emulator.root
    status, summary, _ = run_backup(env, capsys)
    assert status == 0, summary
    cache = tmp_path / "cache" / ORG / "github-backup" / "repositories"
    before = truth(root)["orgs"][ORG]["repos"]
    old_fork_main = before["godot-fork"]["refs"]["refs/heads/main"]
    # A mark inside the cached clone: if the rename made the run clone again, it would be gone.
    (cache / "docs" / "repository" / ".git" / "orgbackup-test-mark").write_text("kept\n")
    docs_issues = sorted(p.name for p in (cache / "docs" / "issues").glob("*.json"))

    rename_repo(root, ORG, "docs", "handbook")
    delete_repo(root, ORG, "old-archive")
    old_fork_id = delete_repo(root, ORG, "godot-fork")
    recreate_repo(root, ORG, "godot-fork")
    github_emulator.reset_counters()
    status, summary, _ = run_backup(env, capsys)
    out = summary["orgs"][0]
    assert status == 0, out
    assert out["deleted_list"] == [f"godot-fork~{old_fork_id}", "old-archive"]
    assert out["renamed"] == {"handbook": "docs"}

    restored = restore(env, out["snapshot_id"], tmp_path / "restore")
    now = truth(root)
    assert compare_org(ORG, now, restored) == []
    repos = restored / "github-backup" / "repositories"
    # The rename moved the backup with it: same clone, same issues, nothing left under the old name.
    assert (repos / "handbook" / "repository" / ".git" / "orgbackup-test-mark").is_file()
    assert sorted(p.name for p in (repos / "handbook" / "issues").glob("*.json")) == docs_issues
    assert not (repos / "docs").exists()
    assert (restored / "gitim" / ORG / "handbook" / ".git").is_dir() and not (restored / "gitim" / ORG / "docs").exists()
    # The deleted repository is still in the snapshot, and the manifest says it is gone.
    manifest = json.loads((restored / "manifest.json").read_text())
    assert git_refs(repos / "old-archive" / "repository") == before["old-archive"]["refs"]
    gone = manifest["deleted_on_github"]["old-archive"]
    assert gone["name"] == "old-archive" and gone["last_seen"] and gone["id"]
    assert manifest["renamed_on_github"] == {"handbook": "docs"}
    assert "old-archive" not in manifest["repositories"]
    # The re-created name: a fresh folder for the new repository, the old one kept beside it.
    assert git_refs(repos / "godot-fork" / "repository") == now["orgs"][ORG]["repos"]["godot-fork"]["refs"]
    issues = [json.loads(p.read_text())["title"] for p in (repos / "godot-fork" / "issues").glob("*.json")]
    assert issues == ["First issue of the new godot-fork"]
    aside = repos / f"godot-fork~{old_fork_id}"
    assert git_refs(aside / "repository")["refs/heads/main"] == old_fork_main
    assert manifest["deleted_on_github"][f"godot-fork~{old_fork_id}"]["name"] == "godot-fork"

    # A third run: the deleted ones are still reported and still kept.
    status, summary, _ = run_backup(env, capsys)
    assert status == 0 and summary["orgs"][0]["deleted_list"] == [f"godot-fork~{old_fork_id}", "old-archive"]


def test_a_missing_organization_does_not_stop_the_others(github_emulator, backup_env, tmp_path, capsys):
    env = dict(backup_env, GITHUB_ORGS=f"no-such-org,{ORG}")
    status, summary, _ = run_backup(env, capsys)
    assert status == 1  # one configured organization could not be backed up
    by_org = {o["org"]: o for o in summary["orgs"]}
    assert by_org["no-such-org"]["status"] == "failed"
    assert "does not exist" in " ".join(by_org["no-such-org"]["problem_list"])
    assert by_org[ORG]["status"] == "complete"
    restored = restore(env, by_org[ORG]["snapshot_id"], tmp_path / "restore")
    assert compare_org(ORG, truth(github_emulator.root), restored) == []
