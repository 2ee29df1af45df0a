"""What a command's run ended with: the shape monitoring reads (orgbackup/monitoring/).

`run_backup`, `run_restore` and `run_verify` return a RunResult; `cli.main` makes one
from a BackupError too, so that a run that never got going is reported like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

COMPLETE, INCOMPLETE, FAILED = "complete", "incomplete", "failed"


@dataclass
class OrgResult:
    org: str
    state: str                 # "complete" | "incomplete" | "failed"
    repositories: int = 0
    problems: list[str] = field(default_factory=list)
    bytes_added: int = 0
    snapshot_id: str | None = None


@dataclass
class RunResult:
    command: str               # "backup" | "restore" | "verify" | "snapshots" | "status"
    status: int                # the exit status
    seconds: float = 0.0
    orgs: list[OrgResult] = field(default_factory=list)
    summary: str = ""          # the text the command printed at its end (tables + summary line) or the error line
    api_requests: int = 0
