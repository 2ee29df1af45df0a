"""The organization's projects (v2) made again in the target, through GraphQL (an `after` part of
organization.py: an item is an issue or a pull request of a restored repository).

For each project of the backup (`projects/<N>.json`), in number order:
- the project (`createProjectV2`, owned by the target organization: GitHub numbers it), then its
  readme, short description and visibility (`updateProjectV2`); closed, as the original was, last;
- its custom fields (TEXT, NUMBER, DATE, SINGLE_SELECT with their options, ITERATION with their
  iterations); a field the new project has already (GitHub gives it "Status") gets the backup's
  options (`updateProjectV2Field`), or is deleted when the original had none; GitHub's built-in
  fields (Title, Assignees, Labels, ...) are the project's own and not made;
- its items in the backup's order: an issue or a pull request by its number in the target's
  repository of the same name (the restore keeps numbers), a draft issue with its title and body;
  then each one's values of the custom fields (option and iteration ids mapped by name), and
  archived as it was.
Every write goes through create_once, keyed by the original project number, field id and item id;
after a kill a pending row is looked for on GitHub (a project by title, a field by name and what it
holds, an item by its content or a draft's title and body, values and archived as they are) first.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from orgbackup.github.api import GraphQLError
from orgbackup.github.pages import graphql_nodes
from orgbackup.cache.layout import OrgPaths
from orgbackup.actions.restore_to_github.project_queries import (
    ADD_DRAFT_ISSUE, ADD_ITEM, ARCHIVE_ITEM, CONTENT_QUERY, CREATE_FIELD, CREATE_PROJECT, DELETE_FIELD, FIND_PROJECTS,
    OWNER_QUERY,
    SET_VALUE, TARGET_ITEMS, TARGET_PROJECT, UPDATE_FIELD, UPDATE_PROJECT)
from orgbackup.actions.restore_to_github.writer import WriteRefused

# The kinds of field the API makes, and the key of each one's value (GitHub's ProjectV2FieldValue)
VALUE_INPUT = {"TEXT": "text", "NUMBER": "number", "DATE": "date", "SINGLE_SELECT": "singleSelectOptionId",
               "ITERATION": "iterationId"}
# The saved value's key (orgbackup/backup/parts/projects.py: VALUE_KEYS) per kind of field
SAVED_VALUE = {"TEXT": "text", "NUMBER": "number", "DATE": "date", "SINGLE_SELECT": "name", "ITERATION": "title"}
SETTINGS = ("readme", "shortDescription", "public")

NOT_RESTORED = ("each project's views (layouts, filters, sorting, grouping), workflows and insights, the items' "
                "order and who added each one when: GitHub's API cannot make them; set them up again by hand")


# ------------------------------------------------------------------ pure builders


def saved_projects(folder: Path) -> list[dict]:
    """The backup's projects/<N>.json, by number."""
    found = []
    for path in Path(folder).glob("*.json") if Path(folder).is_dir() else ():
        if path.stem.isdigit():
            found.append(json.loads(path.read_text(encoding="utf-8")))
    return sorted(found, key=lambda p: p.get("number") or 0)


def custom_fields(project: dict) -> list[dict]:
    return [f for f in project.get("fields") or [] if f.get("dataType") in VALUE_INPUT]


def field_types(project: dict) -> dict[str, str]:
    return {f.get("name"): f.get("dataType") for f in project.get("fields") or []}


def custom_values(project: dict, item: dict) -> list[dict]:
    """The item's values of custom fields that hold something."""
    types = field_types(project)
    return [v for v in item.get("fieldValues") or []
            if types.get(v.get("field")) in SAVED_VALUE and v.get(SAVED_VALUE[types[v.get("field")]]) is not None]


def has_status(project: dict) -> bool:
    """Has the project a field named Status (GitHub gives a new project one)?"""
    return any((f.get("name") or "").lower() == "status" for f in project.get("fields") or [])


