"""`python -m bench.run`: this product against the original procedure, on the GitHub emulator.

    python -m bench.run --size small --latency-ms 0 --latency-ms 100 --out bench-results/
    python -m bench.run --repos 16 --megabytes 2 --latency-ms 0

For each size and latency, on identical copies of the same emulator world, each procedure
makes a first run, a re-run with nothing changed, and a re-run after the emulator's
`mutate` (one simulated day of activity). Per run: wall and CPU time (children included),
peak memory of the wrapper process (for the original: of its largest Python tool process),
API / git / LFS / asset requests (the emulator's counters), bytes added to the restic
repository, and completeness (the latest snapshot restored and counted against truth).
A table for people goes to standard output (and OUT/*.md), the JSON to OUT/*.json.
A failing run is recorded, never fatal.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from tests.github_emulator import start
from tests.github_emulator.mutate import mutate
from tests.github_emulator.scenario import build_world
from tests.github_emulator.store import copy_world, load_world
from tests.github_emulator.truth import truth
from tests.support.truth_compare import ITEM_KINDS, compare_org, count_items

from . import measure as m
from .original import run_original
from .product import product_env, run_product

ORG = "V-Sekai"
# name: (repositories, MB of git data in the extra ones, world shape); "scale" is
# scale.build_scale: three big repositories with long histories, uneven sizes, issues by Zipf
SIZES = {"small": (16, 2.0, "even"), "large": (60, 200.0, "even"),
         "medium": (300, 600.0, "scale"), "xlarge": (1000, 2048.0, "scale")}
RUNS = ("first", "unchanged", "mutated")
PROCEDURES = ("original", "product")
PASSWORD = "bench-restic-password"
MIB = 1024 * 1024
TARGETS = {
    "first_wall_vs_original": 0.5,
    "unchanged_wall_vs_first": 0.15,
    "unchanged_api_vs_first": 0.2,
    "unchanged_data_added_bytes": MIB,
    "mutated_completeness": 1.0,
    "wrapper_peak_mb": 200,
    "unchanged_api_per_repository": 0.1,  # issue 13: batch change detection
    "first_api_per_repository": 8,  # issue 29: everything included, meant for the 300-repository size (medium)
    "restore_vs_bare_restic": 1.3,
    # issue 13, meant for the 1,000-repository size (xlarge)
    "first_api_vs_original": 0.5,
    "bytes_served_vs_data": 1.1,
    "cache_vs_data": 1.5,
    "unchanged_wall_s": 60,
}



def say(*parts) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the world


def base_repo_count() -> int:
    """How many repositories the default world's organization has (extra repositories add to it)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-base-world-") as tmp:
        root = build_world(Path(tmp) / "w")
        return len(load_world(root)["orgs"][ORG]["repos"])


def template_dir(work: Path, repos: int, megabytes: float, shape: str) -> Path:
    return work / (f"template-{repos}-{megabytes:g}" + ("" if shape == "even" else f"-{shape}"))


def build_template(root: Path, repos: int, megabytes: float, base: int, shape: str = "even") -> Path:
    if (root / "world.json").exists():
        return root
    if root.exists():
        shutil.rmtree(root)
    extra = max(0, repos - base)
    say(f"building the world ({shape}): {base} + {extra} repositories, {megabytes} MB in the extra ones")
    started = time.monotonic()
    build_world(root, extra_repos=extra, megabytes=megabytes, shape=shape)
    truth(root)
    say(f"world built in {time.monotonic() - started:.0f} s")
    return root


# ------------------------------------------------------------------ environments


def clean_base_env(home: Path, emulator) -> dict:
    """The environment every measured program gets: hermetic git, the emulator's CA, no stray secrets."""
    drop = ("GIT_", "GITHUB_", "RESTIC_", "BACKUP_", "ORGBACKUP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(emulator.env())
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0",
               XDG_CACHE_HOME=str(home / ".cache"), PYTHONDONTWRITEBYTECODE="1")
    env.pop("XDG_CONFIG_HOME", None)
    return env


def prepare_home(home: Path, env: dict) -> None:
    """A user's HOME with git-lfs installed (`git lfs install`), as either procedure's host has."""
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "lfs", "install", "--skip-repo"], env=env, capture_output=True, check=False)


# ------------------------------------------------------------------ completeness


