"""The discussions part (orgbackup/backup/parts/discussions.py, GraphQL): real backups against the
emulator compared with truth.json: the first, a day later, an incomplete earlier run, pages,
deletions, marks per 50 repositories, what GraphQL cannot see, the reader token (which reads
discussions and not projects), GitHub failing (for projects too), a comment with more than 50
replies (the query building and file shapes: tests/unit/backup/parts/test_discussions.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orgbackup.github.api import GitHubError
from orgbackup.backup.parts import discussions as disc
from orgbackup.backup.parts import projects as proj
from tests.github_emulator.builder import Builder
from tests.github_emulator.mutate import mutate
from tests.github_emulator.store import load_world
from tests.support.run_context import ORG, make_context
from tests.support.truth_compare_metadata import org_truth, served


def discussion_differences(folder: Path, truth: dict, emulator) -> list[str]:
    diffs = []
    files = {int(p.stem): json.loads(p.read_text()) for p in folder.glob("*.json")}
    if sorted(files) != sorted(int(n) for n in truth):
        diffs.append(f"files {sorted(files)} are not discussions {sorted(truth)}")
    for number, want in truth.items():
        got = files.get(int(number))
        if got is None:
            continue
        answer = next((c["body"] for c in got["comments"] if got["answer"] and c["id"] == got["answer"]["id"]), None)
        have = {"title": got["title"], "body": got["body"], "category": got["category"]["slug"],
                "answer_body": answer,
                "comments": [{"body": c["body"], "replies": [r["body"] for r in c["replies"]]}
                             for c in got["comments"]]}
        want = json.loads(served(json.dumps(want), emulator))
        if have != want:
            diffs.append(f"#{number}: {have} != {want}")
        if got["commentsTotalCount"] != len(got["comments"]):
            diffs.append(f"#{number}: commentsTotalCount")
    return diffs


def godot_listing(ctx) -> dict:
    return next(r for r in ctx.api.org_repositories(ORG) if r["name"] == "godot")


def graphql_requests(emulator) -> int:
    return emulator.counters()["graphql"]


def test_first_backup_of_discussions_holds_every_discussion_comment_and_reply(github_emulator, world_root,
                                                                                tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    repos = ctx.api.org_repositories(ORG)
    marks = disc.discussion_marks(ctx, ORG, repos)
    truth = org_truth(world_root)["repos"]["godot"]["discussions"]
    newest = max(d["updatedAt"] for d in load_world(world_root)["orgs"][ORG]["repos"]["godot"]["discussions"])
    assert marks["godot"] == f"{len(truth)}:{newest}"
    assert {name for name, mark in marks.items() if mark is not None} == {"godot"}
    assert set(marks) == {r["name"] for r in repos}

    folder = ctx.org_paths(ORG).root / "discussions" / "godot"
    outcome = disc.back_up_discussions(ctx, ORG, godot_listing(ctx), folder, None)
    assert (outcome.problems, outcome.skipped, outcome.mismatches()) == ([], [], [])
    assert outcome.repo == "godot" and outcome.part == "discussions"
    assert outcome.mark == marks["godot"]
    assert discussion_differences(folder, truth, github_emulator) == []
    comments = sum(len(d["comments"]) for d in truth.values())
    replies = sum(len(c["replies"]) for d in truth.values() for c in d["comments"])
    assert outcome.saved == {"fetched": len(truth), "discussions": len(truth), "comments": comments,
                             "replies": replies}
    assert outcome.expected == {"discussions": len(truth), "comments": comments, "replies": replies}
    assert replies > 0 and any(d["answer_body"] for d in truth.values())
    # the design's shape, the answer marked, attachments' links served with the web address
    saved = [json.loads(p.read_text()) for p in folder.glob("*.json")]
    answered = next(d for d in saved if d["answer"])
    assert [c["isAnswer"] for c in answered["comments"]].count(True) == 1
    assert any(f"{github_emulator.base_url}/user-attachments/" in c["body"] for d in saved for c in d["comments"])
    assert all(set(d) >= {"number", "url", "author", "createdAt", "closed", "locked", "labels", "answerChosenAt"}
               for d in saved)
    assert not list(folder.glob("*.tmp"))


def test_second_run_after_a_day_fetches_only_the_changed_discussions(github_emulator, world_root,
                                                                      tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    folder = ctx.org_paths(ORG).root / "discussions" / "godot"
    first = disc.back_up_discussions(ctx, ORG, godot_listing(ctx), folder, None)
    assert first.problems == []
    before = {p.name: p.read_text() for p in folder.glob("*.json")}

    # Nothing changed: the marks stay, and a backup asks one listing page, fetches nothing.
    repos = ctx.api.org_repositories(ORG)
    assert disc.discussion_marks(ctx, ORG, repos) == disc.discussion_marks(ctx, ORG, repos)
    github_emulator.reset_counters()
    same = disc.back_up_discussions(ctx, ORG, godot_listing(ctx), folder, first.mark)
    assert graphql_requests(github_emulator) == 1
    assert same.saved["fetched"] == 0 and same.mark == first.mark and same.mismatches() == []

    new_truth = mutate(world_root)["orgs"][ORG]["repos"]["godot"]["discussions"]
    ctx2 = make_context(github_emulator, tmp_path, monkeypatch, cache_dir=ctx.cache_dir)
    marks = disc.discussion_marks(ctx2, ORG, ctx2.api.org_repositories(ORG))
    assert marks["godot"] != first.mark
    github_emulator.reset_counters()
    second = disc.back_up_discussions(ctx2, ORG, godot_listing(ctx2), folder, first.mark)
    # one listing page + one query for each of the two changed discussions (a new one, a new reply)
    assert second.saved["fetched"] == 2
    assert graphql_requests(github_emulator) == 3
    assert (second.problems, second.mismatches()) == ([], [])
    assert second.mark == marks["godot"]
    assert discussion_differences(folder, new_truth, github_emulator) == []
    after = {p.name: p.read_text() for p in folder.glob("*.json")}
    changed = {name for name in after if before.get(name) != after[name]}
    assert len(changed) == 2 and len(after) == len(before) + 1


def test_an_incomplete_earlier_run_is_finished_not_skipped(github_emulator, world_root, tmp_path, monkeypatch):
    """Without the mark of a complete run, the walk does not stop at the first saved file."""
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    folder = ctx.org_paths(ORG).root / "discussions" / "godot"
    first = disc.back_up_discussions(ctx, ORG, godot_listing(ctx), folder, None)
    files = sorted(folder.glob("*.json"), key=lambda p: json.loads(p.read_text())["updatedAt"])
    files[0].unlink()  # the oldest, as if the first run had stopped before it
    (folder / files[1].name).write_text("{ half a file")
    again = disc.back_up_discussions(ctx, ORG, godot_listing(ctx), folder, None)
    assert again.saved["fetched"] == 2 and again.mismatches() == [] and again.mark == first.mark
    truth = org_truth(world_root)["repos"]["godot"]["discussions"]
    assert discussion_differences(folder, truth, github_emulator) == []
    # full (the stage's rotation): every discussion again, whatever the mark says
    assert disc.back_up_discussions(ctx, ORG, godot_listing(ctx), folder, first.mark,
                                    full=True).saved["fetched"] == len(truth)


def test_pages_of_discussions_and_comments_are_followed(github_emulator, world_root, tmp_path, monkeypatch):
    b = Builder(world_root, load_world(world_root))
    godot = b.world["orgs"][ORG]["repos"]["godot"]
    long = b.discussion(godot, "A long thread", "Many comments.", "alice", "general")
    for k in range(120):
        comment = b.discussion_comment(long, f"comment {k}", "bob")
    for k in range(7):
        b.discussion_comment(long, f"reply {k}", "carol", reply_to=comment)
    for k in range(60):
        b.discussion(godot, f"Question {k}", "?", "carol", "q-a")
    b.save()
    truth = load_truth_after_save(world_root)
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    folder = ctx.org_paths(ORG).root / "discussions" / "godot"
    outcome = disc.back_up_discussions(ctx, ORG, godot_listing(ctx), folder, None)
    assert (outcome.problems, outcome.mismatches()) == ([], [])
    assert outcome.saved["discussions"] == len(truth) > 60
    assert outcome.saved["comments"] >= 120 and outcome.saved["replies"] >= 7
    assert discussion_differences(folder, truth, github_emulator) == []
    saved_long = json.loads((folder / f"{long['number']}.json").read_text())
    assert [c["body"] for c in saved_long["comments"]] == [f"comment {k}" for k in range(120)]


def load_truth_after_save(world_root: Path) -> dict:
    from tests.github_emulator.truth import truth

    return truth(world_root)["orgs"][ORG]["repos"]["godot"]["discussions"]


def test_a_discussion_deleted_on_github_keeps_its_file_and_counts_no_more(github_emulator, world_root,
                                                                         tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    folder = ctx.org_paths(ORG).root / "discussions" / "godot"
    first = disc.back_up_discussions(ctx, ORG, godot_listing(ctx), folder, None)
    b = Builder(world_root, load_world(world_root))
    gone = b.world["orgs"][ORG]["repos"]["godot"]["discussions"].pop()
    b.save()
    again = disc.back_up_discussions(ctx, ORG, godot_listing(ctx), folder, None)
    assert (folder / f"{gone['number']}.json").is_file()
    assert again.saved["discussions"] == again.expected["discussions"] == first.saved["discussions"] - 1
    assert again.problems == [] and again.mismatches() == []


def test_marks_ask_50_repositories_per_query_and_leave_out_the_invisible(github_emulator, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    listing = ctx.api.org_repositories(ORG)
    ghosts = [{"name": f"ghost-{k}", "has_discussions": True} for k in range(disc.MARK_BATCH + 5)]
    github_emulator.reset_counters()
    marks = disc.discussion_marks(ctx, ORG, ghosts + listing)
    assert graphql_requests(github_emulator) == 2  # 56 repositories with discussions
    assert not any(name.startswith("ghost-") for name in marks)  # NOT_FOUND: absent
    assert marks["godot"] and marks["docs"] is None


def test_a_repository_graphql_cannot_see_is_skipped_with_the_reason(github_emulator, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    folder = tmp_path / "discussions" / "ghost"
    outcome = disc.back_up_discussions(ctx, ORG, {"name": "ghost", "has_discussions": True}, folder, None)
    assert outcome.problems == [] and outcome.mark is None
    assert outcome.skipped == ["discussions: listing: the token may not read it (NOT_FOUND)"]
    assert not folder.exists()


def test_the_reader_token_reads_discussions_but_projects_are_skipped(github_emulator, world_root,
                                                                     tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch, token=github_emulator.reader_token)
    folder = ctx.org_paths(ORG).root / "discussions" / "godot"
    outcome = disc.back_up_discussions(ctx, ORG, godot_listing(ctx), folder, None)
    assert outcome.problems == [] and outcome.skipped == [] and outcome.mark
    assert proj.project_marks(ctx, ORG) is None
    projects = proj.back_up_projects(ctx, ORG, ctx.org_paths(ORG).root / "projects", None)
    assert projects.skipped == ["projects: listing: the token may not read it (INSUFFICIENT_SCOPES)"]
    assert (projects.problems, projects.mark, projects.saved, projects.repo) == ([], None, {}, None)
    assert not (ctx.org_paths(ORG).root / "projects").exists()


def test_github_failing_is_a_problem_without_a_mark_never_an_exception(github_emulator, tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    listing = godot_listing(ctx)
    ctx.api.attempts = 1  # no retries: every answer is a 502 here
    github_emulator.set_faults(api_502_fraction=1.0)
    try:
        folder = ctx.org_paths(ORG).root / "discussions" / "godot"
        outcome = disc.back_up_discussions(ctx, ORG, listing, folder, None)
        assert outcome.skipped == [] and outcome.mark is None and len(outcome.problems) == 1
        assert "HTTP 502" in outcome.problems[0].message and outcome.problems[0].repo == "godot"
        projects = proj.back_up_projects(ctx, ORG, ctx.org_paths(ORG).root / "projects", None)
        assert projects.skipped == [] and projects.mark is None and len(projects.problems) == 1
        with pytest.raises(GitHubError):
            disc.discussion_marks(ctx, ORG, [listing])
        with pytest.raises(GitHubError):
            proj.project_marks(ctx, ORG)
    finally:
        github_emulator.set_faults()


def test_a_comment_with_more_than_50_replies(github_emulator, world_root, tmp_path, monkeypatch):
    """Replies beyond the first 50 page through GitHub's node(id:)."""
    b = Builder(world_root, load_world(world_root))
    godot = b.world["orgs"][ORG]["repos"]["godot"]
    busy = b.discussion(godot, "Busy", "Many replies.", "alice", "general")
    comment = b.discussion_comment(busy, "Reply to me", "bob")
    for k in range(55):
        b.discussion_comment(busy, f"reply {k}", "carol", reply_to=comment)
    b.save()
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    folder = ctx.org_paths(ORG).root / "discussions" / "godot"
    outcome = disc.back_up_discussions(ctx, ORG, godot_listing(ctx), folder, None)
    others = [n for n in load_truth_after_save(world_root) if int(n) != busy["number"]]
    assert all((folder / f"{n}.json").is_file() for n in others)
    assert (outcome.problems, outcome.mismatches()) == ([], [])
    saved = json.loads((folder / f"{busy['number']}.json").read_text())
    assert [r["body"] for r in saved["comments"][0]["replies"]] == [f"reply {k}" for k in range(55)]
    assert saved["comments"][0]["repliesTotalCount"] == 55
