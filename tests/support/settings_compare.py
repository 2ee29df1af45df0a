"""A repository's settings parts compared between a source backup and the backup of its restore
(restore-to-github's round trip; tests/support/backup_compare.py compares the rest).

What the restore puts back, item by item: topics, Actions variables (name and value), autolinks
(prefix, template, alphanumeric), deploy keys (the same public keys, title, read-only), webhooks (by
URL: events, content type, insecure_ssl equal; in the copy inactive and without a secret, which GitHub
never gives back). Actions secrets: none in the copy (their values are nowhere to be had), each named
in the restore's report. Deploy keys the report says GitHub refused as in use are compared as absent.
Environments (by name: wait timer, prevent_self_review, reviewers by login or team slug, branch policy,
variables with their values) and the repository's own rulesets (by name: target, enforcement,
conditions, rules, bypass actors with a team by its slug in its organization's teams.json); a
reviewer or bypass actor the report says was left out is compared as absent.
"""

from __future__ import annotations

import json
from pathlib import Path


def _read(path: Path, default=None):
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else default


def _environments(held: dict | None) -> dict | None:
    if held is None:
        return None
    out = {}
    for env in held["environments"]:
        rules = {rule["type"]: rule for rule in env.get("protection_rules") or []}
        review = rules.get("required_reviewers") or {}
        out[env["name"]] = {
            "wait_timer": (rules.get("wait_timer") or {}).get("wait_timer", 0),
            "prevent_self_review": bool(review.get("prevent_self_review")),
            "reviewers": sorted((r["type"], r["reviewer"].get("login") or r["reviewer"].get("slug"))
                                for r in review.get("reviewers") or []),
            "deployment_branch_policy": env.get("deployment_branch_policy"),
            "variables": None if env.get("variables") is None else {v["name"]: v["value"] for v in env["variables"]}}
    return out


def _rulesets(held: list | None, org_dir: Path) -> dict | None:
    if held is None:
        return None
    teams = {t["id"]: t["slug"] for t in _read(Path(org_dir) / "organization" / "teams.json", [])}
    out = {}
    for ruleset in held:
        if ruleset.get("source_type") != "Repository":
            continue
        actors = sorted((a["actor_type"], a.get("bypass_mode"),
                         teams.get(a["actor_id"], f"unknown team {a['actor_id']}") if a["actor_type"] == "Team"
                         else a.get("actor_id")) for a in ruleset.get("bypass_actors") or [])
        out[ruleset["name"]] = {"target": ruleset["target"], "enforcement": ruleset["enforcement"],
                                "conditions": ruleset.get("conditions"), "rules": ruleset.get("rules"),
                                "bypass_actors": actors}
    return out


def settings_parts(org_dir: Path, name: str) -> dict:
    """Each part of one repository as comparable values (None: not in the backup)."""
    folder = Path(org_dir) / "settings" / name
    repository = _read(folder / "repository.json")
    variables = _read(folder / "actions-variables.json")
    secrets = _read(folder / "actions-secrets.json")
    keys = _read(folder / "deploy-keys.json")
    links = _read(folder / "autolinks.json")
    hooks = _read(Path(org_dir) / "github-backup" / "repositories" / name / "hooks" / "hooks.json")
    return {
        "topics": None if repository is None else sorted(repository.get("topics") or []),
        "variables": None if variables is None else {v["name"]: v["value"] for v in variables["variables"]},
        "secrets": None if secrets is None else sorted(s["name"] for s in secrets["secrets"]),
        "autolinks": None if links is None else sorted((a["key_prefix"], a["url_template"], a["is_alphanumeric"])
                                                       for a in links),
        "deploy keys": None if keys is None else {" ".join(k["key"].split()[:2]): (k["title"], k["read_only"])
                                                  for k in keys},
        "webhooks": None if hooks is None else {h["config"]["url"]: h for h in hooks},
        "environments": _environments(_read(folder / "environments.json")),
        "rulesets": _rulesets(_read(folder / "rulesets.json"), org_dir),
    }


def counts(parts: dict) -> dict[str, int]:
    return {part: len(value) for part, value in parts.items() if value is not None}


