"""Sharded runs (BACKUP_SHARD=i/N): which repositories a shard backs up, and which
snapshots make one backup of an organization.  Pure: no restic, no GitHub.

- Assignment: a repository belongs to shard `id % N` (GitHub's repository id, which
  never changes when repositories are renamed, created or deleted: a repository never
  moves between shards while N stays the same).  Organization-level data (the
  organization part, projects) belongs to shard 0.
- A *set*: one snapshot per shard `0/N ... N-1/N` of one organization, of one night.
  The night of a snapshot is every sharded snapshot of the organization whose time
  lies within BACKUP_SHARD_WINDOW hours (default 12) before it.  The newest night is
  the one of the organization's newest sharded snapshot; an older night starts at
  the newest sharded snapshot older than the window before it.  Within a night, N is
  the newest snapshot's, and each shard's member is its newest complete snapshot
  there (else its newest incomplete one).  A shard without any snapshot in the night
  is *missing*: the set is incomplete and names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from orgbackup.errors import ConfigError

SHARD_TAG_PREFIX = "shard:"
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
DEFAULT_WINDOW_HOURS = 12.0


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def tag(self) -> str:
        return f"{SHARD_TAG_PREFIX}{self}"

    @property
    def owns_organization(self) -> bool:
        """The organization part and projects: shard 0's."""
        return self.index == 0

    def owns(self, repo_id: int) -> bool:
        return shard_of_repository(repo_id, self.count) == self.index

    def as_dict(self) -> dict:
        return {"index": self.index, "count": self.count}


def shard_of_repository(repo_id: int, count: int) -> int:
    return int(repo_id) % count


def parse_shard(raw: str | None, name: str = "BACKUP_SHARD") -> Shard | None:
    """'i/N' with 0 <= i < N, N >= 1; unset or empty: no sharding."""
    if raw is None or not raw.strip():
        return None
    match = _SHARD.match(raw)
    if not match:
        raise ConfigError(f"{name}: expected i/N (this shard's index and the number of shards), got {raw!r}")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1:
        raise ConfigError(f"{name}: the number of shards must be at least 1, got {raw!r}")
    if index >= count:
        raise ConfigError(f"{name}: the shard index must be below the number of shards "
                          f"(0 to {count - 1}), got {raw!r}")
    return Shard(index, count)


def shard_of_tags(tags) -> Shard | None:
    for tag in tags:
        if tag.startswith(SHARD_TAG_PREFIX):
            try:
                return parse_shard(tag[len(SHARD_TAG_PREFIX):])
            except ConfigError:
                return None
    return None


def select_repositories(repos: list[dict], shard: Shard | None) -> tuple[list[dict], dict[int, str]]:
    """The listing entries this shard backs up, and the others' (live, not ours): id -> name."""
    if shard is None:
        return repos, {}
    mine = [r for r in repos if shard.owns(int(r["id"]))]
    others = {int(r["id"]): r["name"] for r in repos if not shard.owns(int(r["id"]))}
    return mine, others


# Sets of shards


@dataclass
class BackupUnit:
    """What restore, verify and status treat as one backup of an organization: a
    single snapshot (an unsharded run), or the shards' snapshots of one night."""

    snapshots: list  # restic_output.Snapshot, by shard index for a set
    time: datetime  # the newest member's time (a set: its newest shard's)
    count: int | None = None  # N for a set, None for a single snapshot
    missing: list[int] = field(default_factory=list)  # shard indexes without a snapshot in the night
    member_times: list[datetime] = field(default_factory=list)

    @property
    def sharded(self) -> bool:
        return self.count is not None

    @property
    def complete(self) -> bool:
        return not self.missing and all(s.complete for s in self.snapshots)

    @property
    def oldest_time(self) -> datetime:
        return min(self.member_times) if self.member_times else self.time

    def missing_names(self) -> list[str]:
        return [f"{i}/{self.count}" for i in self.missing]

    def describe_missing(self) -> str:
        if not self.missing:
            return ""
        names = ", ".join(f"shard {n}" for n in self.missing_names())
        return f"{names} missing from the night of {self.time.strftime('%Y-%m-%dT%H:%M:%SZ')}"


def nights(snaps: list, time_of, window_hours: float) -> list[list]:
    """Sharded snapshots of one organization cut into nights, newest night first."""
    ordered = sorted(snaps, key=time_of, reverse=True)
    window = timedelta(hours=window_hours)
    out: list[list] = []
    while ordered:
        newest = time_of(ordered[0])
        night = [s for s in ordered if newest - time_of(s) <= window]
        out.append(night)
        ordered = ordered[len(night):]
    return out


def set_of_night(night: list, time_of) -> BackupUnit:
    newest = max(night, key=time_of)
    count = shard_of_tags(newest.tags).count
    members = []
    missing = []
    for index in range(count):
        mine = sorted((s for s in night if shard_of_tags(s.tags) == Shard(index, count)), key=time_of)
        if not mine:
            missing.append(index)
            continue
        complete = [s for s in mine if s.complete]
        members.append((complete or mine)[-1])
    return BackupUnit(snapshots=members, time=time_of(newest), count=count, missing=missing,
                      member_times=[time_of(s) for s in members])


def backup_units(snaps: list, time_of, window_hours: float) -> list[BackupUnit]:
    """One organization's snapshots as backups, oldest first: each unsharded snapshot
    alone, each night of sharded ones as a set."""
    single = [s for s in snaps if shard_of_tags(s.tags) is None]
    sharded = [s for s in snaps if shard_of_tags(s.tags) is not None]
    units = [BackupUnit(snapshots=[s], time=time_of(s), member_times=[time_of(s)]) for s in single]
    units += [set_of_night(night, time_of) for night in nights(sharded, time_of, window_hours)]
    return sorted(units, key=lambda u: u.time)
