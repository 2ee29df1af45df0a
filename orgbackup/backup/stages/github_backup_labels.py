"""github-backup's labels of many repositories from one GraphQL query.

github-backup 0.40.0 asks `repos/ORG/NAME/labels` for every repository it runs for: one
request each, and every repository has labels (GitHub gives each new one its defaults).
GraphQL lists the labels of 50 repositories per query; before the runs, `labels_of` asks
them for the repositories whose labels github-backup will save, `write_for_run` puts each
repository's list into its run folder, and the runner answers github-backup's request
from that file (orgbackup/tools/github_backup/listings.py, LISTED_LABELS_ENV).

Each label in REST's shape (name, color, description, default, url, node_id); GraphQL has
no numeric `id` for a label, so labels.json of such a run has none (GitHub's API addresses
labels by name).  A repository with more than 100 labels, or one GraphQL did not answer,
has no file: github-backup asks REST as before.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

from orgbackup.backup.context import RunContext
from orgbackup.cache import json_files
from orgbackup.github.api import GitHubError, whole_page

log = logging.getLogger(__name__)

LABELS_FIELDS = ("labels(first: 100) { totalCount pageInfo { hasNextPage } "
                 "nodes { id name color description isDefault } }")
BATCH = 50  # 5,000 nodes a query
MINIMUM_REPOSITORIES = 2  # one repository: its REST request is no dearer
LISTED_LABELS_FILE = "listed-labels.json"


def rest_labels(answer: object, api_url: str, full_name: str) -> list[dict] | None:
    """REST's label listing from a repository's `labels` answer (pure), None when not whole."""
    labels = whole_page(answer)
    if labels is None:
        return None
    return [{"node_id": label["id"], "url": f"{api_url.rstrip('/')}/repos/{full_name}/labels/{quote(label['name'])}",
             "name": label["name"], "color": label["color"], "default": bool(label.get("isDefault")),
             "description": label.get("description")} for label in labels]


def labels_of(ctx: RunContext, org: str, repos: list[dict]) -> dict[str, list[dict]]:
    """Name -> REST's labels, for the repositories GraphQL answered whole ({} when too few or failed)."""
    if len(repos) < MINIMUM_REPOSITORIES:
        return {}
    names = [repo["name"] for repo in repos]
    try:
        found = ctx.api.repositories(org, names, LABELS_FIELDS, BATCH, threads=ctx.config.concurrency)
    except GitHubError as exc:
        log.info("%s: labels over GraphQL failed (%s): github-backup asks each repository", org, exc)
        return {}
    full_names = {repo["name"]: repo.get("full_name") or f"{org}/{repo['name']}" for repo in repos}
    labels = {name: rest_labels(node.get("labels"), ctx.config.api_url, full_names[name])
              for name, node in found.items()}
    return {name: listed for name, listed in labels.items() if listed is not None}


def write_for_run(run_dir: Path, labels: list[dict] | None) -> Path:
    """The repository's labels where the runner finds them (none: an older file removed)."""
    path = Path(run_dir) / LISTED_LABELS_FILE
    if labels is None:
        path.unlink(missing_ok=True)
    else:
        json_files.write_json_atomically(path, labels)
    return path
