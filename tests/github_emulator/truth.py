"""truth.json: what a complete backup of the world must hold, rebuilt from world.json and the
git repositories."""
from __future__ import annotations

import fnmatch
import json
from pathlib import Path

from .builder import git, org_defaults, repo_defaults
from .gists import gists_truth
from .store import STALE, load_world, truth_is_stale, world_lock, write_atomic


def _refs(git_dir: Path) -> dict:
    out = git(git_dir, "for-each-ref", "--format=%(objectname) %(refname)")
    return {ref: sha for sha, ref in (line.split(" ", 1) for line in out.splitlines())}


# GitHub's permission names (world records, team `permission`) and role names (`role_name`)
ROLE_NAMES = {"pull": "read", "triage": "triage", "push": "write", "maintain": "maintain", "admin": "admin"}
MERGE_FLAGS = ("allow_merge_commit", "allow_squash_merge", "allow_rebase_merge", "allow_auto_merge",
               "delete_branch_on_merge", "web_commit_signoff_required")


def ruleset_applies(ruleset: dict, repo_name: str) -> bool:
    """Does an organization ruleset's repository_name condition take in this repository?"""
    names = ruleset["conditions"].get("repository_name") or {"include": ["~ALL"], "exclude": []}
    included = any(p == "~ALL" or fnmatch.fnmatch(repo_name, p) for p in names["include"])
    return included and not any(fnmatch.fnmatch(repo_name, p) for p in names["exclude"])


def ruleset_takes_branch(ruleset: dict, branch: str, default_branch: str) -> bool:
    """Does a branch ruleset's ref_name condition take in this branch (~ALL, ~DEFAULT_BRANCH,
    refs/heads/ patterns as GitHub matches them)?"""
    names = (ruleset.get("conditions") or {}).get("ref_name") or {"include": [], "exclude": []}

    def matches(pattern: str) -> bool:
        if pattern == "~ALL":
            return True
        if pattern == "~DEFAULT_BRANCH":
            return branch == default_branch
        return fnmatch.fnmatchcase(f"refs/heads/{branch}", pattern)
    return any(matches(p) for p in names.get("include") or []) and not any(
        matches(p) for p in names.get("exclude") or [])


def _metadata_truth(org: dict, rec: dict) -> dict:
    """The repository's discussions, reviews, commit comments and settings, as truth.json holds them."""
    discussions = {}
    for d in rec["discussions"]:
        answer = next((c["body"] for c in d["comments"] if c["id"] == d["answer"]), None)
        discussions[str(d["number"])] = {
            "title": d["title"], "body": d["body"], "category": d["category"], "answer_body": answer,
            "comments": [{"body": c["body"], "replies": [r["body"] for r in c["replies"]]} for c in d["comments"]]}
    reviews: dict = {}
    for r in rec["reviews"]:
        reviews.setdefault(str(r["pull"]), []).append({"state": r["state"], "body": r["body"]})
    settings = rec["settings"]
    return {
        "discussions": discussions, "reviews": reviews,
        "commit_comments": [c["body"] for c in rec["commit_comments"]],
        "settings": {
            "description": rec["description"], "homepage": settings["homepage"], "topics": rec["topics"],
            "visibility": "private" if rec["private"] else "public", "default_branch": rec["default_branch"],
            "has_discussions": settings["has_discussions"], **{k: settings[k] for k in MERGE_FLAGS},
            "collaborators": {c["login"]: ROLE_NAMES[c["permission"]] for c in rec["collaborators"]},
            "teams": {t["slug"]: ROLE_NAMES[t["repos"][rec["name"]]] for t in org["teams"]
                      if rec["name"] in t["repos"]},
            "protected_branches": sorted(rec["protected_branches"]),
            # as GET /repos/{o}/{r}/rulesets lists them: its own, then the org's that apply
            "rulesets": [r["name"] for r in rec["repo_rulesets"]] +
                        [r["name"] for r in org["rulesets"] if ruleset_applies(r, rec["name"])],
            "deploy_keys": {k["title"]: {"key": k["key"], "read_only": k["read_only"]} for k in rec["deploy_keys"]},
            "environments": {e["name"]: {"protection_rules": [p["type"] for p in e["protection_rules"]],
                                         "variables": {v["name"]: v["value"] for v in e["variables"]}}
                             for e in rec["environments"]},
            "variables": {v["name"]: v["value"] for v in rec["variables"]},
            "secrets": [s["name"] for s in rec["secrets"]],
            "autolinks": [a["key_prefix"] for a in rec["autolinks"]],
            "pages": rec["pages"]["source"]["branch"] if rec["pages"] else None,
        }}


