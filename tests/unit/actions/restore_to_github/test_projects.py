"""The restore of projects' pure part (orgbackup/actions/restore_to_github/projects.py): the dry run's
counts from the backup's files, the inputs built from a saved project, the values mapped by name."""

from __future__ import annotations

import json

from orgbackup.actions.restore_to_github.projects import (field_holds, held_value, iteration_input,
                                                          planned_project_writes, value_input)
from orgbackup.actions.restore_to_github.source import SourceOrganization

STATUS = {"id": "F1", "name": "Status", "dataType": "SINGLE_SELECT",
          "options": [{"id": "o1", "name": "Todo", "color": "GRAY", "description": "Not started"},
                      {"id": "o2", "name": "Done", "color": "GREEN", "description": None}]}
SPRINT = {"id": "F2", "name": "Sprint", "dataType": "ITERATION",
          "configuration": {"duration": 14, "startDay": 1, "iterations": [
              {"id": "i2", "title": "Sprint 2", "startDate": "2024-03-18", "duration": 14},
              {"id": "i1", "title": "Sprint 1", "startDate": "2024-03-04", "duration": 7}]}}
TITLE = {"id": "F0", "name": "Title", "dataType": "TITLE"}
NOTES = {"id": "F3", "name": "Notes", "dataType": "TEXT"}


def saved_project(number: int, fields: list, items: list, closed: bool = False) -> dict:
    return {"number": number, "title": f"P{number}", "closed": closed, "fields": fields, "items": items}


def item(content: dict | None, values: list, archived: bool = False) -> dict:
    return {"id": "x", "content": content, "isArchived": archived, "fieldValues": values}


def test_the_dry_run_counts_each_write_the_backup_asks_for(tmp_path):
    folder = tmp_path / "V-Sekai" / "projects"
    folder.mkdir(parents=True)
    issue = {"type": "Issue", "repository": "V-Sekai/godot", "number": 1}
    draft = {"type": "DraftIssue", "title": "Idea", "body": ""}
    roadmap = saved_project(1, [TITLE, STATUS, SPRINT, NOTES], [
        item(issue, [{"field": "Title", "text": "Crash"}, {"field": "Status", "name": "Todo"},
                     {"field": "Notes", "text": None}]),
        item(draft, [{"field": "Sprint", "title": "Sprint 1"}, {"field": "Notes", "text": "n"}], archived=True),
        item(None, [{"field": "Status", "name": "Done"}])])  # hidden from the backup: nothing to make
    website = saved_project(2, [TITLE], [], closed=True)  # no Status: GitHub's default one is deleted
    (folder / "1.json").write_text(json.dumps(roadmap))
    (folder / "2.json").write_text(json.dumps(website))
    (folder / "notes.txt").write_text("not a project")
    source = SourceOrganization("V-Sekai", tmp_path / "V-Sekai", {}, {})
    assert planned_project_writes(source) == {"projects": 2, "project settings": 3, "project fields": 3 + 1,
                                              "project items": 2, "project archivings": 1,
                                              "project field values": 3}


def test_inputs_and_values_are_built_from_the_saved_project():
    assert iteration_input(SPRINT) == {"duration": 14, "startDate": "2024-03-04", "iterations": [
        {"title": "Sprint 2", "startDate": "2024-03-18", "duration": 14},
        {"title": "Sprint 1", "startDate": "2024-03-04", "duration": 7}]}
    made = {"id": "N1", "options": {"Todo": "new-1", "Done": "new-2"}, "iterations": {"Sprint 1": "it-9"}}
    assert value_input("SINGLE_SELECT", {"field": "Status", "name": "Done", "optionId": "o2"}, made) == {
        "singleSelectOptionId": "new-2"}
    assert value_input("SINGLE_SELECT", {"field": "Status", "name": "Gone"}, made) is None
    assert value_input("ITERATION", {"field": "Sprint", "title": "Sprint 1"}, made) == {"iterationId": "it-9"}
    assert value_input("NUMBER", {"field": "Estimate", "number": 0}, made) == {"number": 0}
    assert held_value({"optionId": "new-2", "field": {"id": "N1"}}) == ("N1", {"singleSelectOptionId": "new-2"})
    assert held_value({"__typename": "ProjectV2ItemFieldLabelValue"}) is None


def test_a_field_holds_the_saved_one_only_with_its_options_or_iterations():
    target = {"dataType": "SINGLE_SELECT", "options": [
        {"name": "Todo", "color": "GRAY", "description": "Not started"}, {"name": "Done", "color": "GREEN",
                                                                          "description": ""}]}
    assert field_holds(target, STATUS)
    assert not field_holds(dict(target, options=target["options"][:1]), STATUS)
    assert not field_holds(dict(target, dataType="TEXT"), STATUS)
    iterations = {"dataType": "ITERATION", "configuration": {"iterations": [
        {"title": "Sprint 2", "startDate": "2024-03-18", "duration": 14},
        {"title": "Sprint 1", "startDate": "2024-03-04", "duration": 7}]}}
    assert field_holds(iterations, SPRINT)
    assert not field_holds({"dataType": "ITERATION", "configuration": {"iterations": []}}, SPRINT)
    assert field_holds({"dataType": "TEXT"}, NOTES)
