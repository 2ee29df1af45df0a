"""`python -m bench.plot`: time, API requests and bytes from GitHub against the organization's size.

    python -m bench.plot bench-results/bench-*.json --out docs/benchmark-scale.png

Reads the JSON of one or more `bench.run` results, takes every case at one latency (the
highest found, or `--latency-ms`), and draws three panels against the number of
repositories, one line per procedure and run (first, unchanged, mutated).  The same figures
go to standard output as a Markdown table.  A later result of the same case replaces an
earlier one.  Exit 2 with one line on standard error for unreadable input or a missing
matplotlib (it is a benchmark dependency: `pip install -e '.[test]'`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

PANELS = (  # (title, unit, value of a record)
    ("Wall time", "s", lambda r: r.get("wall_s")),
    ("API requests", "requests", lambda r: (r.get("requests") or {}).get("api")),
    ("Bytes served by git and LFS", "MB", lambda r: _served_mb(r)),
)
STYLE = {"original": "--", "product": "-"}
MARKER = {"first": "o", "unchanged": "s", "mutated": "^"}


class PlotError(Exception):
    """Bad input: one line for the user, exit 2."""


def _served_mb(record: dict) -> float | None:
    b = (record.get("extra") or {}).get("bytes") or {}
    if "git_served" not in b:
        return None
    return round((b["git_served"] + b.get("lfs_served", 0)) / 1e6, 1)


def load_cases(paths: list[Path]) -> list[dict]:
    """Every case of every result, in the order given (later files win, see series)."""
    cases = []
    for path in paths:
        try:
            report = json.loads(path.read_text())
            cases += [dict(c, source=str(path)) for c in report["cases"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise PlotError(f"{path}: not a bench.run result ({type(exc).__name__}: {exc})") from None
    return cases


def series(cases: list[dict], latency_ms: int | None) -> tuple[int, dict]:
    """{(procedure, run): {repos: record}} of the cases at one latency."""
    latencies = {c.get("latency_ms", 0) for c in cases}
    if not latencies:
        raise PlotError("no cases in the results given")
    latency = max(latencies) if latency_ms is None else latency_ms
    if latency not in latencies:
        raise PlotError(f"no case at {latency} ms (found: {sorted(latencies)})")
    lines: dict = {}
    for case in cases:
        if case.get("latency_ms", 0) != latency:
            continue
        repos = case.get("world_repos") or case["repos"]
        for record in case["records"]:
            if record.get("error") and record.get("wall_s") is None:
                continue
            lines.setdefault((record["procedure"], record["run"]), {})[repos] = record
    return latency, lines


def markdown(lines: dict) -> str:
    rows = ["| procedure | run | repositories | wall s | API requests | MB from GitHub |",
            "| --- | --- | ---: | ---: | ---: | ---: |"]
    for (procedure, run), by_repos in sorted(lines.items()):
        for repos, record in sorted(by_repos.items()):
            values = [panel[2](record) for panel in PANELS]
            rows.append(f"| {procedure} | {run} | {repos} | " + " | ".join("-" if v is None else f"{v:g}"
                                                                          for v in values) + " |")
    return "\n".join(rows)


def draw(lines: dict, latency: int, out: Path) -> None:
    try:
        import matplotlib
    except ImportError:
        raise PlotError("matplotlib is not installed (pip install -e '.[test]')") from None
    matplotlib.use("Agg")  # no display: a file only
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(1, len(PANELS), figsize=(5 * len(PANELS), 4.2))
    for axis, (title, unit, value) in zip(axes, PANELS):
        for (procedure, run), by_repos in sorted(lines.items()):
            points = [(n, value(r)) for n, r in sorted(by_repos.items()) if value(r) is not None]
            if points:
                axis.plot([p[0] for p in points], [p[1] for p in points], STYLE.get(procedure, ":"),
                          marker=MARKER.get(run, "x"), label=f"{procedure}, {run}")
        axis.set_title(title)
        axis.set_xlabel("repositories")
        axis.set_ylabel(unit)
        axis.set_xscale("log")
        axis.set_yscale("symlog", linthresh=1)  # log, with room for the zeros of unchanged nights
        axis.set_ylim(bottom=0)
        axis.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize="small")
    figure.suptitle(f"orgbackup (product) against the original procedure, {latency} ms per request")
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    pyplot.close(figure)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m bench.plot", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", nargs="+", type=Path, help="bench.run JSON files")
    p.add_argument("--out", type=Path, default=Path("docs/benchmark-scale.png"), help="the PNG to write")
    p.add_argument("--latency-ms", type=int, help="the latency to plot (default: the highest found)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        latency, lines = series(load_cases(args.results), args.latency_ms)
        draw(lines, latency, args.out)
    except PlotError as exc:
        print(f"bench.plot: {exc}", file=sys.stderr)
        return 2
    print(markdown(lines))
    print(f"\nPlot: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