def settings_differences(source: Path, copy: Path, name: str, *, keys_in_use: set[str] = frozenset(),
                         reported: list[str] = ()) -> list[str]:
    """Readable differences ([] = restored as GitHub allows). keys_in_use: the public keys the
    restore's report named as refused ("key is already in use"); reported: its for_a_person lines."""
    src, dst = settings_parts(source, name), settings_parts(copy, name)
    diffs = []
    for part in ("topics", "variables", "autolinks"):
        if src[part] != dst[part]:
            diffs.append(f"{name}: {part} {src[part]!r} != {dst[part]!r}")
    want = {key: value for key, value in (src["deploy keys"] or {}).items() if key not in keys_in_use}
    if want != (dst["deploy keys"] or {}):
        diffs.append(f"{name}: deploy keys {want!r} != {dst['deploy keys']!r}")
    for url, hook in (src["webhooks"] or {}).items():
        made = (dst["webhooks"] or {}).get(url)
        if made is None:
            diffs.append(f"{name}: webhook {url} missing in the copy")
            continue
        for field in ("events", "name"):
            if made[field] != hook[field]:
                diffs.append(f"{name}: webhook {url} {field} {hook[field]!r} != {made[field]!r}")
        for field in ("content_type", "insecure_ssl"):
            if made["config"].get(field) != hook["config"].get(field):
                diffs.append(f"{name}: webhook {url} {field} {hook['config'].get(field)!r} != "
                             f"{made['config'].get(field)!r}")
        if made["active"] is not False or "secret" in made["config"]:
            diffs.append(f"{name}: webhook {url} in the copy is active or has a secret: {made!r}")
        if not any(url in line and "created inactive" in line for line in reported):
            diffs.append(f"{name}: webhook {url} not named in the report")
    extra = set(dst["webhooks"] or {}) - set(src["webhooks"] or {})
    if extra:
        diffs.append(f"{name}: webhooks only in the copy: {sorted(extra)}")
    diffs += _environment_and_ruleset_differences(name, src, dst, reported)
    if dst["secrets"]:
        diffs.append(f"{name}: the copy has Actions secrets {dst['secrets']} (nothing could have written them)")
    for secret in src["secrets"] or []:
        if not any(secret in line and "Actions secrets" in line for line in reported):
            diffs.append(f"{name}: Actions secret {secret} not named in the report")
    return diffs


def _environment_and_ruleset_differences(name: str, src: dict, dst: dict, reported) -> list[str]:
    diffs = []
    for env_name, env in (src["environments"] or {}).items():
        want = dict(env, reviewers=[(kind, who) for kind, who in env["reviewers"]
                                    if not any(f"environment {env_name}: reviewer " in line and
                                               (f"@{who} " if kind == "User" else f"team {who} ") in line
                                               for line in reported)])
        if want["variables"] is None:
            want.pop("variables")
        made = dict((dst["environments"] or {}).get(env_name) or {})
        if "variables" not in want:
            made.pop("variables", None)
        if made != want:
            diffs.append(f"{name}: environment {env_name} {want!r} != {made or None!r}")
    extra = set(dst["environments"] or {}) - set(src["environments"] or {})
    if extra:
        diffs.append(f"{name}: environments only in the copy: {sorted(extra)}")
    for ruleset_name, ruleset in (src["rulesets"] or {}).items():
        left_out = [line for line in reported if f"ruleset {ruleset_name!r}: bypass actors left out" in line]
        kept = [actor for actor in ruleset["bypass_actors"]
                if not (actor[0] == "Team" and any(f"team {actor[2]} " in line for line in left_out))]
        want = dict(ruleset, bypass_actors=kept)
        made = (dst["rulesets"] or {}).get(ruleset_name)
        if made != want:
            diffs.append(f"{name}: ruleset {ruleset_name} {want!r} != {made!r}")
    extra = set(dst["rulesets"] or {}) - set(src["rulesets"] or {})
    if extra:
        diffs.append(f"{name}: rulesets only in the copy: {sorted(extra)}")
    return diffs
