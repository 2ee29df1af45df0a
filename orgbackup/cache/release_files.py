"""Where a repository's releases are on disk, by the path rule (orgbackup/cache/safe_names.py).

    releases/<FOLDER>.json            GitHub's release object (FOLDER = safe_names.release_folder(tag_name))
    releases/<FOLDER>/<STORED NAME>   each asset (STORED NAME = safe_names.stored_name(asset name))

github-backup's runner writes them so (github_backup_names.py); the asset check after it, verify's
checks, restore-to-github read them back through `saved_releases` and `asset_files`.  An asset
whose name GitHub gave could not be a file name as it is has the stored name as `name` and
GitHub's as ORIGINAL_NAME_KEY beside it.  Standard library only: github-backup's runner imports it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from orgbackup.cache.safe_names import ORIGINAL_NAME_KEY, UnsafeName, join_inside, release_folder, stored_name


def original_name(asset: dict) -> str:
    """The asset's name on GitHub (what an upload names it)."""
    return asset.get(ORIGINAL_NAME_KEY) or asset.get("name") or ""


def store_names(release: dict) -> list[tuple[object, str]]:
    """Give every asset of GitHub's release object its stored name, keeping GitHub's beside it
    where the two differ; returns those (GitHub's name, stored name).  A key of ours in GitHub's
    answer is dropped first: only this function writes it."""
    changed = []
    for asset in release.get("assets") or ():
        if not isinstance(asset, dict):
            continue
        asset.pop(ORIGINAL_NAME_KEY, None)
        name = asset.get("name")
        stored = stored_name(name)
        if stored != name:
            asset[ORIGINAL_NAME_KEY], asset["name"] = name, stored
            changed.append((name, stored))
    return changed


def saved_releases(releases_dir: Path) -> Iterator[tuple[Path, dict]]:
    """(JSON file, release) of every release JSON that reads; the others are not releases."""
    for path in sorted(Path(releases_dir).glob("*.json")):
        try:
            release = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(release, dict):
            yield path, release


def assets_folder(release_json: Path, release: dict) -> Path:
    tag = release.get("tag_name")
    return release_json.parent / (release_folder(tag) if tag is not None else release_json.stem)


def asset_files(release_json: Path, release: dict) -> list[tuple[Path, dict]]:
    """(file, asset) of each asset the release lists, the file by the rule (never outside its folder)."""
    folder = assets_folder(release_json, release)
    found = []
    for asset in release.get("assets") or ():
        if isinstance(asset, dict) and asset.get("name") is not None:
            try:
                found.append((join_inside(folder, stored_name(asset["name"])), asset))
            except UnsafeName:
                continue  # only a link in the tree itself leads out; the checks name what is missing
    return found


def expected_assets(releases_dir: Path) -> Iterator[tuple[Path, dict]]:
    """(file, asset) for every asset with a download URL of every saved release."""
    for release_json, release in saved_releases(releases_dir):
        for path, asset in asset_files(release_json, release):
            if asset.get("url"):
                yield path, asset
