"""The `reviews` part: each pull request's reviews in CACHE/<ORG>/reviews/<REPO>/<n>.json.

github-backup already wrote each pull (`pulls/<n>.json`, GitHub's pull object with
`updated_at`); a review bumps its pull's `updated_at`, so a pull whose `updated_at` is the
one saved beside its reviews needs no request: a night where nothing changed costs none.
"""

from __future__ import annotations

import json
from pathlib import Path

from orgbackup.github.api import GitHubError
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.backup.parts.common import PartOutcome
from orgbackup.backup.parts.repository_settings import full_name_of

PART = "reviews"


def read_json(path: Path):
    """The JSON in `path`, or None when it is missing or not whole."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def pulls_to_refresh(pulls_dir: Path, folder: Path) -> tuple[list[tuple[int, str]], list[dict], list[str]]:
    """(pulls whose reviews to fetch as (number, updated_at), the saved review files still
    current, unreadable pull files) by comparing github-backup's pulls/<n>.json with
    reviews/<REPO>/<n>.json."""
    stale, current, unreadable = [], [], []
    for path in sorted(Path(pulls_dir).glob("*.json"), key=lambda p: (len(p.stem), p.stem)):
        if not path.stem.isdigit():
            continue
        pull = read_json(path)
        if not isinstance(pull, dict) or not pull.get("updated_at"):
            unreadable.append(path.name)
            continue
        number = int(pull.get("number") or path.stem)
        saved = read_json(Path(folder) / f"{number}.json")
        if isinstance(saved, dict) and saved.get("pull_updated_at") == pull["updated_at"] \
                and isinstance(saved.get("reviews"), list):
            current.append(saved)
        else:
            stale.append((number, pull["updated_at"]))
    return stale, current, unreadable


def back_up_reviews(ctx, org: str, repo: dict, folder: Path, pulls_dir: Path) -> PartOutcome:
    """reviews/<REPO>/<n>.json for each pull whose updated_at changed since its file."""
    outcome = PartOutcome(PART, org, repo["name"])
    folder = Path(folder)
    stale, current, unreadable = pulls_to_refresh(Path(pulls_dir), folder)
    for name in unreadable:
        outcome.problem(f"github-backup's pulls/{name} is not a whole pull object")
    held = [len(saved["reviews"]) for saved in current]
    outcome.count("reviews", sum(held), sum(held))
    with_reviews = sum(1 for n in held if n)
    full_name = full_name_of(org, repo)
    for number, updated_at in stale:
        try:
            reviews = list(ctx.api.paginate(f"repos/{full_name}/pulls/{number}/reviews"))
        except GitHubError as exc:
            outcome.refused_or_failed(exc, f"pull {number}")
            continue  # no file: the next run asks again
        write_json_atomically(folder / f"{number}.json",
                              {"pull": number, "pull_updated_at": updated_at, "reviews": reviews})
        outcome.count("reviews", len(reviews), len(reviews))
        with_reviews += bool(reviews)
    outcome.count("pulls with reviews", with_reviews)
    return outcome
