"""The projects part (orgbackup/backup/parts/projects.py), pure: marks round-trip as JSON, item
values and content and fields take the design's shape."""

from __future__ import annotations

import json

from orgbackup.backup.parts import projects as proj


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
