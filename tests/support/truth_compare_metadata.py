"""Compare a backed-up (or restored) organization's metadata parts with the emulator's truth.json.

`metadata_differences(org_dir, org_truth, web, parts)` returns readable differences
([] when the backup holds everything truth.json says GitHub has) for the parts named:
every discussion with its comments and replies, every review, commit comment,
setting, collaborator, team, protected branch, key, environment, variable, secret
name, organization member and team, project with its fields and items, and every
attachment's bytes by sha256.  `web` replaces the `{{WEB}}` placeholder the
emulator's bodies hold (https://HOST).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.github_emulator.builder import ORG

# A team's `permission` in GitHub's listings -> the role name truth.json holds.
ROLE_NAMES = {"pull": "read", "triage": "triage", "push": "write", "maintain": "maintain", "admin": "admin"}
MERGE_FLAGS = ("allow_merge_commit", "allow_squash_merge", "allow_rebase_merge", "allow_auto_merge",
               "delete_branch_on_merge", "web_commit_signoff_required")


def _load(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _web(value, web: str):
    if isinstance(value, str):
        return value.replace("{{WEB}}", web)
    if isinstance(value, list):
        return [_web(v, web) for v in value]
    if isinstance(value, dict):
        return {k: _web(v, web) for k, v in value.items()}
    return value


def org_truth(world_root: Path) -> dict:
    """The default organization's part of the world's truth.json (as last written)."""
    return json.loads((Path(world_root) / "truth.json").read_text())["orgs"][ORG]


def served(text, emulator):
    """Bodies in truth.json hold {{WEB}}; the emulator serves the request's web address."""
    return text.replace("{{WEB}}", emulator.base_url) if isinstance(text, str) else text


def discussions_differences(folder: Path, want: dict, where: str) -> list[str]:
    diffs = []
    for number, t in sorted(want.items()):
        saved = _load(folder / f"{number}.json")
        if saved is None:
            diffs.append(f"{where}: discussion {number} missing")
            continue
        got = {
            "title": saved.get("title"), "body": saved.get("body"),
            "category": (saved.get("category") or {}).get("slug"),
            "answer_body": next((c["body"] for c in saved.get("comments", []) if c.get("isAnswer")), None),
            "comments": [{"body": c["body"], "replies": [r["body"] for r in c.get("replies", [])]}
                         for c in saved.get("comments", [])],
        }
        for key in ("title", "body", "category", "answer_body", "comments"):
            if got[key] != t[key]:
                diffs.append(f"{where}: discussion {number} {key}: {got[key]!r} != {t[key]!r}")
    return diffs


def reviews_differences(folder: Path, want: dict, where: str) -> list[str]:
    diffs = []
    for pull, reviews in sorted(want.items()):
        saved = _load(folder / f"{pull}.json")
        got = [{"state": r["state"], "body": r["body"]} for r in (saved or {}).get("reviews", [])]
        if sorted(got, key=json.dumps) != sorted(reviews, key=json.dumps):
            diffs.append(f"{where}: reviews of pull {pull}: {got!r} != {reviews!r}")
    return diffs


def settings_differences(folder: Path, want: dict, where: str) -> list[str]:
    diffs = []
    repo = _load(folder / "repository.json") or {}
    got = {key: repo.get(key) for key in ("description", "homepage", "topics", "visibility", "default_branch",
                                          "has_discussions", *MERGE_FLAGS)}
    got["collaborators"] = {c["login"]: c.get("role_name") for c in _load(folder / "collaborators.json") or []}
    got["teams"] = {t["slug"]: t.get("role_name") or ROLE_NAMES.get(t.get("permission"), t.get("permission"))
                    for t in _load(folder / "teams.json") or []}
    got["protected_branches"] = sorted(_load(folder / "branch-protection.json") or {})
    got["rulesets"] = [r["name"] for r in _load(folder / "rulesets.json") or []]
    got["deploy_keys"] = {k["title"]: {"key": k["key"], "read_only": k["read_only"]}
                          for k in _load(folder / "deploy-keys.json") or []}
    environments = (_load(folder / "environments.json") or {}).get("environments", [])
    got["environments"] = {e["name"]: {"protection_rules": [p["type"] for p in e.get("protection_rules", [])],
                                       "variables": {v["name"]: v["value"] for v in e.get("variables", [])}}
                           for e in environments}
    got["variables"] = {v["name"]: v["value"]
                        for v in (_load(folder / "actions-variables.json") or {}).get("variables", [])}
    got["secrets"] = [s["name"] for s in (_load(folder / "actions-secrets.json") or {}).get("secrets", [])]
    got["autolinks"] = [a["key_prefix"] for a in _load(folder / "autolinks.json") or []]
    pages = _load(folder / "pages.json")
    got["pages"] = (pages.get("source") or {}).get("branch") if pages else None
    for key, value in sorted(want.items()):
        mine = got.get(key)
        if isinstance(value, list) and isinstance(mine, list):
            mine, value = sorted(mine), sorted(value)
        if mine != value:
            diffs.append(f"{where}: settings {key}: {mine!r} != {value!r}")
    return diffs


