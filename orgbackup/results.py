"""What every part of a run ends with, and the one rule that turns it into a state (`org_state`).

- `Problem`: something the backup should hold and does not, with its class (below).
- `StageResult`: what every stage returns, `(captured, problems)`.
- `OrgResult` / `RunResult`: what a command ended with, the shape monitoring reads
  (orgbackup/monitoring/); `cli.main` makes one from a BackupError too.

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
- deferred: the API budget did not allow it this run (orgbackup/backup/planning/budget.py):
  the git data is there, the metadata of the named repositories comes first next
  run; or the month's Git LFS bandwidth budget did not (orgbackup/backup/planning/
  lfs_budget.py): the named repositories' LFS objects come on later nights; the run
  is incomplete (exit 3), never failed.
"""


from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, NamedTuple

from orgbackup.errors import EXIT_FAILURE, EXIT_INCOMPLETE, EXIT_OK

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


class StageResult(NamedTuple):
    captured: Any
    problems: list[Problem]

    def of_kind(self, kind: str) -> list[Problem]:
        return [p for p in self.problems if p.kind == kind]


COMPLETE, INCOMPLETE, FAILED = "complete", "incomplete", "failed"


@dataclass
class OrgResult:
    org: str
    state: str                 # "complete" | "incomplete" | "failed"
    repositories: int = 0
    problems: list[str] = field(default_factory=list)
    bytes_added: int = 0
    snapshot_id: str | None = None
    lfs: dict = field(default_factory=dict)  # the month's Git LFS bandwidth (backup/stages/lfs_objects.py)
    copy: dict = field(default_factory=dict)  # the second copy (backup/stages/second_copy.py); {}: none


@dataclass
class RunResult:
    command: str               # "backup" | "restore" | "verify" | "snapshots" | "status"
    status: int                # the exit status
    seconds: float = 0.0
    orgs: list[OrgResult] = field(default_factory=list)
    summary: str = ""          # the text the command printed at its end (tables + summary line) or the error line
    api_requests: int = 0


# The one status rule: the table, the JSON line, the exit status and monitoring all read it.
EXIT_OF_STATE = {COMPLETE: EXIT_OK, INCOMPLETE: EXIT_INCOMPLETE, FAILED: EXIT_FAILURE}


def org_state(*, snapshot_id: str | None, error: str | None, leaked_files, problems: Iterable[Problem]) -> str:
    """An organization's state after a backup: failed without a snapshot, after an error, when
    a file held the token (left out of the snapshot), or with an integrity problem (the backup
    itself is wrong); incomplete with any other problem that counts; else complete."""
    problems = list(problems)
    if error or leaked_files or not snapshot_id or any(p.kind == INTEGRITY for p in problems):
        return FAILED
    return INCOMPLETE if problems else COMPLETE


def exit_status(states: Iterable[str]) -> int:
    """A command's exit status: its worst organization's (failed, then incomplete)."""
    found = set(states)
    for state in (FAILED, INCOMPLETE):
        if state in found:
            return EXIT_OF_STATE[state]
    return EXIT_OK
