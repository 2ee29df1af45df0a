"""The emulator's project (v2) mutations (tests/github_emulator/graphql_project_mutations.py) over
HTTPS, with GitHub's rules: a new project numbered next in its owner's sequence with GitHub's default
fields, custom fields only of the five kinds and a name once, option and iteration ids chosen by
GitHub, an issue added twice is one item, a value of its field's kind and options, options replaced
clearing the values that named a gone one; the backup's query reads what was made."""

from __future__ import annotations

from orgbackup.actions.restore_to_github import project_queries as q
from orgbackup.backup.parts.projects import PROJECT_QUERY
from tests.github_emulator.graphql_project_mutations import DEFAULT_FIELDS, DEFAULT_STATUS
from tests.support.emulator_client import TARGET
from tests.support.graphql_world import data, post

OPTIONS = [{"name": "S", "color": "GREEN", "description": "small"}, {"name": "L", "color": "RED", "description": ""}]
ITERATIONS = {"duration": 7, "startDate": "2024-03-04",
              "iterations": [{"title": "Week 1", "startDate": "2024-03-04", "duration": 7}]}


def mutate(em, document, **variables) -> dict:
    return data(post(em, document, variables))


def refused(em, document, **variables) -> str:
    answer = post(em, document, variables).json()
    assert answer["data"] == {next(iter(answer["data"])): None}, answer
    return answer["errors"][0]["message"]


def test_projects_are_made_as_github_makes_them(github_emulator, target):
    em = github_emulator
    owner = mutate(em, q.OWNER_QUERY, login=TARGET)["organization"]["id"]
    first = mutate(em, q.CREATE_PROJECT, ownerId=owner, title="Roadmap")["createProjectV2"]["projectV2"]
    second = mutate(em, q.CREATE_PROJECT, ownerId=owner, title="Roadmap")["createProjectV2"]["projectV2"]
    assert (first["number"], second["number"]) == (1, 2) and first["id"] != second["id"]  # titles may repeat
    project = mutate(em, q.TARGET_PROJECT, login=TARGET, number=1)["organization"]["projectV2"]
    fields = {f["name"]: f for f in project["fields"]["nodes"]}
    assert [(f["name"], f["dataType"]) for f in project["fields"]["nodes"]] == list(DEFAULT_FIELDS)
    assert [(o["name"], o["color"], o["description"]) for o in fields["Status"]["options"]] == list(DEFAULT_STATUS)
    assert project["readme"] is None and project["public"] is False

    pid = first["id"]
    mutate(em, q.UPDATE_PROJECT, projectId=pid, readme="# Plan", shortDescription="next", public=True)
    size = mutate(em, q.CREATE_FIELD, projectId=pid, dataType="SINGLE_SELECT", name="Size",
                  singleSelectOptions=OPTIONS)["createProjectV2Field"]["projectV2Field"]
    assert [o["name"] for o in size["options"]] == ["S", "L"] and all(o["id"] for o in size["options"])
    week = mutate(em, q.CREATE_FIELD, projectId=pid, dataType="ITERATION", name="Week",
                  iterationConfiguration=ITERATIONS)["createProjectV2Field"]["projectV2Field"]
    assert [(i["title"], i["startDate"], i["duration"]) for i in week["configuration"]["iterations"]] == [
        ("Week 1", "2024-03-04", 7)]
    assert "already been taken" in refused(em, q.CREATE_FIELD, projectId=pid, dataType="TEXT", name="size")
    assert "at least one option" in refused(em, q.CREATE_FIELD, projectId=pid, dataType="SINGLE_SELECT", name="X",
                                            singleSelectOptions=[])

    issue = target.ok("POST", f"/repos/{TARGET}/assets/issues", json={"title": "Fix it"})
    content = mutate(em, q.CONTENT_QUERY, o=TARGET, n="assets", number=issue["number"])["repository"][
        "issueOrPullRequest"]
    item = mutate(em, q.ADD_ITEM, projectId=pid, contentId=content["id"])["addProjectV2ItemById"]["item"]
    again = mutate(em, q.ADD_ITEM, projectId=pid, contentId=content["id"])["addProjectV2ItemById"]["item"]
    assert again["id"] == item["id"]  # GitHub answers the item the issue is already
    assert "Could not resolve" in refused(em, q.ADD_ITEM, projectId=pid, contentId="I_nothing")
    draft = mutate(em, q.ADD_DRAFT_ISSUE, projectId=pid, title="Idea", body="maybe")["addProjectV2DraftIssue"]
    small = size["options"][0]["id"]
    mutate(em, q.SET_VALUE, projectId=pid, itemId=item["id"], fieldId=size["id"], value={"singleSelectOptionId": small})
    mutate(em, q.SET_VALUE, projectId=pid, itemId=draft["projectItem"]["id"], fieldId=week["id"],
           value={"iterationId": week["configuration"]["iterations"][0]["id"]})
    assert "given as `singleSelectOptionId` alone" in refused(em, q.SET_VALUE, projectId=pid, itemId=item["id"],
                                                               fieldId=size["id"], value={"text": "S"})
    assert "not an option" in refused(em, q.SET_VALUE, projectId=pid, itemId=item["id"], fieldId=size["id"],
                                      value={"singleSelectOptionId": "nope"})
    assert "cannot be updated" in refused(em, q.SET_VALUE, projectId=pid, itemId=item["id"],
                                          fieldId=fields["Labels"]["id"], value={"text": "bug"})
    mutate(em, q.ARCHIVE_ITEM, projectId=pid, itemId=draft["projectItem"]["id"])
    mutate(em, q.UPDATE_PROJECT, projectId=pid, closed=True)

    # The backup's own query reads it all back.
    saved = data(post(em, PROJECT_QUERY, {"login": TARGET, "number": 1, "after": None}))["organization"]["projectV2"]
    assert (saved["title"], saved["readme"], saved["shortDescription"], saved["public"], saved["closed"]) == (
        "Roadmap", "# Plan", "next", True, True)
    items = saved["items"]["nodes"]
    assert [(i["type"], i["isArchived"]) for i in items] == [("ISSUE", False), ("DRAFT_ISSUE", True)]
    assert {"name": "S", "optionId": small} in [{k: v[k] for k in ("name", "optionId")}
                                                for v in items[0]["fieldValues"]["nodes"] if "optionId" in v]
    assert [v["title"] for v in items[1]["fieldValues"]["nodes"] if "iterationId" in v] == ["Week 1"]

    # Options replaced: new ids, and a value naming a gone option is gone.
    status = mutate(em, q.UPDATE_FIELD, fieldId=size["id"], singleSelectOptions=OPTIONS[1:])[
        "updateProjectV2Field"]["projectV2Field"]
    assert [o["name"] for o in status["options"]] == ["L"]
    saved = data(post(em, PROJECT_QUERY, {"login": TARGET, "number": 1, "after": None}))["organization"]["projectV2"]
    assert not [v for v in saved["items"]["nodes"][0]["fieldValues"]["nodes"] if "optionId" in v]

    # Only a custom field can be deleted (GitHub's default Status is one).
    assert "cannot be deleted" in refused(em, q.DELETE_FIELD, fieldId=fields["Title"]["id"])
    mutate(em, q.DELETE_FIELD, fieldId=fields["Status"]["id"])
    project = mutate(em, q.TARGET_PROJECT, login=TARGET, number=1)["organization"]["projectV2"]
    assert "Status" not in {f["name"] for f in project["fields"]["nodes"]} and "Title" in {
        f["name"] for f in project["fields"]["nodes"]}