def planned_project_writes(source) -> Counter:
    """The writes the restore of the organization's projects makes at most (the dry run's counts)."""
    projects = saved_projects(OrgPaths(source.directory).projects)
    items = [(p, i) for p in projects for i in p.get("items") or [] if i.get("content")]
    count = Counter({"projects": len(projects),
                     "project settings": len(projects) + sum(1 for p in projects if p.get("closed")),
                     # the custom fields, and GitHub's default Status deleted where the original had none
                     "project fields": sum(len(custom_fields(p)) + (not has_status(p)) for p in projects),
                     "project items": len(items),
                     "project archivings": sum(1 for _, i in items if i.get("isArchived")),
                     "project field values": sum(len(custom_values(p, i)) for p, i in items)})
    return +count


def option_inputs(field: dict) -> list[dict]:
    return [{"name": o.get("name"), "color": o.get("color") or "GRAY", "description": o.get("description") or ""}
            for o in field.get("options") or []]


def iteration_input(field: dict) -> dict:
    """GitHub's ProjectV2IterationFieldConfigurationInput of a saved iteration field."""
    config = field.get("configuration") or {}
    iterations = [{"title": i.get("title"), "startDate": i.get("startDate"),
                   "duration": i.get("duration") or config.get("duration") or 14}
                  for i in config.get("iterations") or []]
    start = min((i["startDate"] for i in iterations), default=None)
    return {"duration": config.get("duration") or 14, "startDate": start or "2024-01-01", "iterations": iterations}


def field_holds(target: dict, field: dict) -> bool:
    """Does the target's field hold what the saved one does (kind, options or iterations)?"""
    if target.get("dataType") != field.get("dataType"):
        return False
    if field.get("dataType") == "SINGLE_SELECT":
        mine = [(o["name"], o["color"], o["description"]) for o in option_inputs(field)]
        theirs = target.get("options") or []
        return mine == [(o.get("name"), o.get("color"), o.get("description") or "") for o in theirs]
    if field.get("dataType") == "ITERATION":
        mine = [(i["title"], i["startDate"], i["duration"]) for i in iteration_input(field)["iterations"]]
        theirs = ((target.get("configuration") or {}).get("iterations")) or []
        return mine == [(i.get("title"), i.get("startDate"), i.get("duration")) for i in theirs]
    return True


def field_summary(field: dict) -> dict:
    """What the state keeps of a made field: its id, kind, and its options' and iterations' ids by name."""
    return {"id": field.get("id"), "dataType": field.get("dataType"),
            "options": {o.get("name"): o.get("id") for o in field.get("options") or []},
            "iterations": {i.get("title"): i.get("id")
                           for i in (field.get("configuration") or {}).get("iterations") or []}}


def value_input(kind: str, saved: dict, made: dict) -> dict | None:
    """GitHub's ProjectV2FieldValue of a saved value, the option or iteration by its name; None when
    the made field has no option or iteration of that name."""
    value = saved.get(SAVED_VALUE[kind])
    if kind == "SINGLE_SELECT":
        value = made.get("options", {}).get(value)
    elif kind == "ITERATION":
        value = made.get("iterations", {}).get(value)
    return None if value is None else {VALUE_INPUT[kind]: value}


def held_value(node: dict) -> tuple | None:
    """(field id, {input key: value}) of a value the target's item holds."""
    field = (node or {}).get("field") or {}
    for key, answer in (("text", "text"), ("number", "number"), ("date", "date"),
                        ("singleSelectOptionId", "optionId"), ("iterationId", "iterationId")):
        if answer in (node or {}):
            return field.get("id"), {key: node[answer]}
    return None


# ------------------------------------------------------------------ the part


