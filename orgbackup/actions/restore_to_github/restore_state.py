"""The restore's memory: every original thing mapped to the one created for it.

`CACHE/.state/restore-to-github.sqlite3`, one row per (target host, target organization,
kind, key): "pending" is written before a create is sent and "done" (with what GitHub
answered: id, number) once it answered, each committed at once, so a rerun after a kill,
a network failure or a rate-limit stop knows what exists.  A pending row means "the
create may have happened": the rerun looks on GitHub (by the body's marker, a name or a
number) before creating again, so nothing is created twice.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from orgbackup.cache.layout import CachePaths

PENDING = "pending"
DONE = "done"

SCHEMA = """
CREATE TABLE IF NOT EXISTS created (
    host TEXT NOT NULL, org TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
    status TEXT NOT NULL, target TEXT, source_snapshot TEXT, updated TEXT NOT NULL,
    PRIMARY KEY (host, org, kind, key)
);
"""


def state_path(cache_dir: Path) -> Path:
    return CachePaths(Path(cache_dir)).restore_to_github_store


class RestoreState:
    def __init__(self, path: Path, host: str, org: str, snapshot: str = ""):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)
        self.db.commit()
        self.host, self.org, self.snapshot = host.lower(), org.lower(), snapshot

    def close(self) -> None:
        self.db.close()

    def get(self, kind: str, key) -> tuple[str, dict | None] | None:
        """(status, target) or None when nothing was ever sent."""
        row = self.db.execute(
            "SELECT status, target FROM created WHERE host=? AND org=? AND kind=? AND key=?",
            (self.host, self.org, kind, str(key))).fetchone()
        if row is None:
            return None
        return row[0], (json.loads(row[1]) if row[1] else None)

    def done_target(self, kind: str, key) -> dict | None:
        row = self.get(kind, key)
        return row[1] if row and row[0] == DONE else None

    def _put(self, kind: str, key, status: str, target: dict | None) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO created VALUES (?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
            (self.host, self.org, kind, str(key), status, json.dumps(target) if target is not None else None,
             self.snapshot))
        self.db.commit()

    def done_under(self, kind: str, prefix: str) -> dict[str, dict]:
        """Key -> target of the done rows of `kind` whose key is under `prefix` (prefix/...)."""
        rows = self.db.execute(
            "SELECT key, target FROM created WHERE host=? AND org=? AND kind=? AND status=? AND substr(key, 1, ?)=?",
            (self.host, self.org, kind, DONE, len(prefix) + 1, prefix + "/")).fetchall()
        return {key: json.loads(target or "{}") for key, target in rows}

    def mark_pending(self, kind: str, key) -> None:
        self._put(kind, key, PENDING, None)

    def mark_done(self, kind: str, key, target: dict | None = None) -> None:
        self._put(kind, key, DONE, target or {})

    def forget_prefix(self, prefix: str) -> None:
        """Every row of one repository (keys start with its lower-case name): it is gone on GitHub."""
        self.db.execute("DELETE FROM created WHERE host=? AND org=? AND (key=? OR substr(key, 1, ?)=?)",
                        (self.host, self.org, prefix, len(prefix) + 1, prefix + "/"))
        self.db.commit()

    def count(self, kind: str | None = None) -> int:
        sql = "SELECT count(*) FROM created WHERE host=? AND org=? AND status=?"
        args = [self.host, self.org, DONE]
        if kind:
            sql += " AND kind=?"
            args.append(kind)
        return self.db.execute(sql, args).fetchone()[0]

    def repositories(self) -> dict[str, dict]:
        """Target repository name (lower case) -> what was recorded when this restore created it."""
        rows = self.db.execute(
            "SELECT key, target FROM created WHERE host=? AND org=? AND kind='repository' AND status=?",
            (self.host, self.org, DONE)).fetchall()
        return {key: json.loads(target or "{}") for key, target in rows}
