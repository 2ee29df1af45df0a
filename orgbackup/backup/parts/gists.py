"""A person's gists (GITHUB_USERS): `gists/<ID>/gist.json` (GitHub's gist: its description,
visibility, files and `history`, one entry per revision) and `gists/<ID>/repository` (a clone of
the gist's git repository, where every revision is a commit).

The wrapper does this itself: github-backup 0.40.0's `--gists` lists `users/NAME/gists`, which
shows only public gists, so a person's secret gists would be missing without a word.
- Listing: the token's own user `GET /gists` (secret gists included); anyone else
  `GET /users/NAME/gists` (GitHub shows only their public ones).
- A gist is read again (`GET /gists/ID`, then its clone brought to GitHub's refs) when the
  listing's `updated_at` differs from the saved gist.json's or its clone is missing; `full`
  reads every one.
- The check: every revision in the gist's history is a commit in the clone; one that is not is
  a problem, as is a gist that could not be read or cloned.
- The clone URL is built from GITHUB_HOST, never taken from GitHub's answer
  (`https://gist.github.com/ID.git` on github.com, `https://HOST/gist/ID.git` on GitHub
  Enterprise Server); the gist's id must be letters and digits, so it is a safe folder name.
  git gets no token for it (the credential helper answers only for the accounts' repositories):
  a public or secret gist is cloned by its URL alone, as GitHub allows.
- A gist deleted on GitHub keeps its folder (the backup never deletes what GitHub lost).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from orgbackup.backup.accounts import is_token_user
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.git import argv as git
from orgbackup.git.clones import Check, github_git, sync_clone, why_failed
from orgbackup.git.submodules import present_commits
from orgbackup.github.api import GitHubError
from orgbackup.backup.parts.common import PartOutcome

PART = "gists"
GIST_ID = re.compile(r"^[0-9A-Za-z]{1,64}$")


def gist_url(github_host: str, gist_id: str) -> str:
    """The gist's git repository on GitHub (pure)."""
    if github_host == "github.com":
        return f"https://gist.github.com/{gist_id}.git"
    return f"https://{github_host}/gist/{gist_id}.git"


def saved_gist(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "gist.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def back_up_gists(ctx, login: str, folder: Path, mark: str | None, *, full: bool = False) -> PartOutcome:
    """Save the person's new and changed gists into `folder` (CACHE/<LOGIN>/gists). `mark` is
    not needed (each gist.json says what it holds) and only taken for the stage's uniform call."""
    folder = Path(folder)
    outcome = PartOutcome(PART, login, None)
    try:
        listed = list(ctx.api.paginate("gists" if is_token_user(ctx, login) else f"users/{login}/gists"))
    except GitHubError as exc:
        outcome.refused_or_failed(exc, "listing")
        return outcome
    held = fetched = revisions = 0
    for entry in listed:
        gist_id = str(entry.get("id") or "")
        if not GIST_ID.match(gist_id):
            outcome.problem(f"gist id {gist_id!r} in GitHub's answer is not letters and digits: not saved")
            continue
        where = folder / gist_id
        record = saved_gist(where)
        stale = full or record is None or record.get("updated_at") != entry.get("updated_at")
        if stale or not (where / "repository" / ".git").exists():
            fresh = fetch_gist(ctx, login, gist_id, where, outcome)
            if fresh is not None:
                fetched += 1
                record = fresh
        if record is not None:
            held += 1
            revisions += len(record.get("history") or [])
    outcome.count("fetched", fetched)
    outcome.count("gists", held, len(listed))
    outcome.count("revisions", revisions)
    return outcome


def fetch_gist(ctx, login: str, gist_id: str, where: Path, outcome: PartOutcome) -> dict | None:
    """The gist read from GitHub and its clone brought to GitHub's refs; None (a problem) when
    either fails. gist.json is written only once its clone holds every revision it names."""
    try:
        gist = ctx.api.get(f"gists/{gist_id}")
    except GitHubError as exc:
        outcome.problem(f"gist {gist_id} could not be read: {exc}")
        return None
    url = gist_url(ctx.config.github_host, gist_id)
    check = Check(login, f"gist {gist_id}")
    remote = github_git(ctx, git.ls_remote(url), url)
    if not remote.ok:
        outcome.problem(f"gist {gist_id}: git ls-remote failed: {why_failed(remote)}")
        return None
    memo = ctx.state_paths(login).clone_check("gist", gist_id)
    sync_clone(ctx, where / "repository", url, git.parse_ref_lines(remote.stdout), None, check, PART, memo)
    outcome.problems += check.problems
    wanted = {str(h.get("version")) for h in gist.get("history") or [] if h.get("version")}
    missing = wanted - present_commits(where / "repository", wanted) if wanted else set()
    if missing:
        outcome.problem(f"gist {gist_id}: {len(missing)} of its {len(wanted)} revisions are not in its clone")
        return None
    if check.problems:
        return None
    write_json_atomically(where / "gist.json", gist)
    return gist
