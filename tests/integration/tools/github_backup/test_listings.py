"""github-backup's comments and events of every issue and pull request come from the repository's
listings (orgbackup/tools/github_backup/listings.py): what it saves is what GitHub answers per item,
for a fraction of the requests; an incremental run merges into what was saved.
Real github-backup 0.40.0 through the runner, the HTTPS emulator (the pure parts:
tests/unit/tools/github_backup/test_listings.py)."""

from __future__ import annotations

import json

from orgbackup.backup.stages import github_backup as gb
from tests.github_emulator.mutate import write_world
from tests.support.run_context import ORG, make_context


GODOT = f"{ORG}/godot"


def saved(ctx, folder: str) -> dict[int, dict]:
    where = ctx.org_paths(ORG).repository_dir("godot") / folder
    return {int(p.stem): json.loads(p.read_text()) for p in where.glob("*.json")}


def ids(entries: list[dict]) -> list:
    return [(e["id"], e.get("body") or e.get("event")) for e in entries]


def assert_as_github_answers_per_item(ctx) -> tuple[int, int]:
    """Every saved issue's comments and events and every pull request's review comments equal
    GitHub's answer for that item; returns (issues, pull requests) checked."""
    issues, pulls = saved(ctx, "issues"), saved(ctx, "pulls")
    assert issues and pulls
    for number, issue in issues.items():
        assert ids(issue["comment_data"]) == ids(ctx.api.get(f"repos/{GODOT}/issues/{number}/comments")), number
        assert ids(issue["event_data"]) == ids(ctx.api.get(f"repos/{GODOT}/issues/{number}/events")), number
    for number, pull in pulls.items():
        assert ids(pull["comment_data"]) == ids(ctx.api.get(f"repos/{GODOT}/pulls/{number}/comments")), number
    return len(issues), len(pulls)


def test_comments_and_events_come_from_the_repository_listings(github_emulator, tmp_path, monkeypatch):
    emu = github_emulator
    ctx = make_context(emu, tmp_path, monkeypatch, parts=("issues", "pulls"))
    godot = [r for r in ctx.api.org_repositories(ORG) if r["name"] == "godot"]
    emu.reset_counters()
    result = gb.back_up_repositories(ctx, ORG, godot, hooks=False)
    assert result.problems == [] and result.captured.ran == ["godot"]
    routes = emu.routes()
    n_issues, n_pulls = assert_as_github_answers_per_item(ctx)
    assert n_issues > 100 and n_pulls == 5
    # one listing of each kind (one or two pages), none of the per-item requests
    for per_item in ("GET list_issue_comments", "GET list_issue_events", "GET list_review_comments"):
        assert per_item not in routes, routes
    assert 1 <= routes["GET list_repo_issue_comments"] <= 2
    assert 1 <= routes["GET list_repo_issue_events"] <= 2
    assert routes["GET list_repo_review_comments"] == 1
    # the repository itself is the organization listing's entry: github-backup does not ask
    assert "GET get_repo" not in routes, routes
    # open and closed issues from one listing of both (0.40.0 asks open, then closed)
    listed = list(ctx.api.paginate(f"repos/{GODOT}/issues", {"state": "all", "filter": "all"}))
    assert set(saved(ctx, "issues")) == {i["number"] for i in listed if "pull_request" not in i}
    assert {i["state"] for i in saved(ctx, "issues").values()} == {"open", "closed"}
    assert routes["GET list_issues"] == -(-len(listed) // 100)  # the pages of state=all, nothing else

    # A comment on an old issue that has two: the incremental run saves that issue again
    # with all three, asking GitHub only for what changed since.
    def change(b):
        rec = b.world["orgs"][ORG]["repos"]["godot"]
        issue = next(i for i in rec["issues"] if i["number"] == 2)
        b.comment(rec, issue, "A comment a day later", "bob")
    write_world(emu.root, change)
    again = make_context(emu, tmp_path, monkeypatch, cache_dir=ctx.cache_dir, parts=("issues", "pulls"))
    emu.reset_counters()
    result = gb.back_up_repositories(again, ORG, godot, hooks=False)
    assert result.problems == [] and result.captured.ran == ["godot"], result.captured.reasons
    routes = emu.routes()
    issue_2 = saved(again, "issues")[2]
    assert [c["body"] for c in issue_2["comment_data"]][-1] == "A comment a day later"
    assert len(issue_2["comment_data"]) == 3
    assert_as_github_answers_per_item(again)
    assert "GET list_issue_comments" not in routes, routes
    assert routes["GET list_repo_issue_comments"] == 1
    assert routes.get("GET list_issue_events", 0) <= 2  # the events of what changed, per item


def test_labels_of_many_repositories_come_from_one_graphql_query(github_emulator, tmp_path, monkeypatch):
    """github-backup's labels.json as REST lists the labels (less the numeric id GraphQL lacks),
    for no label request; a repository GraphQL cannot answer whole still asks REST."""
    emu = github_emulator

    def many_labels(b):
        rec = b.world["orgs"][ORG]["repos"]["shared-lib"]
        rec["labels"] = [{"id": b.new_id(), "name": f"area {n}", "color": "ededed", "description": None}
                         for n in range(101)]  # more than GraphQL's page: REST for this one
        game = b.world["orgs"][ORG]["repos"]["game"]
        game["labels"].append({"id": b.new_id(), "name": "good first issue", "color": "7057ff",
                               "description": "Good for newcomers", "default": True})
    write_world(emu.root, many_labels)
    ctx = make_context(emu, tmp_path, monkeypatch, parts=("labels",))
    repos = [r for r in ctx.api.org_repositories(ORG) if r["name"] in ("godot", "game", "shared-lib", "docs")]
    emu.reset_counters()
    result = gb.back_up_repositories(ctx, ORG, repos, hooks=False)
    assert result.problems == [] and sorted(result.captured.ran) == ["docs", "game", "godot", "shared-lib"]
    routes = emu.routes()
    assert routes.get("GET list_labels") == 2 and routes["POST graphql"] == 1  # shared-lib's two pages only

    def without_id(labels: list[dict]) -> list[dict]:
        return [{k: v for k, v in label.items() if k != "id"} for label in labels]
    labelled = 0
    for repo in repos:
        path = ctx.org_paths(ORG).repository_dir(repo["name"]) / "labels" / "labels.json"
        on_github = list(ctx.api.paginate(f"repos/{ORG}/{repo['name']}/labels"))
        labelled += bool(on_github)
        assert without_id(json.loads(path.read_text())) == without_id(on_github), repo["name"]
    assert labelled == 3  # docs has none: an empty list, as REST's
    game = json.loads((ctx.org_paths(ORG).repository_dir("game") / "labels" / "labels.json").read_text())
    assert [label["default"] for label in game if label["name"] == "good first issue"] == [True]
