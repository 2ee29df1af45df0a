"""The discussions and projects parts (GraphQL): query building, marks, the saved
files' shapes, and real backups against the emulator compared with truth.json."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

from orgbackup.github.api import GitHubError
from orgbackup.backup.parts import discussions as disc
from orgbackup.backup.parts import projects as proj
from tests.github_emulator.graphql_schema import SDL
from tests.github_emulator.builder import Builder
from tests.github_emulator.mutate import mutate
from tests.github_emulator.store import load_world
from tests.helpers_run import ORG, make_context

SCHEMA = build_schema(SDL)


def valid(query: str, schema=SCHEMA) -> list[str]:
    return [e.message for e in validate(schema, parse(query))]


# ---------------------------------------------------------------- pure: queries


def test_every_query_is_valid_against_githubs_schema_subset():
    for query in (disc.LIST_QUERY, disc.DISCUSSION_QUERY, proj.MARKS_QUERY, proj.PROJECT_QUERY,
                  proj.ITEMS_QUERY, disc.marks_query(["a", "b"])[0]):
        assert valid(query) == []
    assert valid(disc.REPLIES_QUERY) == []  # further replies: GitHub's node(id:) lookup


def test_every_query_costs_one_point_and_stays_far_below_the_node_limit():
    """As the emulator prices them (GitHub's documented rule), before anything runs."""
    from tests.github_emulator import graphql_api

    marks, names = disc.marks_query([f"repo-{k}" for k in range(disc.MARK_BATCH)])
    asked = [(marks, dict(names, o=ORG)),
             (disc.LIST_QUERY, {"o": ORG, "n": "godot", "first": disc.PAGE, "after": None}),
             (disc.DISCUSSION_QUERY, {"o": ORG, "n": "godot", "number": 1, "after": None}),
             (proj.MARKS_QUERY, {"login": ORG, "after": None}),
             (proj.PROJECT_QUERY, {"login": ORG, "number": 1, "after": None}),
             (proj.ITEMS_QUERY, {"login": ORG, "number": 1, "after": None})]
    for query, variables in asked:
        prepared = graphql_api.prepare(json.dumps({"query": query, "variables": variables}).encode())
        assert prepared.answer is None  # no error answer: it may run
        assert prepared.cost == 1 and prepared.node_count <= 6000


def test_marks_query_asks_each_repository_under_an_alias_with_its_name_as_a_variable():
    query, variables = disc.marks_query(["godot", 'we"ird', "docs"])
    assert variables == {"n0": "godot", "n1": 'we"ird', "n2": "docs"}
    assert "godot" not in query and "weird" not in query and 'we"ird' not in query
    assert "query($o: String!, $n0: String!, $n1: String!, $n2: String!)" in query
    for i in range(3):
        assert f"r{i}: repository(owner: $o, name: $n{i})" in query
    assert query.count("orderBy: {field: UPDATED_AT, direction: DESC}") == 3


def test_mark_is_total_and_newest_update_and_parses_back():
    connection = {"totalCount": 4, "nodes": [{"updatedAt": "2024-02-01T00:00:00Z"}]}
    assert disc.mark_of(connection) == "4:2024-02-01T00:00:00Z"
    assert disc.mark_of({"totalCount": 0, "nodes": []}) == "0:"
    assert disc.parse_mark("4:2024-02-01T00:00:00Z") == (4, "2024-02-01T00:00:00Z")
    assert disc.parse_mark("0:") == (0, None)
    assert disc.parse_mark(None) is None
    assert disc.parse_mark("garbage") is None
    assert disc.parse_mark("x:2024") is None


def test_discussion_node_becomes_the_designs_file_shape():
    reply = {"id": "DC_2", "databaseId": 2, "body": "gcc", "author": None,
             "createdAt": "t2", "updatedAt": "t2"}
    comment = dict(reply, id="DC_1", databaseId=1, body="Which compiler?", author={"login": "alice"},
                   isAnswer=True)
    node = {"id": "D_7", "number": 7, "title": "Build?", "body": "fails", "url": "https://h/o/r/discussions/7",
            "author": {"login": "bob"}, "createdAt": "t0", "updatedAt": "t3", "closed": False, "locked": True,
            "category": {"name": "Q&A", "slug": "q-a", "emoji": ":pray:", "description": "Ask", "isAnswerable": True},
            "answer": {"id": "DC_1"}, "answerChosenAt": "t4",
            "labels": {"totalCount": 1, "nodes": [{"name": "bug"}]}}
    record = disc.discussion_record(node, [disc.comment_record(comment, [reply], 1)], 1)
    assert record == {
        "id": "D_7", "number": 7, "title": "Build?", "body": "fails", "url": "https://h/o/r/discussions/7", "author": "bob",
        "createdAt": "t0", "updatedAt": "t3", "closed": False, "locked": True,
        "category": {"name": "Q&A", "slug": "q-a", "emoji": ":pray:", "description": "Ask", "isAnswerable": True},
        "answer": {"id": "DC_1"}, "answerChosenAt": "t4", "labels": ["bug"],
        "comments": [{"id": "DC_1", "databaseId": 1, "body": "Which compiler?", "author": "alice",
                      "createdAt": "t2", "updatedAt": "t2", "isAnswer": True, "repliesTotalCount": 1,
                      "replies": [{"id": "DC_2", "databaseId": 2, "body": "gcc", "author": None,
                                   "createdAt": "t2", "updatedAt": "t2"}]}],
        "commentsTotalCount": 1}
    assert disc.discussion_record(dict(node, answer=None, author=None), [], 0)["answer"] is None


def test_project_marks_round_trip_as_json():
    marks = {2: "2024-01-02T00:00:00Z", 10: "2024-01-03T00:00:00Z"}
    text = proj.marks_text(marks)
    assert json.loads(text) == {"2": "2024-01-02T00:00:00Z", "10": "2024-01-03T00:00:00Z"}
    assert proj.parse_marks(text) == marks
    assert proj.marks_text(dict(reversed(list(marks.items())))) == text
    assert proj.parse_marks(None) == {} and proj.parse_marks("not json") == {} and proj.parse_marks("[1]") == {}


def test_project_item_values_and_content_take_the_designs_shape():
    def field(name):
        return {"field": {"name": name}}
    node = {"id": "PVTI_1", "type": "ISSUE", "isArchived": False, "createdAt": "t0", "updatedAt": "t1",
            "content": {"__typename": "Issue", "number": 3, "title": "Crash", "url": "https://h/o/r/issues/3",
                        "repository": {"nameWithOwner": "V-Sekai/godot"}},
            "fieldValues": {"totalCount": 6, "nodes": [
                {"__typename": "ProjectV2ItemFieldTextValue", "text": "Crash", **field("Title")},
                {"__typename": "ProjectV2ItemFieldNumberValue", "number": 3.0, **field("Estimate")},
                {"__typename": "ProjectV2ItemFieldDateValue", "date": "2024-01-15", **field("Due")},
                {"__typename": "ProjectV2ItemFieldSingleSelectValue", "name": "Done", "optionId": "ab",
                 **field("Status")},
                {"__typename": "ProjectV2ItemFieldIterationValue", "title": "Sprint 1", "iterationId": "cd",
                 "startDate": "2024-01-01", "duration": 14, **field("Sprint")},
                {"__typename": "ProjectV2ItemFieldLabelValue"}]}}  # a type the query does not ask for
    assert proj.item_record(node) == {
        "id": "PVTI_1", "type": "ISSUE", "isArchived": False, "createdAt": "t0", "updatedAt": "t1",
        "content": {"type": "Issue", "number": 3, "title": "Crash", "url": "https://h/o/r/issues/3",
                    "repository": "V-Sekai/godot"},
        "fieldValues": [{"field": "Title", "text": "Crash"}, {"field": "Estimate", "number": 3.0},
                        {"field": "Due", "date": "2024-01-15"},
                        {"field": "Status", "name": "Done", "optionId": "ab"},
                        {"field": "Sprint", "title": "Sprint 1", "iterationId": "cd", "startDate": "2024-01-01",
                         "duration": 14}]}
    draft = {"__typename": "DraftIssue", "title": "Plan", "body": "Ideas"}
    assert proj.content_record(draft) == {"type": "DraftIssue", "title": "Plan", "body": "Ideas"}
    assert proj.content_record(None) is None


def test_project_fields_keep_options_and_iterations():
    nodes = [{"__typename": "ProjectV2Field", "id": "F1", "name": "Title", "dataType": "TITLE"},
             {"__typename": "ProjectV2SingleSelectField", "id": "F2", "name": "Status", "dataType": "SINGLE_SELECT",
              "options": [{"id": "o1", "name": "Todo", "color": "GRAY", "description": ""}]},
             {"__typename": "ProjectV2IterationField", "id": "F3", "name": "Sprint", "dataType": "ITERATION",
              "configuration": {"duration": 14, "startDay": 1, "iterations": []}}]
    node = {"number": 1, "title": "Roadmap", "fields": {"totalCount": 3, "nodes": nodes}}
    record = proj.project_record(node, [], 0)
    assert record["fields"] == [
        {"id": "F1", "name": "Title", "dataType": "TITLE"},
        {"id": "F2", "name": "Status", "dataType": "SINGLE_SELECT",
         "options": [{"id": "o1", "name": "Todo", "color": "GRAY", "description": ""}]},
        {"id": "F3", "name": "Sprint", "dataType": "ITERATION",
         "configuration": {"duration": 14, "startDay": 1, "iterations": []}}]
    assert (record["fieldsTotalCount"], record["itemsTotalCount"], record["items"]) == (3, 0, [])


# ---------------------------------------------------------------- against the emulator


def org_truth(world_root: Path) -> dict:
    return json.loads((Path(world_root) / "truth.json").read_text())["orgs"][ORG]


def served(text, emulator):
    """Bodies in truth.json hold {{WEB}}; the emulator serves the request's web address."""
    return text.replace("{{WEB}}", emulator.base_url) if isinstance(text, str) else text


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


def project_differences(folder: Path, truth: dict, emulator) -> list[str]:
    diffs = []
    files = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    if sorted(files) != sorted(truth):
        diffs.append(f"project files {sorted(files)} are not {sorted(truth)}")
    for number, want in truth.items():
        got = files.get(number)
        if got is None:
            continue
        type_names = {"Issue": "ISSUE", "PullRequest": "PULL_REQUEST", "DraftIssue": "DRAFT_ISSUE"}
        have = {
            "title": got["title"],
            "fields": {f["name"]: [o["name"] for o in f.get("options", [])] for f in got["fields"]},
            "items": [{"type": item["type"], "title": item["content"]["title"],
                       "body": item["content"]["body"] if item["content"]["type"] == "DraftIssue" else None,
                       "values": {v["field"]: next(v[k] for k in ("text", "number", "date", "name", "title") if k in v)
                                  for v in item["fieldValues"]}}
                      for item in got["items"]]}
        for item in got["items"]:
            if type_names[item["content"]["type"]] != item["type"]:
                diffs.append(f"{number}: item {item['id']} content type {item['content']['type']}")
        want = json.loads(served(json.dumps(want), emulator))
        if have != want:
            diffs.append(f"{number}: {have} != {want}")
    return diffs


def test_projects_match_truth_and_a_second_run_fetches_only_the_changed_one(github_emulator, world_root,
                                                                            tmp_path, monkeypatch):
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    folder = ctx.org_paths(ORG).root / "projects"
    marks = proj.project_marks(ctx, ORG)
    truth = org_truth(world_root)["projects"]
    assert sorted(marks) == sorted(int(n) for n in truth)
    outcome = proj.back_up_projects(ctx, ORG, folder, None)
    assert (outcome.problems, outcome.skipped, outcome.mismatches()) == ([], [], [])
    assert outcome.repo is None and outcome.mark == proj.marks_text(marks)
    assert project_differences(folder, truth, github_emulator) == []
    items = sum(len(p["items"]) for p in truth.values())
    fields = sum(len(p["fields"]) for p in truth.values())
    assert outcome.saved == {"fetched": len(truth), "projects": len(truth), "items": items, "fields": fields}
    assert outcome.expected == {"projects": len(truth), "items": items, "fields": fields}
    roadmap = json.loads((folder / "1.json").read_text())
    sprint = next(f for f in roadmap["fields"] if f["dataType"] == "ITERATION")
    assert sprint["configuration"]["iterations"] and roadmap["readme"].startswith("# Roadmap")
    assert any(i["isArchived"] for i in json.loads((folder / "2.json").read_text())["items"])

    github_emulator.reset_counters()
    same = proj.back_up_projects(ctx, ORG, folder, outcome.mark)
    assert graphql_requests(github_emulator) == 1 and same.saved["fetched"] == 0 and same.mark == outcome.mark
    assert proj.back_up_projects(ctx, ORG, folder, None).saved["fetched"] == 0  # the files say they are current
    assert proj.back_up_projects(ctx, ORG, folder, outcome.mark, full=True).saved["fetched"] == len(truth)

    new_truth = mutate(world_root)["orgs"][ORG]["projects"]
    assert proj.marks_text(proj.project_marks(ctx, ORG)) != outcome.mark
    github_emulator.reset_counters()
    second = proj.back_up_projects(ctx, ORG, folder, outcome.mark)
    assert second.saved["fetched"] == 1 and graphql_requests(github_emulator) == 2
    assert (second.problems, second.mismatches()) == ([], [])
    assert project_differences(folder, new_truth, github_emulator) == []


def test_project_items_page_by_100(github_emulator, world_root, tmp_path, monkeypatch):
    b = Builder(world_root, load_world(world_root))
    roadmap = next(p for p in b.world["orgs"][ORG]["projects"] if p["number"] == 1)
    for k in range(230):
        roadmap["items"].append({"id": f"PVTI_x{k}", "type": "DRAFT_ISSUE", "isArchived": False,
                                 "createdAt": roadmap["createdAt"], "updatedAt": roadmap["createdAt"],
                                 "content": {"title": f"Draft {k}", "body": "", "creator": "bob"}, "values": {}})
    b.save()
    ctx = make_context(github_emulator, tmp_path, monkeypatch)
    github_emulator.reset_counters()
    outcome = proj.back_up_projects(ctx, ORG, tmp_path / "projects", None)
    assert (outcome.problems, outcome.mismatches()) == ([], [])
    saved = json.loads((tmp_path / "projects" / "1.json").read_text())
    assert len(saved["items"]) == saved["itemsTotalCount"] > 230
    # listing + project 1 (3 pages of items) + project 2
    assert graphql_requests(github_emulator) == 1 + 3 + 1


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
