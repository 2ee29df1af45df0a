"""Release assets after github-backup: 0.40.0 skips any asset whose file exists, so a truncated
one would stay.  `repair_release_assets` compares every asset the saved release JSON lists with
its `size` and fetches a missing or wrong one again through the wrapper's own client
(`download_asset`: the token only to GitHub's API); leftovers of an interrupted run go."""

from __future__ import annotations

import logging
from pathlib import Path

import requests

from orgbackup.backup.context import RunContext
from orgbackup.cache import release_files
from orgbackup.errors import BackupError
from orgbackup.github.urls import token_may_go_to
from orgbackup.results import Problem
from orgbackup.tools.github_backup import runner

log = logging.getLogger(__name__)
ASSETS_PART = "releases"  # a missing asset is a problem of the releases part


def asset_is_complete(path: Path, size: int | None) -> bool:
    try:
        return path.is_file() and (size is None or path.stat().st_size == int(size))
    except OSError:
        return False


def download_asset(ctx: RunContext, url: str, path: Path) -> None:
    """One asset through the wrapper's own client: the token only in its Authorization header,
    only when `url` (the release JSON's) is GitHub's API, and requests drops it when the download
    is redirected to another host."""
    writer = runner.AtomicWriter(path, "wb", None)
    authorization = ctx.api.authorization() if token_may_go_to(url, ctx.config.api_url) else {}
    try:
        with ctx.api.session.get(url, headers={"Accept": "application/octet-stream", **authorization},
                                 stream=True,
                                 timeout=ctx.config.stall_seconds,  # per read: a stall, not a size
                                 verify=ctx.api.verify) as response:
            if response.status_code != 200:
                raise BackupError(f"GitHub answered HTTP {response.status_code}")
            for chunk in response.iter_content(runner.CHUNK):
                writer.write(chunk)
    except BaseException:
        writer.discard()
        raise
    writer.close()


def repair_release_assets(ctx: RunContext, org: str, name: str) -> list[Problem]:
    """Leftover temporary files removed; every asset the saved release JSON lists has its size
    on disk, else it is fetched again (no API request for assets that are fine)."""
    repository_dir = ctx.org_paths(org).repository_dir(name)
    for path in runner.remove_partial_files(repository_dir):
        log.info("%s/%s: removed %s, left half-written by an interrupted run", org, name, path.name)
    problems: list[Problem] = []
    for path, asset in release_files.expected_assets(repository_dir / "releases"):
        size = asset.get("size")
        if asset_is_complete(path, size):
            continue
        where = f"{path.parent.name}/{path.name}"
        log.warning("%s/%s: release asset %s is %s; fetching it again", org, name, where,
                    "missing" if not path.exists() else "of the wrong size")
        path.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            download_asset(ctx, asset["url"], path)
        except (OSError, BackupError, requests.RequestException) as exc:
            problems.append(Problem(org, name, ASSETS_PART, f"release asset {where} could not be fetched: {exc}"))
            continue
        if not asset_is_complete(path, size):
            got = path.stat().st_size if path.exists() else 0
            problems.append(Problem(org, name, ASSETS_PART,
                                    f"release asset {where} has {got} bytes, GitHub says {size}"))
            path.unlink(missing_ok=True)
    return problems
