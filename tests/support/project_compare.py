"""Two backups' projects (v2) compared item by item (a restore's round trip): each project's title,
readme, short description, visibility and closed; its fields with their options and iterations; its
items by (repository, number) or a draft's title and body, archived, and their values by field name
(an option or an iteration by its name). A project is matched by its place in number order (a
restore into an empty organization numbers them 1, 2, ... as GitHub does).

GitHub gives a new project its built-in fields (Assignees, Labels, ...): the copy may have those
beyond the original's, and no custom field (a Status among them) the original has not.
"""

from __future__ import annotations

import json
from pathlib import Path

CUSTOM = ("TEXT", "NUMBER", "DATE", "SINGLE_SELECT", "ITERATION")
VALUE_KEYS = ("text", "number", "date", "name", "title")


def projects_of(tree: Path) -> list[dict]:
    folder = Path(tree) / "projects"
    found = [json.loads(p.read_text()) for p in folder.glob("*.json")] if folder.is_dir() else []
    return sorted(found, key=lambda p: p["number"])


def field_view(field: dict) -> tuple:
    options = [(o["name"], o["color"], o.get("description") or "") for o in field.get("options") or []]
    iterations = [(i["title"], i["startDate"], i["duration"])
                  for i in (field.get("configuration") or {}).get("iterations") or []]
    return field["dataType"], options, iterations


def item_view(item: dict) -> tuple:
    content = item["content"] or {}
    if content.get("type") == "DraftIssue":
        what = ("draft", content.get("title"), content.get("body") or "")
    else:
        what = (content.get("type"), (content.get("repository") or "").split("/")[-1], content.get("number"))
    values = {v["field"]: next((v[k] for k in VALUE_KEYS if k in v), None) for v in item.get("fieldValues") or []}
    return what, bool(item.get("isArchived")), values


def project_view(project: dict) -> dict:
    return {"title": project["title"], "readme": project.get("readme") or "",
            "shortDescription": project.get("shortDescription") or "", "public": bool(project.get("public")),
            "closed": bool(project.get("closed")),
            "items": sorted((item_view(i) for i in project.get("items") or []), key=repr)}


def project_differences(source: Path, copy: Path) -> list[str]:
    found = []
    originals, copies = projects_of(source), projects_of(copy)
    if len(originals) != len(copies):
        found.append(f"{len(originals)} projects, the copy has {len(copies)}")
    for original, made in zip(originals, copies):
        where = f"project {original['number']} ({original['title']})"
        want, got = project_view(original), project_view(made)
        found += [f"{where}: {key} {want[key]!r}, the copy's {got[key]!r}" for key in want if want[key] != got[key]]
        theirs = {f["name"]: f for f in made.get("fields") or []}
        for field in original.get("fields") or []:
            if field["name"] not in theirs:
                found.append(f"{where}: field {field['name']!r} missing")
            elif field_view(field) != field_view(theirs[field["name"]]):
                found.append(f"{where}: field {field['name']!r} {field_view(field)}, "
                             f"the copy's {field_view(theirs[field['name']])}")
        names = {f["name"] for f in original.get("fields") or []}
        for name, field in theirs.items():
            if name not in names and field["dataType"] in CUSTOM:
                found.append(f"{where}: the copy has a field {name!r} the original has not")
    return found


def project_counts(tree: Path) -> dict:
    projects = projects_of(tree)
    items = [i for p in projects for i in p.get("items") or []]
    return {"projects": len(projects),
            "custom fields": sum(1 for p in projects for f in p.get("fields") or [] if f["dataType"] in CUSTOM),
            "items": len(items), "drafts": sum(1 for i in items if (i["content"] or {}).get("type") == "DraftIssue"),
            "archived": sum(1 for i in items if i.get("isArchived")),
            "values": sum(len(i.get("fieldValues") or []) for i in items)}
