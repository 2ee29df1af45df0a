"""The GraphQL mutations of projects (v2) the emulator serves (what restore-to-github sends): a
project made and changed, its custom fields made and changed, items added (an issue or a pull
request by its node id, a draft issue), archived, and their field values set.

GitHub's rules, as far as the restore meets them:
- only a token with admin rights writes (graphql_mutations._allowed);
- a new project takes the owner's next project number and GitHub's default fields (`DEFAULT_FIELDS`:
  Title, Assignees, Status with Todo / In Progress / Done, Labels, Linked pull requests, Milestone,
  Repository, Reviewers); only TEXT, NUMBER, DATE, SINGLE_SELECT and ITERATION fields can be made, at
  most 50 fields a project, a name once a project; a single select needs an option; option and
  iteration ids are GitHub's to choose;
- only a custom field (Status is one) can be deleted, its values with it;
- `updateProjectV2Field`'s options replace the field's (new ids; values pointing at a gone one are cleared);
- an issue or a pull request added again is the item it already is (GitHub answers the existing one);
- a value is set on a custom field only, of that field's kind, an option or iteration of that field.
"""
from __future__ import annotations

import datetime

from .builder import iso
from .graphql_mutations import _allowed, _not_found, _payload, _write
from .graphql_objects import Ctx, _fail, _field_obj, _item_obj, _nid, _project_obj
from .rest import node
from .scenario_metadata import draft_issue, project_item

MAX_FIELDS = 50
CUSTOM_TYPES = ("TEXT", "NUMBER", "DATE", "SINGLE_SELECT", "ITERATION")
VALUE_KEYS = {"TEXT": "text", "NUMBER": "number", "DATE": "date", "SINGLE_SELECT": "singleSelectOptionId",
              "ITERATION": "iterationId"}
# The fields GitHub gives a new project (the Status field's options as GitHub makes them)
DEFAULT_FIELDS = (("Title", "TITLE"), ("Assignees", "ASSIGNEES"), ("Status", "SINGLE_SELECT"), ("Labels", "LABELS"),
                  ("Linked pull requests", "LINKED_PULL_REQUESTS"), ("Milestone", "MILESTONE"),
                  ("Repository", "REPOSITORY"), ("Reviewers", "REVIEWERS"))
DEFAULT_STATUS = (("Todo", "GREEN", "This item hasn't been started"),
                  ("In Progress", "YELLOW", "This is actively being worked on"),
                  ("Done", "PURPLE", "This has been completed"))


def project_mutation_root(c: Ctx) -> dict:
    """The Mutation type's project fields, for graphql_api.execute's root value."""
    return {
        "createProjectV2": lambda info, input: create_project(c, input),
        "updateProjectV2": lambda info, input: update_project(c, input),
        "createProjectV2Field": lambda info, input: create_field(c, input),
        "updateProjectV2Field": lambda info, input: update_field(c, input),
        "deleteProjectV2Field": lambda info, input: delete_field(c, input),
        "addProjectV2ItemById": lambda info, input: add_item(c, input),
        "addProjectV2DraftIssue": lambda info, input: add_draft_issue(c, input),
        "archiveProjectV2Item": lambda info, input: archive_item(c, input),
        "updateProjectV2ItemFieldValue": lambda info, input: set_value(c, input),
    }


# ------------------------------------------------------------------ finding what an input names


def _project_by_id(world: dict, node_id: str):
    for login, org in world["orgs"].items():
        for p in org.get("projects") or []:
            if _nid("ProjectV2", p["id"]) == node_id:
                return login, p
    _not_found(node_id)


def _field_by_id(project: dict, node_id: str) -> dict:
    for f in project["fields"]:
        if _field_obj(f)["id"] == node_id:
            return f
    _not_found(node_id)


def _item_by_id(project: dict, node_id: str) -> dict:
    for item in project["items"]:
        if _nid("PVTI", item["id"]) == node_id:
            return item
    _not_found(node_id)


def _content_by_id(world: dict, node_id: str):
    """(owner login, repository name, issue) of an issue's or a pull request's node id."""
    for login, org in world["orgs"].items():
        for rec in org["repos"].values():
            for issue in rec["issues"]:
                if node("PullRequest" if issue["pull"] else "Issue", issue["id"]) == node_id:
                    return login, rec, issue
    _not_found(node_id)


def _answer_project(c: Ctx, login: str, number: int) -> dict:
    org = c.view.find_org(login)
    return _project_obj(c, org, next(p for p in org["projects"] if p["number"] == number))


def _answer_item(c: Ctx, login: str, number: int, item_id) -> dict:
    org = c.view.find_org(login)
    project = next(p for p in org["projects"] if p["number"] == number)
    item = next(i for i in project["items"] if i["id"] == item_id)
    return _item_obj(c, org, project["fields"], item)


def _touch(b, project: dict) -> None:
    project["updatedAt"] = iso(b.tick())


# ------------------------------------------------------------------ projects