def completeness(procedure: str, measure: m.RunMeasure, expected: dict, renv: dict, where: Path,
                 dirs: tuple[Path, Path] | None) -> dict:
    """Restore the run's snapshot (or the latest) and count found / expected items."""
    target = where / "restore"
    shutil.rmtree(target, ignore_errors=True)
    snapshot = measure.extra.get("snapshot_id") or "latest"
    try:
        m.restore(snapshot, target, renv)
        if procedure == "original":
            backup_dir, gitim_dir = dirs
            view = where / "restore-view"
            shutil.rmtree(view, ignore_errors=True)
            view.mkdir(parents=True)
            (view / "github-backup").symlink_to(target / backup_dir.relative_to("/"))
            (view / "gitim").symlink_to(target / gitim_dir.relative_to("/"))
            org_dir = view
        else:
            org_dir = target / ORG
        counts = count_items(ORG, expected, org_dir)
        diffs = compare_org(ORG, expected, org_dir)
    except Exception as exc:  # noqa: BLE001 -- recorded, not fatal
        return {"error": f"{type(exc).__name__}: {exc}", "found": 0,
                "expected": sum_expected(expected), "ratio": 0.0}
    finally:
        shutil.rmtree(target, ignore_errors=True)
        shutil.rmtree(where / "restore-view", ignore_errors=True)
    found = sum(f for f, _ in counts.values())
    total = sum(e for _, e in counts.values())
    return {"found": found, "expected": total, "ratio": (found / total) if total else 1.0,
            "by_kind": counts, "differences": len(diffs), "first_differences": diffs[:15]}


def sum_expected(expected: dict) -> int:
    import tempfile

    with tempfile.TemporaryDirectory() as empty:
        return sum(e for _, e in count_items(ORG, expected, Path(empty)).values())


# ------------------------------------------------------------------ one procedure, three runs


def emulator_faults(latency_ms: int, rate_limit: int | None) -> dict:
    """The emulator's faults for a measured run: its latency, and an hourly budget other than
    GitHub's 5,000 (the big sizes' first run needs more: with `--rate-limit` both procedures
    are measured capturing everything; the product's planner would otherwise defer)."""
    return {k: v for k, v in (("latency_ms", latency_ms), ("rate_limit", rate_limit)) if v}