def _organization_truth(org: dict) -> dict:
    return {
        "members": {m["login"]: m["role"] for m in org["members"]},
        "outside_collaborators": list(org["outside_collaborators"]),
        "teams": {t["slug"]: {"parent": t["parent"], "members": {m["login"]: m["role"] for m in t["members"]},
                              "repos": {name: ROLE_NAMES[p] for name, p in t["repos"].items()}}
                  for t in org["teams"]},
        "hooks": len(org["org_hooks"]), "rulesets": [r["name"] for r in org["rulesets"]],
        "variables": {v["name"]: v["value"] for v in org["variables"]},
        "variable_repositories": {v["name"]: sorted(r["name"] for r in org["repos"].values()
                                                    if r["id"] in v["selected_repository_ids"])
                                  for v in org["variables"] if v.get("visibility") == "selected"},
        "secrets": [s["name"] for s in org["secrets"]]}


def project_value(field: dict, value):
    """A field value as the backup shows it: option and iteration ids become their names."""
    if field["dataType"] == "SINGLE_SELECT":
        return next(o["name"] for o in field["options"] if o["id"] == value)
    if field["dataType"] == "ITERATION":
        return next(i["title"] for i in field["configuration"]["iterations"] if i["id"] == value)
    return value


def item_title(org: dict, item: dict) -> str | None:
    content = item["content"]
    if item["type"] == "DRAFT_ISSUE":
        return content["title"]
    issues = org["repos"].get(content["repo"], {}).get("issues", [])
    return next((i["title"] for i in issues if i["number"] == content["number"]), None)


def _projects_truth(org: dict) -> dict:
    out = {}
    for p in org["projects"]:
        fields = {str(f["id"]): f for f in p["fields"]}  # world.json keys item values by the id as text
        items = []
        for item in p["items"]:
            title = item_title(org, item)
            values = {fields[str(fid)]["name"]: project_value(fields[str(fid)], v) for fid, v in item["values"].items()}
            items.append({"type": item["type"], "title": title,
                          "body": item["content"]["body"] if item["type"] == "DRAFT_ISSUE" else None,
                          "values": {"Title": title, **values}})
        out[str(p["number"])] = {"title": p["title"],
                                 "fields": {f["name"]: [o["name"] for o in f.get("options", [])] for f in p["fields"]},
                                 "items": items}
    return out


def truth(root: Path) -> dict:
    """What a complete backup of the world must hold; also written to root/truth.json (always rebuilt,
    so it is fresh after lazy writes too; under the writers' lock so a write cannot slip in between)."""
    root = Path(root)
    with world_lock(root):
        (root / STALE).unlink(missing_ok=True)
        world = load_world(root)
        return _truth(root, world)


def _truth(root: Path, world: dict) -> dict:
    result = {"orgs": {}}
    for login, org in world["orgs"].items():
        org_defaults(org)
        org_truth = result["orgs"].setdefault(login, {"repos": {}})
        repos = org_truth["repos"]
        org_truth["type"] = org.get("type", "Organization")
        org_truth["gists"] = gists_truth(root, org)
        org_truth["organization"] = _organization_truth(org)
        org_truth["projects"] = _projects_truth(org)
        org_truth["attachments"] = {key: a["sha256"] for key, a in sorted(world.get("attachments", {}).items())
                                    if a["repo"].split("/")[0] == login}
        for name, rec in org["repos"].items():
            repo_defaults(rec)
            git_dir = root / "git" / login / f"{name}.git"
            wiki_dir = root / "git" / login / f"{name}.wiki.git"
            lfs_dir = root / "lfs" / login / name
            issues, pulls = {}, {}
            comments = _count(rec["comments"], "issue")
            events = _count(rec["events"], "issue")
            reviews = _count(rec["review_comments"], "pull")
            for issue in rec["issues"]:
                n = issue["number"]
                if issue["pull"]:
                    pulls[str(n)] = {"comments": comments.get(n, 0), "review_comments": reviews.get(n, 0),
                                     "commits": len(issue["pull"]["commits"])}
                else:
                    issues[str(n)] = {"comments": comments.get(n, 0), "events": events.get(n, 0)}
            refs = _refs(git_dir)
            repos[name] = {
                "private": rec["private"], "fork": rec["fork"], "archived": rec["archived"],
                "empty": not refs, "default_branch": rec["default_branch"], "refs": refs,
                "wiki": {"refs": _refs(wiki_dir)} if wiki_dir.exists() else None,
                "lfs_oids": sorted(p.name for p in lfs_dir.iterdir()) if lfs_dir.exists() else [],
                "issues": issues, "pulls": pulls,
                "milestones": len(rec["milestones"]), "labels": len(rec["labels"]),
                "hooks": len(rec["hooks"]),
                "releases": {r["tag_name"]: {"assets": {a["name"]: a["sha256"] for a in r["assets"]}}
                             for r in rec["releases"]},
                "submodules": rec["submodules"],
                **_metadata_truth(org, rec),
            }
    write_atomic(root / "truth.json", json.dumps(result, indent=1, sort_keys=True))
    return result


def _count(items: list, key: str) -> dict:
    counts: dict = {}
    for item in items:
        counts[item[key]] = counts.get(item[key], 0) + 1
    return counts


def refresh_truth(root: Path) -> bool:
    """Rebuild truth.json if a lazy write left it stale; True when it did."""
    with world_lock(root):
        if not truth_is_stale(root):
            return False
        truth(root)
        return True
