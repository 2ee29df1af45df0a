"""github-backup 0.40.0's file names from GitHub's answers, through the path rule (safe_names.py).

0.40.0 joins names out of GitHub's answers onto its folders as they come (line numbers of 0.40.0):

* `backup_releases` (L1019-1049) writes `releases/<tag, / as __>.json` and downloads each asset to
  `releases/<that>/<asset name>`: an asset named `../../x` or `/abs/x` lands outside the cache, a
  tag `..` puts the assets into the repository's folder, a NUL in a name ends the whole process.
  `backup_releases` below replaces it: the same requests and files, the tag's folder and each
  asset's file named by the rule (release_files.py), every path checked to stay in `releases/`,
  and an asset whose name was changed keeps GitHub's in the release JSON.
* `backup_issues`, `backup_pulls`, `backup_milestones` (L835-986) name each file `<number>.json`
  from the listing's `number`: `numbered_entries_only` wraps `retrieve_data_gen` (which the
  listings and `retrieve_data` both go through) and drops an entry whose number is no number.

Each name changed or refused is one line starting with UNSAFE_NAME, which the stage makes a
problem of the repository (an API answer GitHub would never give: the organization should hear
of it).  Standard library only, like the runner that installs these.
"""

from __future__ import annotations

import os
import re
from typing import Callable

from orgbackup.cache.release_files import store_names
from orgbackup.cache.safe_names import is_item_number, join_inside, release_folder, stored_name

UNSAFE_NAME = "Unsafe name from GitHub: "
# The listings whose entries 0.40.0 saves as <number>.json (L847, L906, L963).
NUMBERED_LISTING = re.compile(r"/repos/[^/]+/[^/]+/(?P<kind>issues|pulls|milestones)$")


def report(message: str) -> None:
    from github_backup import github_backup as gb

    gb.log_warning(UNSAFE_NAME + message)


def backup_releases(args, repo_cwd, repository, repos_template, include_assets=False):
    """0.40.0's `backup_releases(args, repo_cwd, repository, repos_template, include_assets)`,
    every name through the rule."""
    from github_backup import github_backup as gb

    full_name = repository["full_name"]
    releases_dir = os.path.join(repo_cwd, "releases")
    gb.log_info(f"Retrieving {full_name} releases")
    gb.mkdir_p(repo_cwd, releases_dir)
    releases = gb.retrieve_data(args, f"{repos_template}/{full_name}/releases", query_args={})
    gb.log_info(f"Saving {len(releases)} releases to disk")
    for release in releases:
        tag = release.get("tag_name")
        folder = release_folder(tag)
        if not isinstance(tag, str) or folder != tag.replace("/", "__"):
            report(f"release tag {tag!r} stored as releases/{folder}")
        for original, stored in store_names(release):
            report(f"release asset {original!r} of release {tag!r} stored as {stored!r} "
                   "(the release JSON keeps GitHub's name)")
        with gb.codecs.open(join_inside(releases_dir, folder + ".json"), "w+", encoding="utf-8") as f:
            gb.json_dump(release, f)
        if include_assets:
            assets = gb.retrieve_data(args, release["assets_url"])
            if assets:
                assets_dir = join_inside(releases_dir, folder)
                gb.mkdir_p(assets_dir)
                for asset in assets:
                    path = join_inside(assets_dir, stored_name(asset.get("name")))
                    gb.download_file(asset["url"], str(path), gb.get_auth(args))


def numbered_entries_only(original: Callable) -> Callable:
    """0.40.0's `retrieve_data_gen(args, template, query_args=None, single_request=False)`, without
    the entries of a numbered listing whose `number` is not a positive integer."""

    def retrieve_data_gen(args, template, query_args=None, single_request=False):
        numbered = None if single_request else NUMBERED_LISTING.search(template)
        for entry in original(args, template, query_args, single_request):
            if numbered and isinstance(entry, dict) and not is_item_number(entry.get("number")):
                report(f"{numbered['kind']} entry numbered {entry.get('number')!r} is no number: not saved")
                continue
            yield entry

    return retrieve_data_gen
