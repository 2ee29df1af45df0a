"""What the run's credential helper (orgbackup-credential) refused, as problems of the repositories
that asked.

A refusal means git or git-lfs wanted the token for a URL the token is not for: another host
(a repository's .lfsconfig, a redirect, a submodule's server), a repository outside the
organizations, or a URL where GitHub has already refused it several times (an authentication
loop). Each is a hostile or misconfigured repository that the organization should hear about;
the helper writes one line per refusal (reason, URL, the folder git ran in), never a secret.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from orgbackup.cache.layout import OrgPaths, StatePaths
from orgbackup.results import TRANSIENT, Problem

PART = "credentials"
WHY = {
    "host": "not the GitHub host over https (a redirect, a submodule or a .lfsconfig of the repository "
            "sent git there)",
    "owner": "a repository outside the organizations being backed up",
    "rejected": "GitHub had refused the token for it three times (an endless authentication loop); "
                "not offered again this run",
}


@dataclass(frozen=True)
class Refusal:
    reason: str  # host | owner | rejected
    url: str  # protocol://host/path, as git asked (no user name, no secret)
    folder: str  # where the asking git ran


def parse_refusals(text: str) -> list[Refusal]:
    refusals = []
    for line in text.splitlines():
        reason, _, rest = line.partition("\t")
        url, _, folder = rest.partition("\t")
        if reason and url:
            refusals.append(Refusal(reason, url, folder))
    return refusals


def take_refusals(log: Path | None) -> list[Refusal]:
    """The refusals written since the last call (the log is emptied)."""
    if log is None:
        return []
    taken = log.with_name(log.name + ".taken")
    try:
        os.replace(log, taken)  # a helper writing now appends to a new log, not to the one read
    except FileNotFoundError:
        return []
    try:
        return parse_refusals(taken.read_text(encoding="utf-8", errors="replace"))
    finally:
        taken.unlink(missing_ok=True)


def repository_of(folder: str, paths: OrgPaths, org: str, state: StatePaths) -> str | None:
    """The repository whose clone (or github-backup run folder) `folder` is in, or None."""
    here = Path(folder)
    for base, depth in ((paths.github_backup / "repositories", 0), (paths.gitim / org, 0),
                        (state.github_backup_run("x").parent, 0)):
        try:
            parts = here.relative_to(base).parts
        except ValueError:
            continue
        if len(parts) > depth:
            return parts[depth]
    return None


def refusal_problems(org: str, refusals: list[Refusal], paths: OrgPaths, state: StatePaths) -> list[Problem]:
    """One problem per repository, reason and URL (a loop asks many times: counted, not repeated)."""
    counted: dict[tuple[str | None, str, str], int] = {}
    for refusal in refusals:
        key = (repository_of(refusal.folder, paths, org, state), refusal.reason, refusal.url)
        counted[key] = counted.get(key, 0) + 1
    problems = []
    for (repo, reason, url), times in counted.items():
        asked = "once" if times == 1 else f"{times} times"
        problems.append(Problem(org, repo, PART, f"no token given to {url} (asked {asked}): "
                                                 f"{WHY.get(reason, reason)}", TRANSIENT))
    return problems