def _options(b, given: list[dict]) -> list[dict]:
    if not given:
        _fail("UNPROCESSABLE", "Single select fields must have at least one option.")
    names = [o["name"] for o in given]
    if len(set(names)) != len(names):
        _fail("UNPROCESSABLE", "Single select options must have unique names.")
    return [{"id": f"{b.new_id():08x}", "name": o["name"], "color": o["color"], "description": o["description"]}
            for o in given]


def _iterations(b, config: dict) -> dict:
    start = datetime.date.fromisoformat(config["startDate"])
    return {"duration": config["duration"], "startDay": start.isoweekday(),
            "iterations": [{"id": f"{b.new_id():08x}", "title": i["title"], "startDate": i["startDate"],
                            "duration": i["duration"]} for i in config["iterations"]]}


def create_project(c: Ctx, input: dict) -> dict:
    _allowed(c, "CreateProjectV2")
    if not input["title"].strip():
        _fail("UNPROCESSABLE", "Title can't be blank")

    def change(b):
        login = next((login for login, org in b.world["orgs"].items()
                      if node("Organization", org["id"]) == input["ownerId"]), None)
        if login is None:
            _not_found(input["ownerId"])
        org = b.world["orgs"][login]
        projects = org.setdefault("projects", [])
        number = max([p["number"] for p in projects] + [org.get("last_project_number", 0)]) + 1
        org["last_project_number"] = number
        fields = []
        for name, kind in DEFAULT_FIELDS:
            prefix = "PVTSSF" if kind == "SINGLE_SELECT" else "PVTF"
            field = {"id": f"{prefix}_{b.new_id()}", "name": name, "dataType": kind}
            if kind == "SINGLE_SELECT":
                field["options"] = _options(b, [{"name": n, "color": color, "description": text}
                                                for n, color, text in DEFAULT_STATUS])
            fields.append(field)
        when = iso(b.tick())
        projects.append({"id": f"PVT_{b.new_id()}", "number": number, "title": input["title"], "shortDescription": None,
                         "readme": None, "public": False, "closed": False, "createdAt": when, "updatedAt": when,
                         "creator": c.user["login"], "fields": fields, "items": []})
        return login, number
    return _payload(input, projectV2=_answer_project(c, *_write(c, change)))


def update_project(c: Ctx, input: dict) -> dict:
    _allowed(c, "UpdateProjectV2")
    if input.get("title") is not None and not input["title"].strip():
        _fail("UNPROCESSABLE", "Title can't be blank")

    def change(b):
        login, project = _project_by_id(b.world, input["projectId"])
        for key in ("title", "shortDescription", "readme", "public", "closed"):
            if input.get(key) is not None:
                project[key] = input[key]
        _touch(b, project)
        return login, project["number"]
    return _payload(input, projectV2=_answer_project(c, *_write(c, change)))


# ------------------------------------------------------------------ fields


def create_field(c: Ctx, input: dict) -> dict:
    _allowed(c, "CreateProjectV2Field")
    kind, name = input["dataType"], input["name"].strip()
    if not name:
        _fail("UNPROCESSABLE", "Name can't be blank")

    def change(b):
        login, project = _project_by_id(b.world, input["projectId"])
        if any(f["name"].lower() == name.lower() for f in project["fields"]):
            _fail("UNPROCESSABLE", "Name has already been taken")
        if len(project["fields"]) >= MAX_FIELDS:
            _fail("UNPROCESSABLE", f"Projects can have at most {MAX_FIELDS} fields.")
        prefix = {"SINGLE_SELECT": "PVTSSF", "ITERATION": "PVTIF"}.get(kind, "PVTF")
        field = {"id": f"{prefix}_{b.new_id()}", "name": name, "dataType": kind}
        if kind == "SINGLE_SELECT":
            field["options"] = _options(b, input.get("singleSelectOptions") or [])
        if kind == "ITERATION":
            today = iso(b.clock())[:10]
            field["configuration"] = _iterations(b, input.get("iterationConfiguration") or {
                "duration": 14, "startDate": today, "iterations": [{"title": "Iteration 1", "startDate": today,
                                                                    "duration": 14}]})
        project["fields"].append(field)
        _touch(b, project)
        return login, project["number"], field["id"]
    login, number, field_id = _write(c, change)
    project = next(p for p in c.view.find_org(login)["projects"] if p["number"] == number)
    return _payload(input, projectV2Field=_field_obj(next(f for f in project["fields"] if f["id"] == field_id)))


def _field_anywhere(world: dict, node_id: str):
    """(owner login, project, field) of a field's node id."""
    for login, org in world["orgs"].items():
        for project in org.get("projects") or []:
            field = next((f for f in project["fields"] if _field_obj(f)["id"] == node_id), None)
            if field is not None:
                return login, project, field
    _not_found(node_id)


def delete_field(c: Ctx, input: dict) -> dict:
    _allowed(c, "DeleteProjectV2Field")

    def change(b):
        login, project, field = _field_anywhere(b.world, input["fieldId"])
        if field["dataType"] not in CUSTOM_TYPES:
            _fail("UNPROCESSABLE", f"The field {field['name']!r} cannot be deleted: it is of type {field['dataType']}.")
        project["fields"].remove(field)
        for item in project["items"]:
            (item.get("values") or {}).pop(str(field["id"]), None)
        _touch(b, project)
        return field
    return _payload(input, projectV2Field=_field_obj(_write(c, change)))