def run_procedure(procedure: str, template: Path, work: Path, latency_ms: int, timeout: float | None,
                  runs: tuple[str, ...], on_result, rate_limit: int | None = None) -> list[dict]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    world = copy_world(template, work / "world")
    results = []
    emulator = start(world)
    try:
        emulator.set_faults(**emulator_faults(latency_ms, rate_limit))
        home = work / "home"
        env = clean_base_env(home, emulator)
        prepare_home(home, env)
        repository = work / "restic-repo"
        renv = m.restic_env(env, repository, PASSWORD)
        m.restic_init(renv)  # both procedures start with an initialised, empty repository
        dirs = (work / "V-Sekai-Backup", work / "V-Sekai-gitim")
        penv = product_env(env, host=emulator.host, token_file=emulator.admin_token_file,
                           repository=repository, password=PASSWORD, cache_dir=work / "cache",
                           env_file=work / "empty.env")
        (work / "empty.env").write_text("# the benchmark's configuration is in the environment\n")
        for run in runs:
            say(f"{procedure}: {run} run (latency {latency_ms} ms)")
            if run == "mutated":
                mutate(world)
            expected = truth(world)
            before = m.tree_bytes(repository)
            load_before = os.getloadavg()[0]
            emulator.reset_counters()
            try:
                if procedure == "original":
                    result = run_original(run, host=emulator.host, api_url=emulator.api_url,
                                          token_file=emulator.admin_token_file, dirs=dirs, env=renv,
                                          log_dir=work / "logs" / run, timeout=timeout)
                else:
                    result = run_product(run, env=penv, log_dir=work / "logs" / run, timeout=timeout)
            except Exception as exc:  # noqa: BLE001 -- a broken run is a result too
                result = m.RunMeasure(procedure, run, error=f"{type(exc).__name__}: {exc}")
                traceback.print_exc()
            result.requests = emulator.counters()
            result.extra["api_by_route"] = emulator.routes()
            served = emulator.bytes_served()
            data = org_data_bytes(world)
            cache = [work / "cache" / ORG] if procedure == "product" else list(dirs)
            clones = m.disk_usage_by_part(*git_folders(procedure, work, dirs))
            result.extra["bytes"] = {"git_served": served["git"], "lfs_served": served["lfs"],
                                     "org_git_lfs_data": data, "cache_on_disk": m.disk_usage(*cache),
                                     "cache_git_lfs": sum(clones.values()),
                                     **{f"cache_{part}": size for part, size in clones.items()}}
            result.extra["load_avg_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            result.repo_bytes_before, result.repo_bytes_after = before, m.tree_bytes(repository)
            if result.data_added is None:
                result.data_added = max(0, result.repo_bytes_after - before)
                result.extra["data_added_from"] = "repository size delta"
            result.completeness = completeness(procedure, result, expected, renv, work / run, dirs)
            if procedure == "product" and run == "first" and result.extra.get("snapshot_id"):
                result.extra["restore"] = restore_times(result.extra["snapshot_id"], penv, renv, work / "restore-timing")
            record = dict(result.as_dict(), latency_ms=latency_ms)
            results.append(record)
            say(f"{procedure}: {run}: {row_text(record)}")
            on_result(record)
    finally:
        emulator.stop()
    return results


def restore_times(snapshot: str, penv: dict, renv: dict, where: Path) -> dict:
    """The product's restore of the whole organization (`entrypoint.py restore`: restic's
    restore into a staging folder, ownership, the rename into place) against a bare
    `restic restore` of the same snapshot, each into an empty folder.

    Both read a warm page cache (one restore before, not measured). They take turns
    (product, restic, then restic, product), so neither always goes first, and each one's
    best time counts: on 2 CPUs shared with the other procedure's run, the least disturbed
    run is the one that measures the program. Between them the written tree is removed and
    written back (`sync`), so that no restore pays for the previous one's 3 GB of dirty pages."""
    shutil.rmtree(where, ignore_errors=True)
    logs = where / "logs"
    m.run_step("restic-restore-warm-up", "exec", None,
               ["restic", "restore", snapshot, "--target", str(where / "warm-up")], env=renv, log_dir=logs)
    shutil.rmtree(where / "warm-up", ignore_errors=True)
    os.sync()
    steps: dict[str, list] = {"product": [], "restic": []}
    for turn, order in enumerate((("product", "restic"), ("restic", "product"))):
        for who in order:
            target = where / f"{who}-{turn}"
            if who == "product":
                step, _ = m.run_step(f"entrypoint-restore-{turn}", "script", str(m.REPO_ROOT / "entrypoint.py"),
                                     ["restore", "--target", str(target), "--snapshot", snapshot],
                                     env=penv, log_dir=logs)
            else:
                step, _ = m.run_step(f"restic-restore-{turn}", "exec", None,
                                     ["restic", "restore", snapshot, "--target", str(target)], env=renv, log_dir=logs)
            steps[who].append(step)
            shutil.rmtree(target, ignore_errors=True)
            os.sync()
    product = min(steps["product"], key=lambda step: step.wall_s)
    bare = min(steps["restic"], key=lambda step: step.wall_s)
    out = {"product_s": round(product.wall_s, 2), "restic_s": round(bare.wall_s, 2),
           "product_runs_s": [round(step.wall_s, 2) for step in steps["product"]],
           "restic_runs_s": [round(step.wall_s, 2) for step in steps["restic"]],
           "product_exit": next((s.exit_status for s in steps["product"] if s.exit_status != 0), 0),
           "restic_exit": next((s.exit_status for s in steps["restic"] if s.exit_status != 0), 0),
           "ratio": round(product.wall_s / bare.wall_s, 3) if bare.wall_s else None,
           "product_peak_mb": round(max(step.self_peak_kb for step in steps["product"]) / 1024, 1)}
    shutil.rmtree(where, ignore_errors=True)
    return out


def org_data_bytes(world: Path) -> int:
    """The organization's git + LFS data as the emulator keeps it (bare repositories and wikis,
    LFS objects), on disk as `du` counts it."""
    return m.disk_usage(world / "git" / ORG, world / "lfs" / ORG)


def git_folders(procedure: str, work: Path, dirs: tuple[Path, Path]) -> list[Path]:
    """The cache's git + LFS part: every clone (repository, wiki, working clone, mirror), not the JSON."""
    if procedure == "product":
        root = work / "cache" / ORG
        repositories, rest = root / "github-backup" / "repositories", [root / "gitim", root / "dependencies"]
    else:
        repositories, rest = dirs[0] / "repositories", [dirs[1]]
    clones = sorted(repositories.glob("*/repository")) + sorted(repositories.glob("*/wiki"))
    return clones + [p for p in rest if p.exists()]


# ------------------------------------------------------------------ tables


def floor_bytes(b: dict) -> int | None:
    """The cache's floor: every object once and one working tree per clone that has one (the
    snapshot's working clones are read from disk); None in results older than the split."""
    return b["cache_objects"] + b["cache_working_tree"] if "cache_objects" in b else None


def bytes_table(records: list[dict]) -> str:
    """Bytes git and LFS served for each run, and the cache on disk after it, against the data."""
    lines = ["| procedure | run | org git+LFS data | git served | LFS served | served / data | cache on disk | "
             "its clones | clones / data | objects + working trees / data |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in records:
        b = r.get("extra", {}).get("bytes")
        if not b:
            continue
        served = b["git_served"] + b["lfs_served"]
        lines.append(f"| {r['procedure']} | {r['run']} | {fmt_bytes(b['org_git_lfs_data'])} | "
                     f"{fmt_bytes(b['git_served'])} | {fmt_bytes(b['lfs_served'])} | "
                     f"{ratio(served, b['org_git_lfs_data'])} | {fmt_bytes(b['cache_on_disk'])} | "
                     f"{fmt_bytes(b.get('cache_git_lfs'))} | {ratio(b.get('cache_git_lfs'), b['org_git_lfs_data'])} | "
                     f"{ratio(floor_bytes(b), b['org_git_lfs_data'])} |")
    return "\n".join(lines)



def peak_mb(record: dict) -> float:
    """The wrapper's own peak RSS (product); for the original, its largest Python tool process."""
    steps = [s for s in record["steps"] if s["name"] != "restic-backup"] or record["steps"]
    return max((s["self_peak_kb"] for s in steps), default=0) / 1024


def row_text(r: dict) -> str:
    c = r["completeness"]
    return (f"wall {r['wall_s']:.1f}s cpu {r['cpu_s']:.1f}s peak {peak_mb(r):.0f}MB "
            f"api {r['requests'].get('api')} git {r['requests'].get('git')} lfs {r['requests'].get('lfs')} "
            f"added {fmt_bytes(r['data_added'])} complete {c.get('found')}/{c.get('expected')} ok={r['ok']}")


def fmt_bytes(n) -> str:
    if n is None:
        return "-"
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def exits(r: dict) -> str:
    """Exit statuses of the run's programs, in order (`T` timed out, `E` an error of the harness)."""
    codes = ["T" if s["exit_status"] is None else str(s["exit_status"]) for s in r["steps"]]
    return ",".join(codes) if codes and not r.get("error") else "E"


def ratio(a, b) -> str:
    if a is None or b in (None, 0):
        return "-"
    return f"{a / b:.2f}"


def table(records: list[dict]) -> str:
    head = ("| procedure | run | wall s | CPU s | peak MB | API | git | LFS | assets | data added | complete | exit |\n"
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    lines = [head]
    for r in records:
        q, c = r["requests"], r["completeness"]
        pct = f"{100 * c.get('ratio', 0):.1f}% ({c.get('found')}/{c.get('expected')})"
        lines.append(f"| {r['procedure']} | {r['run']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {peak_mb(r):.0f} | "
                     f"{q.get('api', '-')} | {q.get('git', '-')} | {q.get('lfs', '-')} | {q.get('assets', '-')} | "
                     f"{fmt_bytes(r['data_added'])} | {pct} | {exits(r)} |")
    return "\n".join(lines)


def ratios_table(records: list[dict]) -> str:
    by = {(r["procedure"], r["run"]): r for r in records}
    lines = ["| run | wall | CPU | peak MB | API | git | LFS | data added | completeness |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for run in RUNS:
        p, o = by.get(("product", run)), by.get(("original", run))
        if not (p and o):
            continue
        lines.append(
            f"| {run} | {ratio(p['wall_s'], o['wall_s'])} | {ratio(p['cpu_s'], o['cpu_s'])} | "
            f"{ratio(peak_mb(p), peak_mb(o))} | {ratio(p['requests'].get('api'), o['requests'].get('api'))} | "
            f"{ratio(p['requests'].get('git'), o['requests'].get('git'))} | "
            f"{ratio(p['requests'].get('lfs'), o['requests'].get('lfs'))} | "
            f"{ratio(p['data_added'], o['data_added'])} | "
            f"{ratio(p['completeness'].get('ratio'), o['completeness'].get('ratio'))} |")
    return "\n".join(lines)


def targets(records: list[dict], repos: int | None = None) -> dict:
    """The issue's targets, measured (meaningful at 60 repositories / 200 MB / 100 ms)."""
    by = {(r["procedure"], r["run"]): r for r in records}
    p1, p2, p3 = (by.get(("product", r)) for r in RUNS)
    o1 = by.get(("original", "first"))
    out = {}

    def check(name, value, limit, at_most=True):
        if value is None:
            out[name] = {"value": None, "target": limit, "met": None}
        else:
            out[name] = {"value": round(value, 4), "target": limit,
                         "met": bool(value <= limit if at_most else value >= limit)}

    check("first_wall_vs_original", p1 and o1 and o1["wall_s"] and p1["wall_s"] / o1["wall_s"],
          TARGETS["first_wall_vs_original"])
    check("unchanged_wall_vs_first", p1 and p2 and p1["wall_s"] and p2["wall_s"] / p1["wall_s"],
          TARGETS["unchanged_wall_vs_first"])
    check("unchanged_api_vs_first", p1 and p2 and p1["requests"].get("api") and
          p2["requests"]["api"] / p1["requests"]["api"], TARGETS["unchanged_api_vs_first"])
    check("unchanged_data_added_bytes", p2 and p2["data_added"], TARGETS["unchanged_data_added_bytes"])
    check("mutated_completeness", p3 and p3["completeness"].get("ratio"), TARGETS["mutated_completeness"],
          at_most=False)
    check("unchanged_api_per_repository", p2 and repos and p2["requests"].get("api") is not None and
          p2["requests"]["api"] / repos, TARGETS["unchanged_api_per_repository"])
    check("first_api_per_repository", p1 and repos and p1["requests"].get("api") is not None and
          p1["requests"]["api"] / repos, TARGETS["first_api_per_repository"])
    check("restore_vs_bare_restic", p1 and (p1.get("extra", {}).get("restore") or {}).get("ratio"),
          TARGETS["restore_vs_bare_restic"])
    product = [r for r in records if r["procedure"] == "product"]
    check("wrapper_peak_mb", max((peak_mb(r) for r in product), default=None) if product else None,
          TARGETS["wrapper_peak_mb"])
    check("first_api_vs_original", p1 and o1 and o1["requests"].get("api") and
          p1["requests"]["api"] / o1["requests"]["api"], TARGETS["first_api_vs_original"])
    b1 = (p1 or {}).get("extra", {}).get("bytes") or {}
    data = b1.get("org_git_lfs_data")
    check("bytes_served_vs_data", data and (b1["git_served"] + b1["lfs_served"]) / data,
          TARGETS["bytes_served_vs_data"])
    check("cache_vs_data", data and b1["cache_git_lfs"] / data, TARGETS["cache_vs_data"])
    check("unchanged_wall_s", p2 and p2["wall_s"], TARGETS["unchanged_wall_s"])
    return out


def targets_table(t: dict) -> str:
    lines = ["| target | measured | limit | met |", "| --- | ---: | ---: | --- |"]
    for name, v in t.items():
        met = {True: "yes", False: "NO", None: "-"}[v["met"]]
        lines.append(f"| {name} | {v['value']} | {'>=' if name == 'mutated_completeness' else '<='} {v['target']} | {met} |")
    return "\n".join(lines)


def render(report: dict) -> str:
    parts = [f"# Benchmark {report['started']} ({report['machine']}; orgbackup at {report.get('source', '?')})",
             "", f"`{report['command']}`", ""]
    for case in report["cases"]:
        parts += [f"## {case['repos']} repositories / {case['megabytes']} MB / {case['latency_ms']} ms per request",
                  "", table(case["records"]), "", "Ratios product / original:", "",
                  ratios_table(case["records"]), "", "Targets:", "", targets_table(case["targets"]), "",
                  "Bytes served by git and LFS, and the cache on disk (du, hard links once; its clones: "
                  "repositories, wikis, working clones, mirrors, without the JSON):", "",
                  bytes_table(case["records"]), ""]
    return "\n".join(parts)


# ------------------------------------------------------------------ main


def source_version() -> str:
    """The commit measured, and whether the working tree differed from it."""
    def git_out(*args):
        return subprocess.run(["git", *args], cwd=m.REPO_ROOT, capture_output=True, text=True).stdout.strip()

    head = git_out("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" + uncommitted changes" if git_out("status", "--porcelain", "--", "orgbackup") else "")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", action="append", choices=sorted(SIZES),
                   help="small = 16 repositories / 2 MB, large = 60 / 200 MB, medium = 300 / 600 MB, "
                        "xlarge = 1,000 / 2,048 MB (the last two: scale.build_scale's shape; repeatable)")
    p.add_argument("--repos", type=int, help="repositories in the organization (default world has 10)")
    p.add_argument("--megabytes", type=float, help="MB of git data spread over the extra repositories")
    p.add_argument("--scale", action="store_true", help="with --repos: scale.build_scale's shape, not even sizes")
    p.add_argument("--rate-limit", type=int, help="the emulator's hourly API budget (default GitHub's 5,000)")
    p.add_argument("--latency-ms", type=int, action="append", help="per-request latency (repeatable; default 0)")
    p.add_argument("--out", default="bench-results", help="folder for the JSON and Markdown results")
    p.add_argument("--work", help="working folder (worlds, caches, repositories); default OUT/work")
    p.add_argument("--procedures", default=",".join(PROCEDURES), help="original,product")
    p.add_argument("--runs", default=",".join(RUNS), help="first,unchanged,mutated")
    p.add_argument("--timeout", type=float, default=4 * 3600, help="seconds per measured program")
    p.add_argument("--keep", action="store_true", help="keep the working folder")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sizes = [SIZES[s] for s in args.size] if args.size else []
    if args.repos is not None or args.megabytes is not None or not sizes:
        sizes.append((args.repos or SIZES["small"][0],
                      args.megabytes if args.megabytes is not None else SIZES["small"][1],
                      "scale" if args.scale else "even"))
    latencies = args.latency_ms or [0]
    procedures = tuple(p for p in args.procedures.split(",") if p)
    runs = tuple(r for r in args.runs.split(",") if r)
    bad = [p for p in procedures if p not in PROCEDURES] + [r for r in runs if r not in RUNS]
    if bad:
        print(f"unknown procedure or run: {bad}", file=sys.stderr)
        return 2
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(args.work).resolve() if args.work else out / "work"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    report = {"started": stamp, "machine": f"{os.cpu_count()} CPUs, {sys.platform}",
              "command": " ".join(["python", "-m", "bench.run"] + (sys.argv[1:] if argv is None else list(argv))),
              "source": source_version(), "item_kinds": list(ITEM_KINDS), "targets": TARGETS, "cases": []}
    json_path, md_path = out / f"bench-{stamp}.json", out / f"bench-{stamp}.md"

    def save():
        json_path.write_text(json.dumps(report, indent=1, default=str))
        md_path.write_text(render(report))
        shutil.copyfile(json_path, out / "bench-latest.json")

    base = base_repo_count()
    for repos, megabytes, shape in sizes:
        template = build_template(template_dir(work, repos, megabytes, shape), repos, megabytes, base, shape)
        for latency in latencies:
            case = {"repos": max(repos, base), "megabytes": megabytes, "latency_ms": latency, "shape": shape,
                    "rate_limit": args.rate_limit,
                    "world_repos": len(load_world(template)["orgs"][ORG]["repos"]), "records": [], "targets": {}}
            report["cases"].append(case)

            def on_result(record, case=case):
                case["records"].append(record)
                case["targets"] = targets(case["records"], case["world_repos"])
                save()

            for procedure in procedures:
                try:
                    run_procedure(procedure, template, work / f"{repos}-{megabytes:g}-{latency}ms" / procedure,
                                  latency, args.timeout, runs, on_result, args.rate_limit)
                except Exception as exc:  # noqa: BLE001 -- the other procedure still runs
                    traceback.print_exc()
                    case.setdefault("errors", []).append(f"{procedure}: {type(exc).__name__}: {exc}")
                    save()
            case["targets"] = targets(case["records"], case["world_repos"])
            save()
    save()
    print(render(report))
    print(f"\nJSON: {json_path}\nTable: {md_path}", file=sys.stderr)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
