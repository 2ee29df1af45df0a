"""Batch change detection: issue and pull request activity of many repositories per GraphQL
query, with the REST check per repository when GraphQL does not answer; both decide alike."""

from __future__ import annotations

from orgbackup.backup.planning import changes
from tests.github_emulator.mutate import write_world
from tests.support.run_context import ORG, make_context
from orgbackup.times import utc_now


def record_success(ctx, repos: list[dict]) -> None:
    """What a successful github-backup run writes to a repository's row (stages/github_backup.py)."""
    store = ctx.state_store()
    for repo in repos:
        state = store.row_for(ORG, repo)
        store.update(ORG, state.repo_id, pushed_at=repo.get("pushed_at"), updated_at=repo.get("updated_at"),
                     last_run=utc_now(), activity_mark=state.decision_latest)


def comment_on(world_root, repo: str, number: int) -> None:
    def change(b):
        rec = b.world["orgs"][ORG]["repos"][repo]
        issue = next(i for i in rec["issues"] if i["number"] == number)
        b.comment(rec, issue, "A new comment", "bob")
    write_world(world_root, change)


def test_activity_is_found_by_graphql_and_by_rest_alike(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    ctx = make_context(emu, tmp_path, monkeypatch)
    repos = ctx.api.org_repositories(ORG)
    first = changes.change_decisions(ctx, ORG, repos)
    assert set(first.values()) == {"new"}
    record_success(ctx, repos)

    emu.reset_counters()
    quiet = changes.change_decisions(make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir), ORG, repos)
    assert all(reason is None for reason in quiet.values()), quiet
    assert emu.routes() == {"POST graphql": 1}  # 10 repositories, one query, no REST

    # A comment on an old closed issue of docs and on pull request #7 of godot: nothing in
    # the listing changes (pushed_at, updated_at), only the items' updatedAt.
    comment_on(emu.root, "docs", 1)
    comment_on(emu.root, "godot", 7)
    emu.reset_counters()
    by_graphql = changes.change_decisions(make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir),
                                          ORG, repos)
    assert {n for n, r in by_graphql.items() if r} == {"docs", "godot"}
    assert by_graphql["godot"] == "issue or pull request activity"
    assert emu.routes() == {"POST graphql": 1}

    # GraphQL not where the client looks (a GitHub Enterprise without it, say): each repository
    # is asked over REST, and the decisions are the same.
    rest_ctx = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    rest_ctx.api.graphql_url += "-missing"
    emu.reset_counters()
    by_rest = changes.change_decisions(rest_ctx, ORG, repos)
    assert by_rest == by_graphql
    assert emu.routes().get("GET list_issues") == len(repos)


def test_repositories_are_asked_in_batches_and_a_missing_one_is_absent(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    ctx = make_context(emu, tmp_path, monkeypatch)
    names = sorted(r["name"] for r in ctx.api.org_repositories(ORG))
    emu.reset_counters()
    found = ctx.api.repositories(ORG, names + ["no-such-repository"], changes.ACTIVITY_FIELDS, 3)
    assert sorted(found) == names
    assert emu.counters()["graphql"] == -(-(len(names) + 1) // 3)
    assert emu.graphql_peak_in_flight() == 1
    # several queries at once (each waits 200 ms at the emulator): the same answer
    emu.set_faults(latency_ms=200)
    emu.reset_counters()
    assert ctx.api.repositories(ORG, names + ["no-such-repository"], changes.ACTIVITY_FIELDS, 3, threads=4) == found
    assert emu.counters()["graphql"] == -(-(len(names) + 1) // 3)
    assert emu.graphql_peak_in_flight() >= 2
    godot = found["godot"]
    issues = [i for i in truth_issues(emu, "godot")]
    assert changes.newest_update(godot) == max(i["updated_at"] for i in issues)
    assert changes.newest_update(found["empty"]) is None


def truth_issues(emu, repo: str) -> list[dict]:
    from tests.github_emulator.store import load_world

    return load_world(emu.root)["orgs"][ORG]["repos"][repo]["issues"]


def test_listings_github_counted_empty_are_not_asked_and_the_backup_is_the_same(github_emulator, tmp_path,
                                                                                monkeypatch):
    from orgbackup.backup.parts.commit_comments import back_up_commit_comments
    from orgbackup.backup.parts.repository_settings import back_up_settings
    from orgbackup.backup.stages import github_backup as gb

    emu = github_emulator

    def back_up(ctx, where):
        for repo in repos:
            back_up_settings(ctx, ORG, repo, where / "settings" / repo["name"])
            back_up_commit_comments(ctx, ORG, repo, where / "commit-comments" / f"{repo['name']}.json")
        return {str(p.relative_to(where)): p.read_text() for p in sorted(where.rglob("*.json"))}

    plain = make_context(emu, tmp_path, monkeypatch)  # no decision this run: every listing is asked
    repos = plain.api.org_repositories(ORG)
    emu.reset_counters()
    asked_all = back_up(plain, tmp_path / "plain")
    every_listing = emu.routes()

    counted = make_context(emu, tmp_path, monkeypatch, cache_dir=plain.cache_dir)
    changes.change_decisions(counted, ORG, repos)
    emu.reset_counters()
    assert back_up(counted, tmp_path / "counted") == asked_all
    asked = emu.routes()
    assert every_listing["GET list_deploy_keys"] == len(repos)
    assert asked["GET list_deploy_keys"] == asked["GET list_environments"] == asked["GET list_commit_comments"] == 1
    assert asked["GET list_repo_rulesets"] == 2  # godot's own, and the organization's that applies to godot-fork
    # godot protects main with a protection rule; godot-fork's main only a ruleset's (rulesets.json):
    # GitHub counts no protection rule there, so its branches are not asked
    assert asked["GET list_branches"] == 1
    assert sum(asked.values()) <= sum(every_listing.values()) - 5 * (len(repos) - 2)

    # github-backup is not asked for parts GitHub counted empty (the run's decision).
    by_name = {r["name"]: r for r in repos}
    empty = gb.argv_for(counted, ORG, "empty", tmp_path, hooks=False, repo=by_name["empty"])
    godot = gb.argv_for(counted, ORG, "godot", tmp_path, hooks=False, repo=by_name["godot"])
    for flag in ("--issues", "--pulls", "--milestones", "--labels", "--releases"):
        assert flag in godot and flag not in empty
    assert "--repositories" in empty and "--wikis" in empty
    # Another run (no decision of its own yet) asks for everything again.
    later = make_context(emu, tmp_path, monkeypatch, cache_dir=plain.cache_dir)
    assert "--issues" in gb.argv_for(later, ORG, "empty", tmp_path, hooks=False, repo=by_name["empty"])