def update_field(c: Ctx, input: dict) -> dict:
    _allowed(c, "UpdateProjectV2Field")

    def update(b):
        login, project, field = _field_anywhere(b.world, input["fieldId"])
        if input.get("name"):
            field["name"] = input["name"]
        if input.get("singleSelectOptions") is not None:
            if field["dataType"] != "SINGLE_SELECT":
                _fail("UNPROCESSABLE", "Only single select fields have options.")
            field["options"] = _options(b, input["singleSelectOptions"])
            kept = {o["id"] for o in field["options"]}
            for item in project["items"]:  # a value naming a gone option is gone with it
                values, key = item.get("values") or {}, str(field["id"])
                if key in values and values[key] not in kept:
                    del values[key]
        if input.get("iterationConfiguration") is not None:
            if field["dataType"] != "ITERATION":
                _fail("UNPROCESSABLE", "Only iteration fields have an iteration configuration.")
            field["configuration"] = _iterations(b, input["iterationConfiguration"])
        _touch(b, project)
        return login, project["number"], field["id"]
    login, number, field_id = _write(c, update)
    project = next(p for p in c.view.find_org(login)["projects"] if p["number"] == number)
    return _payload(input, projectV2Field=_field_obj(next(f for f in project["fields"] if f["id"] == field_id)))


# ------------------------------------------------------------------ items


def add_item(c: Ctx, input: dict) -> dict:
    _allowed(c, "AddProjectV2ItemById")

    def change(b):
        login, project = _project_by_id(b.world, input["projectId"])
        owner, rec, issue = _content_by_id(b.world, input["contentId"])
        kind = "PULL_REQUEST" if issue["pull"] else "ISSUE"
        wanted = (kind, owner, rec["name"], issue["number"])
        for item in project["items"]:  # already in the project: that item
            content = item.get("content") or {}
            if (item["type"], content.get("owner", login), content.get("repo"), content.get("number")) == wanted:
                return login, project["number"], item["id"]
        content = {"repo": rec["name"], "number": issue["number"]}
        if owner != login:
            content["owner"] = owner
        item = project_item(b, kind, content, {})
        project["items"].append(item)
        _touch(b, project)
        return login, project["number"], item["id"]
    return _payload(input, item=_answer_item(c, *_write(c, change)))


def add_draft_issue(c: Ctx, input: dict) -> dict:
    _allowed(c, "AddProjectV2DraftIssue")
    if not input["title"].strip():
        _fail("UNPROCESSABLE", "Title can't be blank")

    def change(b):
        login, project = _project_by_id(b.world, input["projectId"])
        item = project_item(b, "DRAFT_ISSUE", draft_issue(b, input["title"], input.get("body") or "",
                                                          c.user["login"]), {})
        project["items"].append(item)
        _touch(b, project)
        return login, project["number"], item["id"]
    return _payload(input, projectItem=_answer_item(c, *_write(c, change)))


def archive_item(c: Ctx, input: dict) -> dict:
    _allowed(c, "ArchiveProjectV2Item")

    def change(b):
        login, project = _project_by_id(b.world, input["projectId"])
        item = _item_by_id(project, input["itemId"])
        item["isArchived"] = True
        item["updatedAt"] = iso(b.tick())
        _touch(b, project)
        return login, project["number"], item["id"]
    return _payload(input, item=_answer_item(c, *_write(c, change)))


def set_value(c: Ctx, input: dict) -> dict:
    _allowed(c, "UpdateProjectV2ItemFieldValue")

    def change(b):
        login, project = _project_by_id(b.world, input["projectId"])
        item = _item_by_id(project, input["itemId"])
        field = _field_by_id(project, input["fieldId"])
        kind = field["dataType"]
        if kind not in CUSTOM_TYPES:
            _fail("UNPROCESSABLE", f"The field {field['name']!r} cannot be updated: it is of type {kind}.")
        given = {k: v for k, v in input["value"].items() if v is not None}
        key = VALUE_KEYS[kind]
        if list(given) != [key]:
            _fail("UNPROCESSABLE", f"A value of the {kind} field {field['name']!r} is given as `{key}` alone.")
        value = given[key]
        if kind == "SINGLE_SELECT" and value not in {o["id"] for o in field["options"]}:
            _fail("UNPROCESSABLE", f"The single select option id {value!r} is not an option of {field['name']!r}.")
        if kind == "ITERATION" and value not in {i["id"] for i in field["configuration"]["iterations"]}:
            _fail("UNPROCESSABLE", f"The iteration id {value!r} is not an iteration of {field['name']!r}.")
        item.setdefault("values", {})[str(field["id"])] = value  # world.json keys values by the field id as text
        item["updatedAt"] = iso(b.tick())
        _touch(b, project)
        return login, project["number"], item["id"]
    return _payload(input, projectV2Item=_answer_item(c, *_write(c, change)))
