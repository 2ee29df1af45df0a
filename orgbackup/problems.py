"""A problem: something the backup should hold and does not. Stages return them;
the run collects them into the manifest and the summary; `main` turns any of them
into exit status 3 (a snapshot was taken, but it is incomplete)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    org: str
    repo: str | None  # None: the problem is the organization's, not one repository's
    part: str  # repository, wiki, lfs, gitim, issues, pulls, hooks, dependencies, secrets, ...
    message: str

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.org}/{self.repo}" if self.repo else self.org
        return f"{where} [{self.part}]: {self.message}"
