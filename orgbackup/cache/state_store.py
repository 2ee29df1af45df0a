"""The run's memory between nights: one sqlite3 file, keyed by GitHub's repository id.

`CACHE/.state/state.sqlite3` (never in a snapshot; losing it costs one full run,
never data).  Names change on GitHub, ids do not: a renamed repository keeps its
history here, and a repository re-created under an old name is a new row.

Tables (one transaction per write, so a stop never leaves half a record):
- `repositories`: per (org, repo_id) the name and cache folder, when it was first
  and last seen in the organization's listing, when it was first found missing
  (`deleted_seen`), and what the stages remember of it: github-backup's change
  marks (pushed_at, updated_at, last_run, seconds, activity_mark), the run's
  decision, and the pull-request conversation comments' `since`.
- `part_marks`: per (org, repo_id, part) of the metadata parts (discussions,
  settings, ...; repo_id 0 is the organization itself) the change mark GitHub gave
  at the last good refresh, when that refresh was (the rotation's clock) and the
  counts of what the backup held after it.
- `problems`: the upstream-permanent problems already reported (by a stable key),
  so that each is reported once and then no longer makes a run incomplete.
- `lfs_usage`: per (org, calendar month in UTC, "2026-12") the Git LFS bytes the backup
  downloaded from the organization's repositories (GitHub bills LFS bandwidth to the
  repository's owner, monthly): BACKUP_LFS_MONTHLY_BYTES is measured against it.

Earlier versions kept this in JSON files keyed by name (`.state/<ORG>/repos.json`,
`pull-comments.json`); `adopt_legacy` reads them once for the repositories the
listing names, so an upgrade does not fetch everything again.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterator

DB_NAME = "state.sqlite3"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS repositories (
    org TEXT NOT NULL,
    repo_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    folder TEXT NOT NULL,
    first_seen TEXT,
    last_seen TEXT,
    deleted_seen TEXT,
    pushed_at TEXT,
    updated_at TEXT,
    last_run TEXT,
    seconds REAL,
    activity_mark TEXT,
    decision_run TEXT,
    decision_reason TEXT,
    decision_latest TEXT,
    decision_counts TEXT,
    comments_since TEXT,
    comments_ok INTEGER,
    PRIMARY KEY (org, repo_id)
);
CREATE TABLE IF NOT EXISTS part_marks (
    org TEXT NOT NULL,
    repo_id INTEGER NOT NULL,
    part TEXT NOT NULL,
    mark TEXT,
    refreshed TEXT,
    saved TEXT,
    PRIMARY KEY (org, repo_id, part)
);
CREATE TABLE IF NOT EXISTS problems (
    org TEXT NOT NULL,
    key TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (org, key)
);
CREATE TABLE IF NOT EXISTS lfs_usage (
    org TEXT NOT NULL,
    month TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (org, month)
);
"""


@dataclass
class RepoState:
    org: str
    repo_id: int
    name: str
    folder: str
    first_seen: str | None = None
    last_seen: str | None = None
    deleted_seen: str | None = None  # first run that did not find it on GitHub
    pushed_at: str | None = None
    updated_at: str | None = None
    last_run: str | None = None  # start of the last github-backup run without problems
    seconds: float | None = None
    activity_mark: str | None = None  # GitHub's updated_at of the newest issue seen then
    decision_run: str | None = None
    decision_reason: str | None = None
    decision_latest: str | None = None
    decision_counts: str | None = None  # JSON {kind: n} GitHub gave with the decision (changes.py)
    comments_since: str | None = None
    comments_ok: int | None = None


COLUMNS = tuple(f.name for f in fields(RepoState))


@dataclass
class PartMark:
    mark: str | None  # GitHub's change mark then (updated_at, a discussions' count and newest update, ...)
    refreshed: str | None  # when (the run's start): the rotation's clock
    saved: dict  # what the backup held after it, by kind (reported on nights it is not refreshed)


