"""What a restored snapshot holds of one repository, read into plain records (no network).

The snapshot layout is the README's ("The snapshot layout"): github-backup's folders under
`github-backup/repositories/<NAME>/`, the wrapper's parts beside them (`reviews/<NAME>/`,
`settings/<NAME>/`, `attachments/index.json`). Only reading happens here; `repository.py`
decides what to create from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from orgbackup.cache.manifest import read_manifest
from orgbackup.cache.release_files import asset_files, saved_releases


@dataclass
class Item:
    """Issue or pull request number N as the backup holds it, or a gap (`kind` "gap")."""

    number: int
    kind: str  # "issue" | "pull" | "gap"
    data: dict = field(default_factory=dict)
    comments: list[dict] = field(default_factory=list)         # conversation comments, oldest first
    review_comments: list[dict] = field(default_factory=list)  # pulls only
    reviews: list[dict] = field(default_factory=list)          # pulls only


@dataclass
class Release:
    data: dict
    assets: list[tuple[dict, Path]]  # (asset JSON, the file in the backup by the path rule)


@dataclass
class SourceRepository:
    name: str
    folder: Path                      # github-backup/repositories/<NAME>
    record: dict                      # manifest.json's entry
    settings: dict                    # settings/<NAME>/repository.json, {} when not captured
    labels: list[dict]
    milestones: list[dict]            # by number
    items: list[Item]                 # numbers 1..max, gaps included
    releases: list[Release]
    protection: dict                  # branch -> protection (settings part), {} when not captured
    collaborators: list[dict]
    discussions: list[dict] = field(default_factory=list)  # discussions/<NAME>/<N>.json, by number

    @property
    def clone(self) -> Path:
        return self.folder / "repository"

    @property
    def wiki(self) -> Path | None:
        wiki = self.folder / "wiki"
        return wiki if (self.record.get("wiki") or {}).get("refs") and wiki.is_dir() else None

    @property
    def settings_folder(self) -> Path:  # settings/<NAME>/: the settings part, beside github-backup/
        return self.folder.parents[2] / "settings" / self.name

    @property
    def refs(self) -> dict[str, str]:
        return dict(self.record.get("refs") or {})


def _json(path: Path, default):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


def _numbered(folder: Path, suffix: str = ".json") -> dict[int, Path]:
    found = {}
    if folder.is_dir():
        for path in folder.iterdir():
            stem = path.name[: -len(suffix)] if path.name.endswith(suffix) else ""
            if stem.isdigit():
                found[int(stem)] = path
    return found


def read_items(folder: Path, reviews_folder: Path) -> list[Item]:
    """Every number from 1 to the highest the backup knows, gaps as kind "gap"."""
    issues = _numbered(folder / "issues")
    pulls = _numbered(folder / "pulls")
    highest = max([*issues, *pulls, 0])
    items = []
    for number in range(1, highest + 1):
        if number in pulls:
            data = _json(pulls[number], {})
            conversation = _json(folder / "pulls" / f"{number}.conversation.json", [])
            reviews = _json(reviews_folder / f"{number}.json", {}).get("reviews") or []
            items.append(Item(number, "pull", data, conversation, data.get("comment_data") or [], reviews))
        elif number in issues:
            data = _json(issues[number], {})
            items.append(Item(number, "issue", data, data.get("comment_data") or []))
        else:
            items.append(Item(number, "gap"))
    return items


def read_releases(folder: Path) -> list[Release]:
    """Each release with its assets' files, found by the path rule (orgbackup/cache/release_files.py)."""
    releases = [Release(data, [(asset, path) for path, asset in asset_files(path, data)])
                for path, data in saved_releases(folder / "releases")]
    # Oldest first, as they were made (GitHub lists the newest first).
    releases.sort(key=lambda r: (r.data.get("created_at") or "", r.data.get("tag_name") or ""))
    return releases


def read_repository(org_dir: Path, name: str, record: dict) -> SourceRepository:
    folder = org_dir / "github-backup" / "repositories" / name
    settings_dir = org_dir / "settings" / name
    milestones = [_json(p, {}) for _, p in sorted(_numbered(folder / "milestones").items())]
    return SourceRepository(
        name=name,
        folder=folder,
        record=record,
        settings=_json(settings_dir / "repository.json", {}),
        labels=_json(folder / "labels" / "labels.json", []),
        milestones=milestones,
        items=read_items(folder, org_dir / "reviews" / name),
        releases=read_releases(folder),
        protection=_json(settings_dir / "branch-protection.json", {}),
        collaborators=_json(settings_dir / "collaborators.json", []),
        discussions=[_json(p, {}) for _, p in sorted(_numbered(org_dir / "discussions" / name).items())],
    )


@dataclass
class SourceOrganization:
    org: str
    directory: Path
    manifest: dict
    attachments: dict[str, dict]  # URL -> {sha256, ...}

    def names(self) -> list[str]:
        return sorted((self.manifest.get("repositories") or {}), key=str.lower)

    def repository(self, name: str) -> SourceRepository:
        return read_repository(self.directory, name, self.manifest["repositories"][name])


def read_organization(org_dir: Path) -> SourceOrganization:
    manifest = read_manifest(org_dir / "manifest.json")
    return SourceOrganization(
        org=manifest.get("org") or org_dir.name,
        directory=org_dir,
        manifest=manifest,
        attachments=_json(org_dir / "attachments" / "index.json", {}),
    )
