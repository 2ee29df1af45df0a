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

from orgbackup.actions.session import session
from orgbackup.cache.json_files import write_json_atomically
from orgbackup.cache.layout import CachePaths
from orgbackup.config.secret_files import SecretFiles
from orgbackup.config.settings import Config
from orgbackup.errors import EXIT_OK
from orgbackup.results import RunResult
from orgbackup.snapshots.select import snapshot_status
from orgbackup.times import iso_utc, parse_rfc3339
from orgbackup.tools import restic, restic_output

log = logging.getLogger(__name__)


def run_snapshots(config: Config, *, org: str | None, as_json: bool) -> RunResult:
    with session(config) as held:
        rows = list_rows(config, held.files, org=org)
    sys.stdout.write(json.dumps(rows) + "\n" if as_json else format_table(rows))
    sys.stdout.flush()
    return RunResult("snapshots", EXIT_OK)


def list_rows(config: Config, files: SecretFiles, *, org: str | None) -> list[dict]:
    """The snapshots of `config.host_name` (of one organization), oldest first, with sizes."""
    result = restic.run_restic(files, restic.snapshots(host=config.host_name), timeout=600)
    snaps = [  # organization names compare case-insensitively, as on GitHub
        s for s in restic_output.parse_snapshots(result.stdout)
        if not org or (s.org or "").lower() == org.lower()
    ]
    recorded = restic_output.parse_snapshot_sizes(result.stdout)
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


def snapshot_row(snap: restic_output.Snapshot, size: int | None) -> dict:
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


def snapshot_size(files: SecretFiles, snapshot_id: str) -> int | None:
    try:
        result = restic.run_restic(files, restic.stats(snapshot_id), timeout=3600)
    except restic_output.ResticError as exc:
        log.warning("size of snapshot %s unknown: %s", snapshot_id[:8], exc)
        return None
    return restic_output.parse_stats_size(result.stdout)


# Choosing snapshots (restore and verify)


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
