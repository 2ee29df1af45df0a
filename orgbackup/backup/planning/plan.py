"""The plan: what GitHub's listing means for the cache, decided once per organization and run.

`make_plan(states, listing, folders_on_disk, now)` is pure: it compares the
listing (repository ids and names) with the state store's rows and returns, per
repository, its row (new or updated) and what happened on GitHub:

- new: an id never seen; its folder is its name.
- renamed: a known id under a new name; its folders move to the new name, so its
  history, issues and state stay with it (nothing is downloaded again).
- recreated: a new id under a name an older repository had; the older one's
  folders move aside to `<NAME>~<OLD_ID>` (GitHub names cannot hold `~`), the new
  one starts in a fresh folder, so old and new issue files never mix.
- deleted: a known id the listing no longer has; its folders stay (every later
  snapshot keeps it), and the manifest and summary list it with the date it was
  last seen.  With `keep_deleted_days` (BACKUP_KEEP_DELETED_DAYS, 0: forever) its
  folders leave the cache that many days after it was last seen (older snapshots
  keep it as retention allows).

A folder on disk that no row names (a cache of an earlier version, or a
repository deleted before the state store existed) is kept and reported as
deleted with an unknown date; a live repository of the same name adopts it.

`apply_plan` then makes the moves on disk (github-backup's folder and gitim's
working clone) and writes the rows, one transaction each.  Every stage reads the
plan; none reads another stage's files.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from orgbackup.results import Problem
from orgbackup.cache.safe_names import is_repository_name
from orgbackup.cache.state_store import RepoState, StateStore, adopt_legacy, legacy_entries

log = logging.getLogger(__name__)

ASIDE = "~"  # cannot appear in a GitHub repository name


@dataclass(frozen=True)
class Move:
    source: str  # folder name under repositories/ (and gitim/<ORG>/)
    target: str
    why: str


@dataclass
class RepoPlan:
    repo: dict  # GitHub's listing entry
    state: RepoState
    event: str  # new | renamed | recreated | seen
    previous_name: str | None = None

    @property
    def name(self) -> str:
        return self.repo["name"]


@dataclass
class DeletedRepo:
    repo_id: int | None
    name: str
    folder: str
    last_seen: str | None
    deleted_seen: str | None
    expired: bool = False  # past BACKUP_KEEP_DELETED_DAYS: its folders leave the cache

    def as_dict(self) -> dict:
        return {"id": self.repo_id, "name": self.name, "folder": self.folder,
                "last_seen": self.last_seen, "missing_since": self.deleted_seen}


@dataclass
class OrgPlan:
    """What GitHub says of one organization now, and what it means for the cache."""

    login: str  # GitHub's own spelling: github-backup 0.40.0 compares it case-sensitively
    repos: list[dict]  # the listing
    hooks: bool
    hooks_reason: str
    organization: dict = field(default_factory=dict)  # GitHub's organization object, read in preflight
    repo_plans: dict[str, RepoPlan] = field(default_factory=dict)  # by current name
    deleted: list[DeletedRepo] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    # A sharded run: the live repositories another shard backs up (BACKUP_SHARD), id -> name
    other_shards: dict[int, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # what the listing held that is not backed up

    def events(self, kind: str) -> list[RepoPlan]:
        return [p for p in self.repo_plans.values() if p.event == kind]


def storable_listing(org: str, listing: list[dict]) -> tuple[list[dict], list[Problem]]:
    """The listing without the repositories whose name GitHub never allows (`/`, `..`, a NUL: as
    a folder name it could lead out of the cache): each is one problem line, the others go on."""
    kept, refused = [], []
    for repo in listing:
        name = repo.get("name")
        if is_repository_name(name):
            kept.append(repo)
        else:
            refused.append(Problem(org, None, "names", f"repository name {name!r} in GitHub's listing "
                                   "is no name GitHub allows: not backed up"))
    return kept, refused


def can_admin(repo: dict) -> bool:
    """The listing says per repository what the token may do; hooks need admin rights."""
    return bool((repo.get("permissions") or {}).get("admin"))


def aside_name(folder: str, repo_id: int | None) -> str:
    return f"{folder}{ASIDE}{repo_id if repo_id is not None else 'old'}"


def _older_than(stamp: str | None, now: datetime, days: int) -> bool:
    if not stamp or days <= 0:
        return False
    try:
        seen = datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return False
    return now - seen >= timedelta(days=days)


def make_plan(org: str, states: dict[int, RepoState], listing: list[dict], folders_on_disk: set[str],
              now: str, *, legacy: dict[str, dict] | None = None, keep_deleted_days: int = 0
              ) -> tuple[dict[str, RepoPlan], list[DeletedRepo], list[Move]]:
    legacy = legacy or {}
    now_time = datetime.strptime(now[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    live_ids = {int(r["id"]) for r in listing}
    live_names = {r["name"] for r in listing}
    # Which row holds which folder now.
    holder = {s.folder: s.repo_id for s in states.values()}
    targets: dict[int, str] = {}
    plans: dict[str, RepoPlan] = {}
    for repo in listing:
        repo_id, name = int(repo["id"]), repo["name"]
        old = states.get(repo_id)
        if old is None:
            taken_by = holder.get(name)
            event = "recreated" if taken_by is not None and taken_by not in live_ids else "new"
            state = RepoState(org, repo_id, name, name, first_seen=now)
            if event == "new" and name in legacy:
                adopt_legacy(state, legacy[name])
            previous = None
        else:
            event = "renamed" if old.name != name else "seen"
            previous = old.name if event == "renamed" else None
            state = replace(old, name=name)
        state.last_seen, state.deleted_seen = now, None
        targets[repo_id] = name
        plans[name] = RepoPlan(repo, state, event, previous)

    deleted: list[DeletedRepo] = []
    for state in states.values():
        if state.repo_id in live_ids:
            continue
        target = state.folder
        if target in live_names:  # its name now belongs to another repository
            target = aside_name(state.folder, state.repo_id)
        targets[state.repo_id] = target
        deleted.append(DeletedRepo(state.repo_id, state.name, target, state.last_seen, state.deleted_seen or now,
                                   expired=_older_than(state.last_seen, now_time, keep_deleted_days)))
    known = {s.folder for s in states.values()}
    for folder in sorted(folders_on_disk - known - live_names):
        if ASIDE in folder or folder.startswith("."):
            continue  # set aside by an earlier plan whose row was removed, or not a repository
        deleted.append(DeletedRepo(None, folder, folder, None, None))

    moves: list[Move] = []
    for repo_id, target in targets.items():
        current = states[repo_id].folder if repo_id in states else None
        if current is not None and current != target:
            why = "renamed on GitHub" if repo_id in live_ids else "its name was taken by a new repository"
            moves.append(Move(current, target, why))
    for plan in plans.values():
        plan.state.folder = targets[plan.state.repo_id]
    return plans, deleted, moves


def _move_folders(parents: list[Path], moves: list[Move]) -> None:
    """Every move through a temporary name first, so that swaps and chains cannot collide."""
    staged: list[tuple[Path, Path]] = []
    for parent in parents:
        for move in moves:
            source = parent / move.source
            if source.exists() or source.is_symlink():
                temporary = parent / f".moving{ASIDE}{move.source}"
                source.rename(temporary)
                staged.append((temporary, parent / move.target))
    for temporary, target in staged:
        if target.exists():
            # Only possible with a folder no row knew of: keep both, never overwrite.
            target = target.with_name(aside_name(target.name, None))
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary.rename(target)


def folders_in(path: Path) -> set[str]:
    return {p.name for p in path.iterdir() if p.is_dir()} if path.is_dir() else set()


def apply_plan(store: StateStore, plan: OrgPlan, repositories_dir: Path, gitim_dir: Path, *, now: str,
               keep_deleted_days: int, legacy_state_dir: Path | None = None,
               more_parents: tuple[Path, ...] = ()) -> None:
    """Decide, move the folders, write the rows: the cache then matches GitHub's names.

    `legacy_state_dir` holds the JSON files of an earlier version, read only while
    the store knows nothing of this organization; `more_parents` are the other
    folders holding one entry per repository (the metadata parts')."""
    states = store.repositories(plan.login)
    parents = [repositories_dir, gitim_dir, *more_parents]
    for repo_id in sorted(set(states) & set(plan.other_shards)):
        # BACKUP_SHARD's N changed: a live repository now another shard's leaves this cache
        # (a deleted one stays with the shard that has it).
        row = states.pop(repo_id)
        log.info("%s/%s: now backed up by another shard; it leaves this shard's cache", plan.login, row.folder)
        for parent in parents:
            if (parent / row.folder).exists():
                shutil.rmtree(parent / row.folder)
        store.remove(plan.login, repo_id)
    legacy = legacy_entries(legacy_state_dir) if legacy_state_dir and not states else {}
    plans, deleted, moves = make_plan(
        plan.login, states, plan.repos, folders_in(repositories_dir), now,
        legacy=legacy, keep_deleted_days=keep_deleted_days,
    )
    for move in moves:
        log.info("%s: %s -> %s (%s)", plan.login, move.source, move.target, move.why)
    _move_folders(parents, moves)
    for repo_plan in plans.values():
        if repo_plan.event == "renamed":
            log.warning("%s/%s: renamed on GitHub (was %s); its backup moved with it",
                        plan.login, repo_plan.name, repo_plan.previous_name)
        elif repo_plan.event == "recreated":
            log.warning("%s/%s: a new repository under a name an older one had; the older one's backup "
                        "is kept as %s", plan.login, repo_plan.name, aside_name(repo_plan.name, holder_of(states, repo_plan.name)))
        store.put(repo_plan.state)
    for gone in deleted:
        if gone.repo_id is None:
            continue
        row = states[gone.repo_id]
        if gone.expired:
            log.warning("%s/%s: deleted on GitHub, last seen %s, older than BACKUP_KEEP_DELETED_DAYS=%d: "
                        "its folders leave the cache (earlier snapshots keep it)",
                        plan.login, gone.name, gone.last_seen, keep_deleted_days)
            for parent in parents:
                if (parent / gone.folder).exists():
                    shutil.rmtree(parent / gone.folder)
            store.remove(plan.login, gone.repo_id)
            continue
        store.put(replace(row, folder=gone.folder, deleted_seen=gone.deleted_seen))
    plan.repo_plans = plans
    plan.deleted = [d for d in deleted if not d.expired]
    plan.moves = moves


def holder_of(states: dict[int, RepoState], folder: str) -> int | None:
    for state in states.values():
        if state.folder == folder:
            return state.repo_id
    return None
