"""A repository's settings parts compared between a source backup and the backup of its restore
(restore-to-github's round trip; tests/support/backup_compare.py compares the rest).

What the restore puts back, item by item: topics, Actions variables (name and value), autolinks
(prefix, template, alphanumeric), deploy keys (the same public keys, title, read-only), webhooks (by
URL: events, content type, insecure_ssl equal; in the copy inactive and without a secret, which GitHub
never gives back). Actions secrets: none in the copy (their values are nowhere to be had), each named
in the restore's report. Deploy keys the report says GitHub refused as in use are compared as absent.
"""

from __future__ import annotations

import json
from pathlib import Path


def _read(path: Path, default=None):
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else default


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
    if dst["secrets"]:
        diffs.append(f"{name}: the copy has Actions secrets {dst['secrets']} (nothing could have written them)")
    for secret in src["secrets"] or []:
        if not any(secret in line and "Actions secrets" in line for line in reported):
            diffs.append(f"{name}: Actions secret {secret} not named in the report")
    return diffs
