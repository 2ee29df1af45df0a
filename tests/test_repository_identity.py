"""Repositories renamed, deleted and re-created on GitHub between two runs, and organizations
that do not exist: the state store keyed by repository id, checked by restoring the snapshot.
Real github-backup 0.40.0, the gitim stand-in, git, git-lfs and restic against the emulator."""

from __future__ import annotations

import json

from orgbackup.backup.planning.plan import make_plan
from orgbackup.cache.state_store import RepoState
from tests.github_emulator.mutate import delete_repo, recreate_repo, rename_repo
from tests.github_emulator.truth import truth
from tests.helpers_cli import ORG, restore, run_backup
from tests.truth_compare import compare_org, git_refs


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


def test_plan_swaps_and_chains_of_names():
    """Pure: two repositories that swapped names, and a rename onto a deleted repository's name."""
    now = "2026-12-01T03:00:00Z"
    states = {1: RepoState("o", 1, "a", "a"), 2: RepoState("o", 2, "b", "b"), 3: RepoState("o", 3, "c", "c")}
    listing = [{"id": 1, "name": "b"}, {"id": 2, "name": "a"}, {"id": 4, "name": "c"}]
    plans, deleted, moves = make_plan("o", states, listing, {"a", "b", "c", "stray"}, now)
    assert {p.name: (p.event, p.state.folder) for p in plans.values()} == {
        "a": ("renamed", "a"), "b": ("renamed", "b"), "c": ("recreated", "c")}
    assert sorted((m.source, m.target) for m in moves) == [("a", "b"), ("b", "a"), ("c", "c~3")]
    assert sorted((d.repo_id, d.folder) for d in deleted if d.repo_id) == [(3, "c~3")]
    assert [d.folder for d in deleted if d.repo_id is None] == ["stray"]  # a folder no row knew of


def test_an_earlier_versions_json_state_is_adopted_once(tmp_path):
    """Upgrading keeps the incremental marks: repos.json and pull-comments.json (keyed by name) are read
    into the rows of the repositories the listing names, and only while the store knows nothing."""
    from orgbackup.backup.planning.plan import OrgPlan, apply_plan
    from orgbackup.cache.state_store import StateStore

    state_dir = tmp_path / ".state" / "o"
    state_dir.mkdir(parents=True)
    (state_dir / "repos.json").write_text(json.dumps({"format": 1, "repositories": {
        "docs": {"pushed_at": "P", "updated_at": "U", "last_run": "2026-11-30T03:00:00Z", "activity_mark": "M"}}}))
    (state_dir / "pull-comments.json").write_text(json.dumps({"format": 1, "repositories": {
        "docs": {"since": "S", "ok": True}}}))
    repos_dir = tmp_path / "o" / "github-backup" / "repositories"
    (repos_dir / "docs").mkdir(parents=True)
    store = StateStore(tmp_path / "state.sqlite3")
    plan = OrgPlan("o", [{"id": 7, "name": "docs"}, {"id": 8, "name": "new"}], False, "")
    apply_plan(store, plan, repos_dir, tmp_path / "o" / "gitim" / "o", now="2026-12-01T03:00:00Z",
               keep_deleted_days=0, legacy_state_dir=state_dir)
    docs = store.repository("o", 7)
    assert (docs.last_run, docs.activity_mark, docs.comments_since, docs.comments_ok) == \
        ("2026-11-30T03:00:00Z", "M", "S", 1)
    assert store.repository("o", 8).last_run is None
    assert plan.deleted == [] and plan.moves == []


def test_a_deleted_repository_leaves_the_cache_after_keep_deleted_days(tmp_path):
    from orgbackup.backup.planning.plan import OrgPlan, apply_plan
    from orgbackup.cache.state_store import StateStore

    repos_dir = tmp_path / "o" / "github-backup" / "repositories"
    (repos_dir / "gone" / "repository").mkdir(parents=True)
    store = StateStore(tmp_path / "state.sqlite3")
    store.put(RepoState("o", 1, "gone", "gone", first_seen="2026-01-01T00:00:00Z", last_seen="2026-11-01T00:00:00Z"))
    kept = OrgPlan("o", [], False, "")
    apply_plan(store, kept, repos_dir, tmp_path / "gitim", now="2026-11-20T00:00:00Z", keep_deleted_days=30)
    assert [d.folder for d in kept.deleted] == ["gone"] and (repos_dir / "gone").is_dir()
    expired = OrgPlan("o", [], False, "")
    apply_plan(store, expired, repos_dir, tmp_path / "gitim", now="2026-12-02T00:00:00Z", keep_deleted_days=30)
    assert expired.deleted == [] and not (repos_dir / "gone").exists() and store.repository("o", 1) is None
