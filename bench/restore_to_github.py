"""`python -m bench.restore_to_github`: restore-to-github measured on the GitHub emulator.

    python -m bench.restore_to_github --size large --latency-ms 0 --out bench-results/
    python -m bench.restore_to_github --size small

One world of the size (bench.run's: small = 16 repositories / 2 MB, large = 60 / 200 MB) with an
empty target organization; the product's backup of the source runs once (recorded, as setup), then
each step below runs as a child process, measured (wall, CPU with children, peak RSS of the
process itself and of its largest child), with the emulator's counters reset before it:

  1 dry-run      restore-to-github --dry-run
  2 restore      restore-to-github, pacing off (RESTORE_REQUESTS_PER_MINUTE/_HOUR = 1000000):
                 everything but the wikis (GitHub has no API that makes a wiki's repository): exit 3
  3 resume       create_wiki for every repository whose manifest has wiki refs, the same command
                 again: only the wiki refs may be created: exit 0
  4 backup-target  entrypoint.py backup of the target; then both snapshots restored with restic and
                 compared (tests/support/backup_compare.differences, must be [])
  5 restic-restore  a bare `restic restore` of the source snapshot, for scale

Per step also the content-creating requests from its summary JSON (`content_requests`: the dry
run's plan, the restore's creates, PATCHes, PUTs and uploads sent) and what those would take at GitHub's documented secondary
limits (80 a minute and 500 an hour: N / 80 minutes up to 500, N / 500 hours above).
The table goes to standard output and OUT/restore-to-github-<stamp>.md, everything to .json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from tests.support.backup_compare import differences, summary as tree_summary
from tests.github_emulator import start
from tests.github_emulator.mutate import add_org, create_wiki
from tests.github_emulator.store import copy_world, load_world

from . import measure as m
from .product import product_env, summary_of
from .run import ORG, PASSWORD, SIZES, base_repo_count, build_template, clean_base_env, prepare_home, say, \
    source_version, template_dir

TARGET = "V-Sekai-Restored"
ENTRYPOINT = str(m.REPO_ROOT / "entrypoint.py")
GITHUB_PER_MINUTE, GITHUB_PER_HOUR = 80, 500
UNPACED = {"RESTORE_REQUESTS_PER_MINUTE": "1000000", "RESTORE_REQUESTS_PER_HOUR": "1000000"}


def at_github_limits(requests: int | None) -> dict:
    """Seconds the same number of content-creating requests takes at 80/min and 500/h."""
    if requests is None:
        return {"seconds": None, "text": "-"}
    if requests <= GITHUB_PER_HOUR:
        seconds = requests / GITHUB_PER_MINUTE * 60
        text = f"{seconds / 60:.1f} min"
    else:
        seconds = requests / GITHUB_PER_HOUR * 3600
        text = f"{seconds / 3600:.1f} h"
    return {"seconds": round(seconds), "text": text}


def snapshot_of(renv: dict, org: str) -> str:
    out = m.restic(["snapshots", "--json", "--no-lock", "--tag", f"org:{org}"], renv).stdout
    snaps = json.loads(out or "[]")
    if not snaps:
        raise RuntimeError(f"no snapshot of {org}")
    return snaps[-1]["id"]


def restored_tree(renv: dict, org: str, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    m.restore(snapshot_of(renv, org), target, renv)
    return target / org


def wiki_repositories(org_dir: Path) -> list[str]:
    manifest = json.loads((org_dir / "manifest.json").read_text())
    return sorted(name for name, rec in (manifest.get("repositories") or {}).items()
                  if (rec.get("wiki") or {}).get("refs"))


class Bench:
    def __init__(self, work: Path, latency_ms: int, timeout: float | None):
        self.work, self.latency_ms, self.timeout = work, latency_ms, timeout
        self.rows: list[dict] = []
        self.notes: list[str] = []

    def step(self, name: str, how: str, target: str | None, args: list[str], env: dict, emulator,
             content_key: str | None = None) -> tuple[dict, dict]:
        say(f"{name}: {' '.join(args)}")
        emulator.reset_counters()
        load_before = os.getloadavg()[0]
        step, stdout = m.run_step(name, how, target, args, env=env, log_dir=self.work / "logs",
                                  timeout=self.timeout)
        counters = emulator.counters()
        last = summary_of(stdout) if how != "exec" else {}
        content = last.get(content_key) if content_key else None
        row = {"step": name, "wall_s": round(step.wall_s, 2), "cpu_s": round(step.cpu_s, 2),
               "peak_mb": round(step.self_peak_kb / 1024, 1),
               "children_peak_mb": round(step.children_peak_kb / 1024, 1),
               "exit_status": step.exit_status, "error": step.error, "log": step.log,
               "requests": {k: counters.get(k) for k in ("api", "git", "lfs", "writes", "assets", "graphql")},
               "content_requests": content, "at_github_limits": at_github_limits(content),
               "load_avg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)], "summary": last}
        self.rows.append(row)
        say(f"{name}: wall {row['wall_s']}s cpu {row['cpu_s']}s peak {row['peak_mb']}MB exit {step.exit_status} "
            f"counters {row['requests']} content {content}")
        return row, last


def run_case(size: str, latency_ms: int, work: Path, timeout: float | None) -> dict:
    repos, megabytes, shape = SIZES[size]
    template = build_template(template_dir(work, repos, megabytes, shape), repos, megabytes, base_repo_count(), shape)
    case_dir = work / f"restore-{size}-{latency_ms}ms"
    shutil.rmtree(case_dir, ignore_errors=True)
    case_dir.mkdir(parents=True)
    world = copy_world(template, case_dir / "world")
    add_org(world, TARGET)
    case = {"size": size, "repos": len(load_world(world)["orgs"][ORG]["repos"]), "megabytes": megabytes,
            "latency_ms": latency_ms, "target_org": TARGET, "rows": [], "differences": None, "notes": []}
    bench = Bench(case_dir, latency_ms, timeout)
    case["rows"], case["notes"] = bench.rows, bench.notes
    emulator = start(world)
    try:
        emulator.set_faults(latency_ms=latency_ms) if latency_ms else emulator.set_faults()
        home = case_dir / "home"
        env = clean_base_env(home, emulator)
        prepare_home(home, env)
        repository = case_dir / "restic-repo"
        renv = m.restic_env(env, repository, PASSWORD)
        m.restic_init(renv)
        (case_dir / "empty.env").write_text("# the benchmark's configuration is in the environment\n")
        penv = dict(product_env(env, host=emulator.host, token_file=emulator.admin_token_file,
                                repository=repository, password=PASSWORD, cache_dir=case_dir / "cache",
                                env_file=case_dir / "empty.env"), **UNPACED)
        to_github = ["restore-to-github", "--org", ORG, "--to-org", TARGET]

        bench.step("0 backup of the source (setup)", "script", ENTRYPOINT, ["backup"], penv, emulator)
        source = restored_tree(renv, ORG, case_dir / "source-tree")
        wikis = wiki_repositories(source)
        case["wikis"] = wikis

        bench.step("1 dry run", "script", ENTRYPOINT, to_github + ["--dry-run"], penv, emulator,
                   "content_requests")
        first, _ = bench.step("2 restore (pacing off)", "script", ENTRYPOINT, to_github, penv, emulator,
                              "content_requests")
        for name in wikis:
            create_wiki(world, TARGET, name)  # the person opens each wiki once
        resume, last = bench.step(f"3 resume after create_wiki ({len(wikis)})", "script", ENTRYPOINT, to_github,
                                  penv, emulator, "content_requests")
        created = last.get("created") or {}
        if set(created) - {"wiki refs"} or last.get("created_now"):
            bench.notes.append(f"the resume created more than wiki refs: created {created}, "
                               f"created_now {last.get('created_now')}")
        if (first["exit_status"], resume["exit_status"]) != (3, 0):
            bench.notes.append(f"restore exit statuses {first['exit_status']} then {resume['exit_status']} "
                               f"(expected 3 then 0)")

        target_env = dict(penv, GITHUB_ORGS=TARGET)
        backup_row, _ = bench.step("4 backup of the target", "script", ENTRYPOINT, ["backup"], target_env, emulator)
        started = time.monotonic()
        try:
            source_again = restored_tree(renv, ORG, case_dir / "compare-source")
            copy = restored_tree(renv, TARGET, case_dir / "compare-target")
            diffs = differences(source_again, copy)
            case["differences"] = diffs
            case["compared"] = tree_summary(source_again)
            if diffs:
                bench.notes.append(f"{len(diffs)} differences: {diffs[:10]}")
        except Exception as exc:  # noqa: BLE001 -- recorded
            traceback.print_exc()
            case["differences"] = [f"comparison failed: {type(exc).__name__}: {exc}"]
            bench.notes.append(case["differences"][0])
        case["compare_seconds"] = round(time.monotonic() - started, 1)
        shutil.rmtree(case_dir / "compare-source", ignore_errors=True)
        shutil.rmtree(case_dir / "compare-target", ignore_errors=True)

        scale = case_dir / "restic-restore"
        bench.step("5 restic restore of the source", "exec", None,
                   ["restic", "restore", snapshot_of(renv, ORG), "--target", str(scale), "--no-lock"], renv,
                   emulator)
        case["snapshot_bytes"] = m.tree_bytes(scale)
        shutil.rmtree(scale, ignore_errors=True)
    finally:
        emulator.stop()
    return case


def table(case: dict) -> str:
    lines = ["| step | wall s | CPU s | peak MB (self / child) | exit | API | git | LFS | writes | "
             "content requests | at 80/min + 500/h | load before / after |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in case["rows"]:
        q = r["requests"]
        exit_status = "T" if r["exit_status"] is None else r["exit_status"]
        content = "-" if r["content_requests"] is None else r["content_requests"]
        lines.append(f"| {r['step']} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | "
                     f"{r['peak_mb']:.0f} / {r['children_peak_mb']:.0f} | {exit_status} | {q['api']} | {q['git']} | "
                     f"{q['lfs']} | {q['writes']} | {content} | {r['at_github_limits']['text']} | "
                     f"{' / '.join(str(x) for x in r.get('load_avg_1min') or ['-'])} |")
    return "\n".join(lines)


def render(report: dict) -> str:
    parts = [f"# restore-to-github benchmark {report['started']} ({report['machine']}; "
             f"orgbackup at {report['source']})", "", f"`{report['command']}`", ""]
    for case in report["cases"]:
        diffs = case.get("differences")
        parts += [f"## {case['repos']} repositories / {case['megabytes']:g} MB / {case['latency_ms']} ms per request "
                  f"({case['size']})", "", table(case), "",
                  f"Wikis created by hand before the resume: {', '.join(case.get('wikis') or []) or 'none'}. "
                  f"Resume created: {(case['rows'][3]['summary'].get('created') if len(case['rows']) > 3 else '-')}.",
                  f"Comparison of both snapshots ({case.get('compare_seconds', '-')} s, restores included): "
                  + ("equal (`differences` = [])" if diffs == [] else f"{'not run' if diffs is None else diffs[:10]}")
                  + (f"; compared {case['compared']}" if case.get("compared") else "") + ".",
                  f"Source snapshot restored: {case.get('snapshot_bytes', 0) / 1024 / 1024:.0f} MiB."]
        if case.get("notes"):
            parts += ["", "Notes: " + "; ".join(case["notes"])]
        if case.get("error"):
            parts += ["", f"Error: {case['error']}"]
        parts.append("")
    return "\n".join(parts)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    p = argparse.ArgumentParser(prog="python -m bench.restore_to_github", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", choices=sorted(SIZES), default="small")
    p.add_argument("--latency-ms", type=int, default=0, help="per-request latency of the emulator")
    p.add_argument("--out", default="bench-results", help="folder for the JSON and Markdown results")
    p.add_argument("--work", help="working folder; default OUT/work")
    p.add_argument("--timeout", type=float, default=4 * 3600, help="seconds per measured program")
    p.add_argument("--keep", action="store_true", help="keep the working folder")
    args = p.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(args.work).resolve() if args.work else out / "work"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    report = {"started": stamp, "machine": f"{os.cpu_count()} CPUs, {sys.platform}",
              "command": " ".join(["python", "-m", "bench.restore_to_github", *argv]),
              "source": source_version(), "github_limits": {"per_minute": GITHUB_PER_MINUTE,
                                                            "per_hour": GITHUB_PER_HOUR}, "cases": []}
    try:
        report["cases"].append(run_case(args.size, args.latency_ms, work, args.timeout))
    except Exception as exc:  # noqa: BLE001 -- what was measured is still written
        traceback.print_exc()
        report["cases"].append({"size": args.size, "repos": "?", "megabytes": SIZES[args.size][1],
                                "latency_ms": args.latency_ms, "rows": [], "error": f"{type(exc).__name__}: {exc}"})
    json_path, md_path = out / f"restore-to-github-{stamp}.json", out / f"restore-to-github-{stamp}.md"
    json_path.write_text(json.dumps(report, indent=1, default=str))
    text = render(report)
    md_path.write_text(text)
    print(text)
    print(f"JSON: {json_path}\nTable: {md_path}", file=sys.stderr)
    if not args.keep:
        shutil.rmtree(work / f"restore-{args.size}-{args.latency_ms}ms", ignore_errors=True)
    failed = any(c.get("error") or c.get("differences") for c in report["cases"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