class StateStore:
    """Thread-safe: stages write from their worker threads through one connection."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        # The default rollback journal, not WAL: WAL needs shared memory, which a cache on a
        # network volume (NFS, EFS) does not give; one process at a time uses the file (the lock).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._add_missing_columns()
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _add_missing_columns(self) -> None:
        """A store written by an earlier version lacks the columns added since: added, empty."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(repositories)")}
        for name in COLUMNS:
            if name not in have:
                self._db.execute(f"ALTER TABLE repositories ADD COLUMN {name} TEXT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # repositories

    def repositories(self, org: str) -> dict[int, RepoState]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {', '.join(COLUMNS)} FROM repositories WHERE org = ?", (org,)
            ).fetchall()
        return {row[1]: RepoState(*row) for row in rows}

    def repository(self, org: str, repo_id: int) -> RepoState | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {', '.join(COLUMNS)} FROM repositories WHERE org = ? AND repo_id = ?", (org, repo_id)
            ).fetchone()
        return RepoState(*row) if row else None

    def row_for(self, org: str, repo: dict) -> RepoState:
        """The row of a repository GitHub lists (made, folder = its name, when the plan has not run)."""
        with self._lock:
            state = self.repository(org, int(repo["id"]))
            if state is None:
                state = RepoState(org, int(repo["id"]), repo["name"], repo["name"])
                self.put(state)
        return state

    def put(self, state: RepoState) -> None:
        values = tuple(getattr(state, c) for c in COLUMNS)
        with self.transaction() as db:
            db.execute(
                f"INSERT OR REPLACE INTO repositories ({', '.join(COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in COLUMNS)})",
                values,
            )

    def update(self, org: str, repo_id: int, **changes) -> None:
        """Change some fields of one repository's row (which must exist)."""
        unknown = set(changes) - set(COLUMNS)
        if unknown:
            raise KeyError(f"no such state fields: {', '.join(sorted(unknown))}")
        if not changes:
            return
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self.transaction() as db:
            db.execute(
                f"UPDATE repositories SET {assignments} WHERE org = ? AND repo_id = ?",
                (*changes.values(), org, repo_id),
            )

    def remove(self, org: str, repo_id: int) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM repositories WHERE org = ? AND repo_id = ?", (org, repo_id))
            db.execute("DELETE FROM part_marks WHERE org = ? AND repo_id = ?", (org, repo_id))

    # metadata parts' change marks

    def part_marks(self, org: str, part: str) -> dict[int, PartMark]:
        """repo_id -> what the last good refresh of one part left."""
        with self._lock:
            rows = self._db.execute(
                "SELECT repo_id, mark, refreshed, saved FROM part_marks WHERE org = ? AND part = ?", (org, part)
            ).fetchall()
        return {row[0]: PartMark(row[1], row[2], json.loads(row[3]) if row[3] else {}) for row in rows}

    def set_part_mark(self, org: str, repo_id: int, part: str, mark: PartMark) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO part_marks (org, repo_id, part, mark, refreshed, saved) VALUES (?, ?, ?, ?, ?, ?)",
                (org, repo_id, part, mark.mark, mark.refreshed, json.dumps(mark.saved, sort_keys=True)),
            )

    # upstream-permanent problems

    def known_problems(self, org: str) -> dict[str, str]:
        """key -> the run that first reported it."""
        with self._lock:
            rows = self._db.execute("SELECT key, first_seen FROM problems WHERE org = ?", (org,)).fetchall()
        return dict(rows)

    def record_problems(self, org: str, keys: list[str], now: str) -> None:
        """Remember the upstream problems of this run; forget those that went away."""
        with self.transaction() as db:
            for key in keys:
                db.execute(
                    "INSERT INTO problems (org, key, first_seen, last_seen) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (org, key) DO UPDATE SET last_seen = excluded.last_seen",
                    (org, key, now, now),
                )
            db.execute(
                f"DELETE FROM problems WHERE org = ? AND key NOT IN ({', '.join('?' for _ in keys)})",
                (org, *keys),
            )

    # Git LFS bandwidth

    def lfs_bytes(self, org: str, month: str) -> int:
        """The LFS bytes downloaded for `org` in `month` ("2026-12", UTC)."""
        with self._lock:
            row = self._db.execute("SELECT bytes FROM lfs_usage WHERE org = ? AND month = ?", (org, month)).fetchone()
        return int(row[0]) if row else 0

    def add_lfs_bytes(self, org: str, month: str, count: int) -> None:
        if count <= 0:
            return
        with self.transaction() as db:
            db.execute(
                "INSERT INTO lfs_usage (org, month, bytes) VALUES (?, ?, ?) "
                "ON CONFLICT (org, month) DO UPDATE SET bytes = bytes + excluded.bytes",
                (org, month, count),
            )


# The JSON files of earlier versions


def legacy_entries(org_state_dir: Path) -> dict[str, dict]:
    """name -> what repos.json and pull-comments.json said of it (empty when absent or unreadable)."""
    merged: dict[str, dict] = {}
    for file_name, key in (("repos.json", "github_backup"), ("pull-comments.json", "comments")):
        try:
            data = json.loads((org_state_dir / file_name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for name, entry in (data.get("repositories") or {}).items():
            if isinstance(entry, dict):
                merged.setdefault(name, {})[key] = entry
    return merged


def adopt_legacy(state: RepoState, entry: dict) -> RepoState:
    """Fill a new row from what the JSON files of an earlier version remembered by name."""
    backup = entry.get("github_backup") or {}
    comments = entry.get("comments") or {}
    state.pushed_at = backup.get("pushed_at")
    state.updated_at = backup.get("updated_at")
    state.last_run = backup.get("last_run")
    state.seconds = backup.get("seconds")
    state.activity_mark = backup.get("activity_mark")
    state.comments_since = comments.get("since")
    state.comments_ok = 1 if comments.get("ok") else (0 if comments else None)
    return state
