"""A problem: something the backup should hold and does not. Stages return them;
the run collects them into the manifest and the summary; `main` turns them into
an exit status.

Each problem has a class, because what it means for the run differs:
- transient: the backup could not get it this time (network, GitHub answering
  5xx, a tool failing); retried next run; while it persists the run is
  incomplete (exit 3).
- upstream: GitHub itself no longer has it (a submodule commit upstream never had
  or force-pushed away, a submodule URL nobody can fetch): recorded in every
  manifest, reported as new the first time (that run is incomplete), and from
  then on listed as known without making the run incomplete.  Otherwise a
  problem that can never go away would keep every run incomplete forever.
- integrity: the backup itself is wrong (a damaged clone that could not be
  healed, a file holding a secret): the run fails (exit 1).
- deferred: the API budget did not allow it this run (orgbackup/budget.py): the
  git data is there, the metadata of the named repositories comes first next
  run; the run is incomplete (exit 3), never failed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

TRANSIENT = "transient"
UPSTREAM = "upstream"
INTEGRITY = "integrity"
DEFERRED = "deferred"
KINDS = (TRANSIENT, UPSTREAM, INTEGRITY, DEFERRED)


@dataclass(frozen=True)
class Problem:
    org: str
    repo: str | None  # None: the problem is the organization's, not one repository's
    part: str  # repository, wiki, lfs, gitim, issues, pulls, hooks, dependencies, secrets, ...
    message: str
    kind: str = TRANSIENT

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def key(self) -> str:
        """Stable across runs: the same problem found again has the same key."""
        return f"{self.repo or ''}\x1f{self.part}\x1f{self.message}"

    def __str__(self) -> str:
        where = f"{self.org}/{self.repo}" if self.repo else self.org
        return f"{where} [{self.part}]: {self.message}"


def split_known(problems: list[Problem], known_keys: set[str]) -> tuple[list[Problem], list[Problem]]:
    """(problems that count for this run, upstream problems already reported in an earlier run)."""
    counting, known = [], []
    for problem in problems:
        (known if problem.kind == UPSTREAM and problem.key in known_keys else counting).append(problem)
    return counting, known
