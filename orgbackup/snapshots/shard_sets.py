"""One tree out of a set of shards' snapshots (restore and verify of a sharded backup).

Each shard's snapshot holds `/<ORG>/` with its own repositories' folders (disjoint:
a repository belongs to one shard), its own `manifest.json`, its own
`attachments/` and the dependency mirrors its repositories need.  Restored side by
side and merged here, they give the tree a single-process backup gives:

- folders are merged; a file present in several shards with the same bytes is kept once;
- `manifest.json`: one manifest merged from the shards' (every repository, every
  problem, `complete` only if every shard's was), with `shards` listing each
  shard's snapshot and repositories;
- `attachments/index.json`: the union of the shards' indexes (the files are stored by
  content, so the same attachment is the same file);
- a dependency mirror two shards both hold: the lowest shard's, with the refs under
  `refs/orgbackup/kept/` that only the other holds fetched into it;
- any other file that differs between shards: the lowest shard's, with a warning.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from orgbackup.tools import process
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.git.on_disk import is_git_dir

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
ATTACHMENTS_INDEX = Path("attachments", "index.json")


def merge_shard_trees(org_dirs: list[tuple[str, dict | None, Path]], dest: Path) -> None:
    """`org_dirs`: (shard as 'i/N', the snapshot's description, its restored /<ORG>/
    folder), lowest shard first.  Everything moves into `dest` (a new folder)."""
    manifests = []
    for shard, about, org_dir in org_dirs:
        path = org_dir / MANIFEST
        try:
            manifests.append((shard, about, json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            manifests.append((shard, about, None))
        if path.exists():
            path.unlink()
    dest.mkdir(parents=True, exist_ok=True)
    indexes = []
    for _, _, org_dir in org_dirs:
        index = org_dir / ATTACHMENTS_INDEX
        if index.is_file():
            try:
                indexes.append(json.loads(index.read_text(encoding="utf-8")))
            except ValueError:
                pass
            index.unlink()
        merge_tree(org_dir, dest, Path())
    if indexes:
        write_json_atomically(dest / ATTACHMENTS_INDEX, merge_attachment_indexes(indexes), indent=2)
    if any(m for _, _, m in manifests):
        write_json_atomically(dest / MANIFEST, merge_manifests(manifests), indent=2)


def merge_tree(source: Path, dest: Path, where: Path) -> None:
    for entry in sorted(source.iterdir()):
        target = dest / entry.name
        if not (target.exists() or target.is_symlink()):
            os.rename(entry, target)
        elif entry.is_dir() and not entry.is_symlink() and target.is_dir():
            if is_git_dir(entry) and is_git_dir(target):
                merge_mirror(entry, target, where / entry.name)
            else:
                merge_tree(entry, target, where / entry.name)
        elif entry.is_file() and target.is_file() and same_bytes(entry, target):
            continue
        else:
            log.warning("%s is in two shards' snapshots with different contents; the lower shard's is kept",
                        where / entry.name)


def same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def git_refs(repo: Path) -> dict[str, str]:
    result = process.run(("git", "-C", str(repo), "for-each-ref", "--format=%(refname) %(objectname)"),
                          check=False, timeout=600)
    return dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)


def merge_mirror(source: Path, dest: Path, where: Path) -> None:
    """The same dependency mirror from two shards: keep `dest`, add the kept refs only
    `source` has (a commit upstream lost that only that shard's repositories name)."""
    mine, theirs = git_refs(dest), git_refs(source)
    if mine == theirs:
        return
    extra = [ref for ref in theirs if ref.startswith("refs/orgbackup/kept/") and ref not in mine]
    if extra:
        process.run(("git", "-C", str(dest), "fetch", "--no-tags", "--quiet", str(source),
                      *(f"{ref}:{ref}" for ref in extra)), check=False, timeout=3600)
    log.info("%s: held by several shards; the lowest shard's mirror is kept%s", where,
             f" with {len(extra)} kept ref(s) of another" if extra else "")


def merge_attachment_indexes(indexes: list[dict]) -> dict:
    merged: dict = {}
    for index in indexes:
        for url, entry in (index or {}).items():
            if url not in merged:
                merged[url] = dict(entry) if isinstance(entry, dict) else entry
                continue
            have = merged[url]
            if isinstance(have, dict) and isinstance(entry, dict):
                found = have.get("found_in")
                if isinstance(found, list) and isinstance(entry.get("found_in"), list):
                    have["found_in"] = sorted(set(found) | set(entry["found_in"]), key=str)
                if entry.get("first_seen") and (not have.get("first_seen") or entry["first_seen"] < have["first_seen"]):
                    have["first_seen"] = entry["first_seen"]
    return {url: merged[url] for url in sorted(merged)}


def _sum_counts(into: dict, more: dict) -> None:
    for key, value in (more or {}).items():
        if isinstance(value, int) and not isinstance(value, bool):
            into[key] = into.get(key, 0) + value


def merge_metadata(parts: list[dict]) -> dict:
    merged: dict = {}
    for metadata in parts:
        for name, part in (metadata or {}).items():
            have = merged.setdefault(name, {})
            for key, value in part.items():
                if key == "saved":
                    _sum_counts(have.setdefault("saved", {}), value)
                elif key == "skipped":
                    skipped = have.setdefault("skipped", {})
                    for reason, repos in (value or {}).items():
                        skipped[reason] = sorted(set(skipped.get(reason, [])) | set(repos))
                elif key == "oldest":  # the least recently read of every shard's
                    if value and (not have.get("oldest") or value["read"] < have["oldest"]["read"]):
                        have["oldest"] = value
                elif isinstance(value, int) and not isinstance(value, bool):
                    have[key] = have.get(key, 0) + value
                else:
                    have.setdefault(key, value)
    return merged


def merge_dependencies(parts: list[dict]) -> dict:
    parts = [d for d in parts if d]
    if not parts:
        return {}
    merged = dict(parts[0])
    items: dict = {}
    for deps in parts:
        for item in deps.get("items") or []:
            key = item.get("url") or item.get("repository")
            if key in items:
                have = items[key]
                for field in ("referenced_by", "referenced_commits", "missing_commits", "lost_upstream"):
                    if isinstance(have.get(field), list) and isinstance(item.get(field), list):
                        have[field] = sorted(set(have[field]) | set(item[field]))
            else:
                items[key] = dict(item)
    for field in ("excluded", "in_organization", "unresolved_urls"):
        lists = [d.get(field) for d in parts]
        if all(isinstance(x, list) for x in lists):
            merged[field] = sorted({json.dumps(x, sort_keys=True) for lst in lists for x in lst})
            merged[field] = [json.loads(x) for x in merged[field]]
    merged["items"] = [items[k] for k in sorted(items, key=str)]
    merged["repositories"] = len(items)
    for field in ("commits_referenced", "commits_present"):
        if all(isinstance(d.get(field), int) for d in parts):
            merged[field] = sum(d[field] for d in parts)
    merged["enabled"] = any(d.get("enabled") for d in parts)
    return merged


def merge_manifests(manifests: list[tuple[str, dict | None, dict | None]]) -> dict:
    """One manifest.json of the organization from its shards' (lowest shard first)."""
    present = [m for _, _, m in manifests if m]
    first = present[0]
    repositories: dict = {}
    deleted: dict = {}
    renamed: dict = {}
    for m in present:
        repositories.update(m.get("repositories") or {})
        deleted.update(m.get("deleted_on_github") or {})
        renamed.update(m.get("renamed_on_github") or {})
    hooks = next((m.get("hooks") for m in present if (m.get("hooks") or {}).get("backed_up")), first.get("hooks"))
    merged = {
        "format": first.get("format", 1),
        "org": first.get("org"),
        "started": min(m.get("started") or "" for m in present) or None,
        "finished": max(m.get("finished") or "" for m in present) or None,
        "complete": len(present) == len(manifests) and all(m.get("complete") for m in present),
        "tool_versions": first.get("tool_versions") or {},
        "hooks": hooks,
        "repositories": {name: repositories[name] for name in sorted(repositories)},
        "dependencies": merge_dependencies([m.get("dependencies") for m in present]),
        "metadata": merge_metadata([m.get("metadata") for m in present]),
        "problems": [p for m in present for p in m.get("problems") or []],
        "known_upstream_problems": [p for m in present for p in m.get("known_upstream_problems") or []],
        "deleted_on_github": {k: deleted[k] for k in sorted(deleted)},
        "renamed_on_github": {k: renamed[k] for k in sorted(renamed)},
        "shards": [
            {"shard": shard, **(about or {}),
             "complete": bool(m and m.get("complete")),
             "repositories": sorted((m or {}).get("repositories") or {}),
             "started": (m or {}).get("started"), "finished": (m or {}).get("finished")}
            for shard, about, m in manifests
        ],
    }
    return merged