def organization_differences(folder: Path, want: dict, where: str) -> list[str]:
    got = {
        "members": {m["login"]: m["role"] for m in _load(folder / "members.json") or []},
        "outside_collaborators": sorted(c["login"] for c in _load(folder / "outside-collaborators.json") or []),
        "teams": {t["slug"]: {"parent": (t.get("parent") or {}).get("slug"),
                              "members": {m["login"]: m["role"] for m in t.get("members", [])},
                              "repos": {r["name"]: r["permission"] for r in t.get("repositories", [])}}
                  for t in _load(folder / "teams.json") or []},
        "hooks": len(_load(folder / "hooks.json") or []),
        "rulesets": sorted(r["name"] for r in _load(folder / "rulesets.json") or []),
        "variables": {v["name"]: v["value"]
                      for v in (_load(folder / "actions-variables.json") or {}).get("variables", [])},
        "variable_repositories": {v["name"]: v.get("selected_repositories")
                                  for v in (_load(folder / "actions-variables.json") or {}).get("variables", [])
                                  if v.get("visibility") == "selected"},
        "secrets": sorted(s["name"] for s in (_load(folder / "actions-secrets.json") or {}).get("secrets", [])),
    }
    diffs = []
    for key, value in sorted(want.items()):
        value = sorted(value) if isinstance(value, list) else value
        if got[key] != value:
            diffs.append(f"{where}: organization {key}: {got[key]!r} != {value!r}")
    return diffs


def project_item_view(item: dict) -> dict:
    content = item.get("content") or {}
    values = {v["field"]: next((v[k] for k in ("text", "number", "date", "name", "title") if k in v), None)
              for v in item.get("fieldValues", [])}
    return {"type": item.get("type"), "title": content.get("title"),
            "body": content.get("body") if item.get("type") == "DRAFT_ISSUE" else None, "values": values}


def projects_differences(folder: Path, want: dict, where: str) -> list[str]:
    diffs = []
    for number, t in sorted(want.items()):
        saved = _load(folder / f"{number}.json")
        if saved is None:
            diffs.append(f"{where}: project {number} missing")
            continue
        if saved.get("title") != t["title"]:
            diffs.append(f"{where}: project {number} title {saved.get('title')!r} != {t['title']!r}")
        fields = {f["name"]: [o["name"] for o in f.get("options") or []] for f in saved.get("fields", [])}
        if fields != t["fields"]:
            diffs.append(f"{where}: project {number} fields {fields!r} != {t['fields']!r}")
        items = [project_item_view(i) for i in saved.get("items", [])]
        for wanted in t["items"]:
            if wanted not in items:
                diffs.append(f"{where}: project {number} item missing or different: {wanted!r}")
        if len(items) != len(t["items"]):
            diffs.append(f"{where}: project {number} has {len(items)} items, GitHub {len(t['items'])}")
    return diffs


def attachments_differences(folder: Path, want: dict, where: str) -> list[str]:
    """Every attachment (by the id in its URL) saved with the right bytes."""
    index = _load(folder / "index.json") or {}
    by_id = {}
    for url, entry in index.items():
        by_id[url.rstrip("/").split("/")[-1]] = entry
        by_id[url.rstrip("/").split("/")[-2]] = entry  # /files/<id>/<name>
    diffs = []
    for key, sha in sorted(want.items()):
        entry = by_id.get(key)
        if entry is None:
            diffs.append(f"{where}: attachment {key} not in the index")
            continue
        stored = folder / "files" / entry["sha256"][:2] / entry["sha256"]
        if not stored.is_file() or hashlib.sha256(stored.read_bytes()).hexdigest() != sha:
            diffs.append(f"{where}: attachment {key} bytes differ from GitHub's ({sha[:12]})")
    return diffs


def metadata_differences(org_dir: Path, org_truth: dict, web: str,
                         parts=("discussions", "reviews", "commit-comments", "settings", "organization",
                                "projects", "attachments")) -> list[str]:
    org_dir = Path(org_dir)
    org = org_dir.name
    t = _web(org_truth, web)
    diffs: list[str] = []
    for name, repo in sorted(t["repos"].items()):
        where = f"{org}/{name}"
        if "discussions" in parts:
            diffs += discussions_differences(org_dir / "discussions" / name, repo["discussions"], where)
        if "reviews" in parts:
            diffs += reviews_differences(org_dir / "reviews" / name, repo["reviews"], where)
        if "commit-comments" in parts:
            saved = _load(org_dir / "commit-comments" / name / "comments.json") or []
            if sorted(c["body"] for c in saved) != sorted(repo["commit_comments"]):
                diffs.append(f"{where}: commit comments {[c['body'] for c in saved]!r} != {repo['commit_comments']!r}")
        if "settings" in parts:
            diffs += settings_differences(org_dir / "settings" / name, repo["settings"], where)
    if "organization" in parts:
        diffs += organization_differences(org_dir / "organization", t["organization"], org)
    if "projects" in parts:
        diffs += projects_differences(org_dir / "projects", t["projects"], org)
    if "attachments" in parts:
        diffs += attachments_differences(org_dir / "attachments", t["attachments"], org)
    return diffs
