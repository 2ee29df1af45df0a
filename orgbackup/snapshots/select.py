"""`snapshots`: the snapshots of this product's host, one line each.

Columns: id, date (UTC), organization (tag `org:X`), complete or incomplete
(tags), and the size a restore would write.  The size comes, cheapest first,
from the snapshot's own summary (restic 0.17+ records it), from a small cache of
sizes already computed (snapshot ids never change, so a size never goes stale),
or from `restic stats --mode restore-size` (one call per snapshot; slow on big
snapshots with restic 0.14, hence the cache).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from orgbackup.tools import restic
from orgbackup.config.settings import Config
from orgbackup.cache.layout import CachePaths
from orgbackup.errors import EXIT_OK, BackupError
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.config.secret_files import SecretFiles, register_secrets, remove_secret_files, write_secret_files
from orgbackup.snapshots.shards import BackupUnit, backup_units
from orgbackup.times import iso_utc, parse_rfc3339

log = logging.getLogger(__name__)



def run_snapshots(config: Config, *, org: str | None, as_json: bool) -> int:
    register_secrets(config)
    files = write_secret_files(config)
    try:
        rows = list_rows(config, files, org=org)
    finally:
        remove_secret_files(files)
    sys.stdout.write(json.dumps(rows) + "\n" if as_json else format_table(rows))
    sys.stdout.flush()
    return EXIT_OK


def list_rows(config: Config, files: SecretFiles, *, org: str | None) -> list[dict]:
    """The snapshots of `config.host_name` (of one organization), oldest first, with sizes."""
    result = restic.run_restic(files, restic.snapshots(host=config.host_name), timeout=600)
    snaps = [  # organization names compare case-insensitively, as on GitHub
        s for s in restic.parse_snapshots(result.stdout)
        if not org or (s.org or "").lower() == org.lower()
    ]
    recorded = restic.parse_snapshot_sizes(result.stdout)
    cache_path = size_cache_path(config)
    cached = read_size_cache(cache_path)
    rows = []
    for snap in sorted(snaps, key=lambda s: parse_rfc3339(s.time)):
        size = recorded.get(snap.id)
        if size is None:
            size = cached.get(snap.id)
        if size is None:
            size = snapshot_size(files, snap.id)
            if size is not None:
                cached[snap.id] = size
        rows.append(snapshot_row(snap, size))
    write_size_cache(cache_path, cached, keep={s.id for s in snaps} if not org else None)
    return rows


def snapshot_row(snap: restic.Snapshot, size: int | None) -> dict:
    return {
        "id": snap.id,
        "short_id": snap.short_id,
        "time": iso_utc(snap.time),
        "org": snap.org,
        "status": snapshot_status(snap),
        "complete": snap.complete,
        "size": size,
        "host": snap.host,
        "tags": list(snap.tags),
        "shard": str(snap.shard) if snap.shard else None,
    }


def snapshot_status(snap: restic.Snapshot) -> str:
    if "complete" in snap.tags:
        return "complete"
    if "incomplete" in snap.tags:
        return "incomplete"
    return "unknown"


def snapshot_size(files: SecretFiles, snapshot_id: str) -> int | None:
    try:
        result = restic.run_restic(files, restic.stats(snapshot_id), timeout=3600)
    except restic.ResticError as exc:
        log.warning("size of snapshot %s unknown: %s", snapshot_id[:8], exc)
        return None
    return restic.parse_stats_size(result.stdout)


# Choosing snapshots (restore and verify)


class SnapshotNotFound(BackupError):
    """No snapshot matches what was asked for."""


def snapshot_org(snap: restic.Snapshot) -> str:
    """The organization: its `org:` tag, else the last component of its path."""
    if snap.org:
        return snap.org
    if snap.paths:
        return Path(snap.paths[0]).name
    raise SnapshotNotFound(f"snapshot {snap.short_id} names no organization (no org: tag, no path)")


def select_snapshots(
    config: Config, files: SecretFiles, *, snapshot: str, org: str | None, complete_only: bool
) -> list[restic.Snapshot]:
    """The snapshots to restore or verify, one per organization.

    `snapshot` is an id (or a prefix of one) or `latest`: the newest snapshot of
    each organization of this host (`complete_only`: the newest complete one).
    Organization names compare case-insensitively, as GitHub compares them.
    """
    wanted = org.lower() if org else None
    if snapshot != "latest":
        matches = [s for s in restic.list_snapshots(files) if s.id.startswith(snapshot.lower())]
        if not matches:
            raise SnapshotNotFound(f"snapshot {snapshot} is not in the restic repository")
        if len(matches) > 1:
            raise SnapshotNotFound(f"snapshot id {snapshot} is ambiguous: give more of it")
        snap = matches[0]
        if wanted and snapshot_org(snap).lower() != wanted:
            raise SnapshotNotFound(
                f"snapshot {snap.short_id} is of organization {snapshot_org(snap)}, not {org}"
            )
        return [snap]
    snaps = [
        s for s in restic.list_snapshots(files, host=config.host_name)
        if not wanted or snapshot_org(s).lower() == wanted
    ]
    if not snaps:
        where = f" of organization {org}" if org else ""
        raise SnapshotNotFound(f"no snapshot{where} from host {config.host_name} in the restic repository")
    newest: dict[str, restic.Snapshot] = {}
    skipped = set()
    for snap in sorted(snaps, key=lambda s: parse_rfc3339(s.time)):
        name = snapshot_org(snap)
        if complete_only and not snap.complete:
            skipped.add(name)
            continue
        newest[name] = snap
    for name in sorted(skipped - set(newest)):
        log.warning("%s: no complete snapshot, only incomplete ones (name one with --snapshot ID)", name)
    if not newest:
        where = f" of organization {org}" if org else ""
        raise SnapshotNotFound(
            f"no complete snapshot{where}; only incomplete ones (name one with --snapshot ID)"
        )
    return [newest[name] for name in sorted(newest)]


def select_backups(
    config: Config, files: SecretFiles, *, snapshot: str, org: str | None, complete_only: bool
) -> list[BackupUnit]:
    """As select_snapshots, but a sharded organization's newest set of shards
    (orgbackup/snapshots/shards.py) is one backup: restore and verify take all of its snapshots.

    `latest` with `complete_only`: each organization's newest complete backup (a
    single snapshot or a whole set); without: its newest backup, whatever it holds
    (a set missing a shard too: verify names the shard)."""
    if snapshot != "latest":
        return [BackupUnit(snapshots=[snap], time=parse_rfc3339(snap.time), member_times=[parse_rfc3339(snap.time)])
                for snap in select_snapshots(config, files, snapshot=snapshot, org=org, complete_only=False)]
    wanted = org.lower() if org else None
    snaps = [
        s for s in restic.list_snapshots(files, host=config.host_name)
        if not wanted or snapshot_org(s).lower() == wanted
    ]
    if not snaps:
        where = f" of organization {org}" if org else ""
        raise SnapshotNotFound(f"no snapshot{where} from host {config.host_name} in the restic repository")
    by_org: dict[str, list[restic.Snapshot]] = {}
    spelling: dict[str, str] = {}
    for snap in sorted(snaps, key=lambda s: parse_rfc3339(s.time)):
        by_org.setdefault(snapshot_org(snap).lower(), []).append(snap)
        spelling[snapshot_org(snap).lower()] = snapshot_org(snap)
    chosen: dict[str, BackupUnit] = {}
    for key, mine in by_org.items():
        units = backup_units(mine, lambda s: parse_rfc3339(s.time), config.shard_window_hours)
        if units[-1].sharded and units[-1].missing:  # the newest night lacks a shard
            log.warning("%s: %s", spelling[key], units[-1].describe_missing())
        if complete_only:
            units = [u for u in units if u.complete]
            if not units:
                log.warning("%s: no complete snapshot, only incomplete ones (name one with --snapshot ID)",
                            spelling[key])
                continue
        chosen[spelling[key]] = units[-1]
    if not chosen:
        where = f" of organization {org}" if org else ""
        raise SnapshotNotFound(
            f"no complete snapshot{where}; only incomplete ones (name one with --snapshot ID)"
        )
    return [chosen[name] for name in sorted(chosen)]


# The table


def human_size(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError


def format_table(rows: list[dict]) -> str:
    if not rows:
        return "no snapshots\n"
    header = ("ID", "DATE (UTC)", "ORGANIZATION", "STATUS", "SIZE")
    lines = [
        (r["short_id"], r["time"].replace("T", " "), r["org"] or "-", r["status"], human_size(r["size"]))
        for r in rows
    ]
    if any(r.get("shard") for r in rows):  # sharded runs: a SHARD column (i/N, - for a whole run)
        header = header[:3] + ("SHARD",) + header[3:]
        lines = [line[:3] + (r.get("shard") or "-",) + line[3:] for line, r in zip(lines, rows)]
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
    out = []
    for line in [header, *lines]:
        cells = [str(c).ljust(w) for c, w in zip(line[:-1], widths)] + [str(line[-1]).rjust(widths[-1])]
        out.append("  ".join(cells).rstrip())
    out.append(f"{len(rows)} snapshot{'s' if len(rows) != 1 else ''}")
    return "\n".join(out) + "\n"


# The size cache: CACHE/.state/snapshot-sizes.json, only where the cache exists


def size_cache_path(config: Config) -> Path | None:
    if not config.cache_dir.is_dir():
        return None  # a machine that only restores: no cache to keep sizes in
    return CachePaths(config.cache_dir).snapshot_sizes


def read_size_cache(path: Path | None) -> dict[str, int]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, int)}


def write_size_cache(path: Path | None, sizes: dict[str, int], *, keep: set[str] | None) -> None:
    """Keep only snapshots that still exist (when all were listed); never fail the command."""
    if path is None:
        return
    if keep is not None:
        sizes = {k: v for k, v in sizes.items() if k in keep}
    try:
        write_json_atomically(path, sizes, indent=None)
    except OSError as exc:
        log.debug("snapshot sizes not cached: %s", exc)