class ProjectsRestore:
    """The part: `step` is the organization's Step (organization.py)."""

    def __init__(self, step):
        self.step, self.w, self.state = step, step.w, step.state
        self.org = step.target.org
        self.restored = {name.lower() for name in step.source.names()}
        self.items_read: tuple[int, int, list] | None = None  # (project number, writes sent then, items)

    def run(self) -> None:
        projects = saved_projects(self.step.paths.projects)
        if not projects:
            return
        try:
            owner = self.w.api.graphql(OWNER_QUERY, {"login": self.org})["organization"]["id"]
            taken = {(self.state.done_target("project", self.key(p)) or {}).get("id") for p in projects}
            for project in projects:
                self.restore_project(project, owner, taken)
        except GraphQLError as exc:
            if exc.rate_limited:
                raise
            self.step.problem(f"projects not restored: GitHub answered {exc}")
        self.step.for_a_person(NOT_RESTORED)

    def key(self, project: dict, *parts) -> str:
        return self.step.key("project", project.get("number"), *parts)

    def restore_project(self, project: dict, owner: str, taken: set) -> None:
        number, title = project.get("number"), project.get("title") or f"Project {project.get('number')}"

        def create():
            return self.w.graphql(CREATE_PROJECT, {"ownerId": owner, "title": title},
                                  what=f"project {number}")["createProjectV2"]["projectV2"]
        try:
            made = self.w.create_once("project", self.key(project), create, lambda: self.find_project(title, taken),
                                      summary=lambda r: {"id": r.get("id"), "number": r.get("number")})
        except WriteRefused as exc:
            self.step.problem(f"project {number} ({title}) not created: {exc}")
            return
        self.step.count("projects")
        taken.add(made["id"])
        settings = {k: project[k] for k in SETTINGS if project.get(k) is not None}
        self.once(project, made, "project-settings", UPDATE_PROJECT, dict(settings, projectId=made["id"]),
                  lambda now: all((now.get(k) or "") == (v or "") for k, v in settings.items()), "project settings")
        fields = self.restore_fields(project, made)
        for item in project.get("items") or []:
            self.restore_item(project, made, item, fields)
        if project.get("closed"):
            self.once(project, made, "project-closed", UPDATE_PROJECT, {"projectId": made["id"], "closed": True},
                      lambda now: now.get("closed") is True, "project settings")

    def once(self, project, made, kind, document, variables, holds, counted) -> None:
        """An update of a made project, once (after a kill: looked at first, `holds(project now)`)."""
        def send():
            return self.w.graphql(document, variables, what=f"project {project.get('number')}: {kind}")

        def find():
            return {} if holds(self.target_project(made["number"])) else None
        try:
            self.w.create_once(kind, self.key(project), send, find, summary=lambda r: {})
        except WriteRefused as exc:
            self.step.problem(f"project {project.get('number')}: {kind} not restored: {exc}")
            return
        self.step.count(counted)

    # -------------------------------------------------------------- fields

    def restore_fields(self, project: dict, made: dict) -> dict[str, dict]:
        """Saved field name -> what the state keeps of the target's field (field_summary)."""
        existing = {f.get("name", "").lower(): f for f in self.target_project(made["number"])["fields"]["nodes"] if f}
        # GitHub's default Status, which the original had not (or a row of its delete, to be looked at)
        status = existing.get("status")
        if not has_status(project) and (status or self.state.get("project-status-deleted", self.key(project))):
            self.once(project, made, "project-status-deleted", DELETE_FIELD, {"fieldId": (status or {}).get("id")},
                      lambda now: not has_status({"fields": [f for f in now["fields"]["nodes"] if f]}),
                      "project fields")
        fields = {}
        for field in custom_fields(project):
            made_field = self.restore_field(project, made, field, existing.get((field.get("name") or "").lower()))
            if made_field is not None:
                fields[field.get("name")] = made_field
        return fields

    def restore_field(self, project: dict, made: dict, field: dict, there: dict | None) -> dict | None:
        name, kind = field.get("name"), field.get("dataType")
        where = f"project {project.get('number')}: field {name!r}"
        if there is not None and there.get("dataType") != kind:
            self.step.problem(f"{where} not made: the new project has a {there.get('dataType')} field of that name")
            return None
        shape = {}
        if kind == "SINGLE_SELECT":
            shape["singleSelectOptions"] = option_inputs(field)
        if kind == "ITERATION":
            shape["iterationConfiguration"] = iteration_input(field)

        def create():
            if there is not None and not shape:  # a field of that name and kind there already: nothing to change
                return there
            if there is not None:
                return self.w.graphql(UPDATE_FIELD, dict(shape, fieldId=there["id"]),
                                      what=f"{where}")["updateProjectV2Field"]["projectV2Field"]
            return self.w.graphql(CREATE_FIELD, dict(shape, projectId=made["id"], dataType=kind, name=name),
                                  what=f"{where}")["createProjectV2Field"]["projectV2Field"]

        def find():
            now = next((f for f in self.target_project(made["number"])["fields"]["nodes"]
                        if f and (f.get("name") or "").lower() == (name or "").lower()), None)
            return now if now is not None and field_holds(now, field) else None
        try:
            done = self.w.create_once("project-field", self.key(project, "field", field.get("id")), create, find,
                                      summary=field_summary)
        except WriteRefused as exc:
            self.step.problem(f"{where} not made: {exc}")
            return None
        self.step.count("project fields")
        return done

    # -------------------------------------------------------------- items

    def restore_item(self, project: dict, made: dict, item: dict, fields: dict) -> None:
        number, content = project.get("number"), item.get("content")
        key = self.key(project, "item", item.get("id"))
        if not content:
            self.step.problem(f"project {number}: an item the backup could not see (its content was hidden from "
                              f"the backup's token) not restored")
            return
        if content.get("type") == "DraftIssue":
            variables = {"projectId": made["id"], "title": content.get("title") or "Draft", "body": content.get("body")}
            what = f"draft issue {content.get('title')!r}"

            def create():
                return self.w.graphql(ADD_DRAFT_ISSUE, drop_nulls(variables),
                                      what=f"project {number}: {what}")["addProjectV2DraftIssue"]["projectItem"]

            draft = (variables["title"], variables["body"] or "")

            def find():
                return self.find_item(project, made, key, lambda c: c.get("__typename") == "DraftIssue"
                                      and (c.get("title"), c.get("body") or "") == draft)
        else:
            what = f"{content.get('repository')}#{content.get('number')}"
            content_id = self.content_id(project, content, what)
            if content_id is None:
                return

            def create():
                return self.w.graphql(ADD_ITEM, {"projectId": made["id"], "contentId": content_id},
                                      what=f"project {number}: {what}")["addProjectV2ItemById"]["item"]

            def find():
                return self.find_item(project, made, key, lambda c: c.get("id") == content_id)
        try:
            made_item = self.w.create_once("project-item", key, create, find, summary=lambda r: {"id": r.get("id")})
        except WriteRefused as exc:
            self.step.problem(f"project {number}: item {what} not added: {exc}")
            return
        self.step.count("project items")
        self.restore_values(project, made, item, made_item["id"], fields, what)
        if item.get("isArchived"):
            self.item_once(made, key, "project-item-archived", ARCHIVE_ITEM, [{"itemId": made_item["id"]}],
                           lambda now: now.get("isArchived") is True, "project archivings", f"{what} archived")

    def content_id(self, project: dict, content: dict, what: str) -> str | None:
        """The node id of the item's issue or pull request in the target; None (a problem said) without one."""
        owner, _, name = (content.get("repository") or "").partition("/")
        where = f"project {project.get('number')}: item {what} not added"
        if owner.lower() != self.step.source.org.lower() or name.lower() not in self.restored:
            self.step.problem(f"{where}: its repository is not one of the restored organization's")
            return None
        try:
            found = self.w.api.graphql(CONTENT_QUERY, {"o": self.org, "n": name, "number": content.get("number")})
        except GraphQLError as exc:
            if exc.rate_limited:
                raise
            self.step.problem(f"{where}: {self.org}/{name}#{content.get('number')} is not there ({exc})")
            return None
        return ((found.get("repository") or {}).get("issueOrPullRequest") or {}).get("id")

    def restore_values(self, project, made, item, item_id, fields, what) -> None:
        types = field_types(project)
        sets = []
        for saved in custom_values(project, item):
            made_field = fields.get(saved.get("field"))
            value = value_input(types[saved["field"]], saved, made_field) if made_field else None
            if value is None:
                self.step.problem(f"project {project.get('number')}: item {what}: the value of "
                                  f"{saved.get('field')!r} not set (its field or option was not made)")
                continue
            sets.append({"itemId": item_id, "fieldId": made_field["id"], "value": value})
        if sets:
            self.item_once(made, self.key(project, "item", item.get("id")), "project-item-values", SET_VALUE, sets,
                           lambda now: all((s["fieldId"], s["value"]) in now["values"] for s in sets),
                           "project field values", f"{what}: values")

    def item_once(self, made, key, kind, document, changes: list[dict], holds, counted, what) -> None:
        """Changes of one made item (values, archived), once: recorded together; after a kill they are
        looked at first (`holds(item now)`), sent again only when they do not hold (each can be repeated)."""
        item_id = changes[0]["itemId"]

        def send():
            for change in changes:
                self.w.graphql(document, dict(change, projectId=made["id"]), what=f"project {made['number']}: {what}")
            return {}

        def find():
            now = next((i for i in self.target_items(made["number"]) if i["id"] == item_id), None)
            return {} if now is not None and holds(now) else None
        try:
            self.w.create_once(kind, key, send, find, summary=lambda r: {})
        except WriteRefused as exc:
            self.step.problem(f"project {made['number']}: {what} not restored: {exc}")
            return
        if self.w.fresh:
            self.step.outcome.created[counted] += len(changes)

    # -------------------------------------------------------------- reading the target

    def target_project(self, number: int) -> dict:
        return self.w.api.graphql(TARGET_PROJECT, {"login": self.org, "number": number})["organization"]["projectV2"]

    def target_items(self, number: int) -> list[dict]:
        """The made project's items (id, isArchived, content, values as {(field id, value input)}),
        read again once this part has written since."""
        if self.items_read and self.items_read[:2] == (number, self.w.writes_sent):
            return self.items_read[2]
        items = []
        for node in graphql_nodes(self.w.api, TARGET_ITEMS, {"login": self.org, "number": number},
                                     lambda data: data["organization"]["projectV2"]["items"]):
            held = [held_value(v) for v in (node.get("fieldValues") or {}).get("nodes") or []]
            items.append({"id": node["id"], "isArchived": node.get("isArchived"),
                          "content": node.get("content") or {}, "values": [h for h in held if h]})
        self.items_read = (number, self.w.writes_sent, items)
        return items

    def find_item(self, project: dict, made: dict, key: str, matches) -> dict | None:
        """The made project's item whose content `matches`, not one another item's row records (two
        drafts of one title and body)."""
        rows = self.state.done_under("project-item", self.key(project, "item"))
        recorded = {target.get("id"): row_key for row_key, target in rows.items()}
        return next((i for i in self.target_items(made["number"])
                     if matches(i["content"]) and (i["id"] not in recorded or recorded[i["id"]] == key)), None)

    def find_project(self, title: str, taken: set) -> dict | None:
        projects = graphql_nodes(self.w.api, FIND_PROJECTS, {"login": self.org},
                                    lambda data: data["organization"]["projectsV2"])
        return next((p for p in projects if p.get("title") == title and p.get("id") not in taken), None)


def drop_nulls(variables: dict) -> dict:
    """A variable left out leaves the input field out (GitHub: null would clear it)."""
    return {k: v for k, v in variables.items() if v is not None}
