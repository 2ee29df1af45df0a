"""The projects part (orgbackup/backup/parts/projects.py, GraphQL): real backups against the emulator
compared with truth.json; a second run fetches only the changed project; items page by 100 (the
marks and file shapes: tests/unit/backup/parts/test_projects.py)."""

from __future__ import annotations

import json
from pathlib import Path

from orgbackup.backup.parts import projects as proj
from tests.github_emulator.builder import Builder
from tests.github_emulator.mutate import mutate
from tests.github_emulator.store import load_world
from tests.support.run_context import ORG, make_context
from tests.support.truth_compare_metadata import org_truth, served


def graphql_requests(emulator) -> int:
    return emulator.counters()["graphql"]


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
