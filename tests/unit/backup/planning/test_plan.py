"""The plan of an organization's repositories (orgbackup/backup/planning/plan.py), by GitHub's
repository id: names swapped and chained, an earlier version's JSON state adopted once, a
deleted repository leaving the cache after BACKUP_KEEP_DELETED_DAYS, a live repository of another
shard leaving it at once."""

from __future__ import annotations

import json

from orgbackup.backup.planning.plan import make_plan
from orgbackup.cache.state_store import RepoState
from orgbackup.snapshots.shards import select_repositories, Shard


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


def test_with_another_n_a_live_repository_of_another_shard_leaves_the_cache_a_deleted_one_stays(tmp_path):
    from orgbackup.backup.planning.plan import OrgPlan, apply_plan
    from orgbackup.cache.state_store import RepoState, StateStore

    repos_dir = tmp_path / "o" / "github-backup" / "repositories"
    gitim_dir = tmp_path / "o" / "gitim" / "o"
    store = StateStore(tmp_path / "state.sqlite3")
    for repo_id, name in ((4, "mine"), (5, "moved"), (7, "gone")):
        (repos_dir / name / "repository").mkdir(parents=True)
        (gitim_dir / name).mkdir(parents=True)
        store.put(RepoState("o", repo_id, name, name, first_seen="2026-11-01T00:00:00Z",
                            last_seen="2026-11-30T00:00:00Z"))
    # The cache of a run of the whole organization, now shard 0 of 4: id 5 is shard 1's
    # (5 % 4) and leaves; id 7 is deleted on GitHub and stays where it is.
    listing = [{"id": 4, "name": "mine"}, {"id": 5, "name": "moved"}]
    mine, others = select_repositories(listing, Shard(0, 4))
    plan = OrgPlan("o", mine, False, "", other_shards=others)
    apply_plan(store, plan, repos_dir, gitim_dir, now="2026-12-01T00:00:00Z", keep_deleted_days=0)
    assert list(plan.repo_plans) == ["mine"] and [d.folder for d in plan.deleted] == ["gone"]
    assert sorted(p.name for p in repos_dir.iterdir()) == ["gone", "mine"]
    assert sorted(p.name for p in gitim_dir.iterdir()) == ["gone", "mine"]
    assert store.repository("o", 5) is None and store.repository("o", 7) is not None
