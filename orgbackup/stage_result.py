"""The one shape every stage of a run returns: what it captured, and its problems.

`captured` is the stage's own account (per-repository manifest records, the
dependency report, the snapshot, the files left out, which repositories
github-backup ran for); `problems` are what it could not get, each with its
class (problems.py).  It unpacks as `(captured, problems)`, so
`records, problems = run_verify_repair(...)` reads as before, and `run.py`
collects every stage's problems the same way without guessing.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .problems import Problem


class StageResult(NamedTuple):
    captured: Any
    problems: list[Problem]

    def of_kind(self, kind: str) -> list[Problem]:
        return [p for p in self.problems if p.kind == kind]
