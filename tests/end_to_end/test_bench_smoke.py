"""The benchmark keeps working: `python -m bench.run --size small --latency-ms 0` runs both
procedures (first, unchanged, mutated) and writes the JSON with every row; `bench.plot` draws it
and refuses what is not a result.

Times are NOT asserted (they depend on the machine); docs/benchmark.md has the measurements.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.paths import ROOT


RUN_FIELDS = ("procedure", "run", "wall_s", "cpu_s", "steps", "requests", "data_added", "completeness")


def test_benchmark_small_size_produces_every_row(tmp_path):
    out = tmp_path / "bench-results"
    completed = subprocess.run(
        [sys.executable, "-m", "bench.run", "--size", "small", "--latency-ms", "0", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads((out / "bench-latest.json").read_text())
    (case,) = report["cases"]
    assert (case["repos"], case["megabytes"], case["latency_ms"]) == (16, 2.0, 0)
    rows = {(r["procedure"], r["run"]): r for r in case["records"]}
    assert set(rows) == {(p, r) for p in ("original", "product") for r in ("first", "unchanged", "mutated")}
    for key, row in rows.items():
        for field in RUN_FIELDS:
            assert field in row, (key, field)
        assert row["steps"], key
        assert set(row["requests"]) >= {"api", "git", "lfs"}, key
        assert row["completeness"]["expected"] > 0, key
    # the counting works: the original procedure's github-backup clones do come back from restic
    assert rows[("original", "first")]["completeness"]["found"] > 0
    assert set(case["targets"]) == {"first_wall_vs_original", "unchanged_wall_vs_first", "unchanged_api_vs_first",
                                    "unchanged_data_added_bytes", "mutated_completeness", "wrapper_peak_mb",
                                    "unchanged_api_per_repository", "first_api_per_repository", "restore_vs_bare_restic",
                                    "first_api_vs_original", "bytes_served_vs_data", "cache_vs_data",
                                    "unchanged_wall_s"}
    assert all(case["targets"][name]["value"] is not None for name in case["targets"]), case["targets"]
    # the cache's clones split into objects, working trees and git's other files, every inode once
    for key in (("product", "first"), ("original", "first")):
        b = rows[key]["extra"]["bytes"]
        assert b["cache_objects"] > 0 and b["cache_working_tree"] > 0 and b["cache_git_other"] > 0, key
        assert b["cache_objects"] + b["cache_working_tree"] + b["cache_git_other"] == b["cache_git_lfs"], key
    # the restore timing: two turns each, in both orders, the best of each compared
    restore = rows[("product", "first")]["extra"]["restore"]
    assert (restore["product_exit"], restore["restic_exit"]) == (0, 0), restore
    assert len(restore["product_runs_s"]) == len(restore["restic_runs_s"]) == 2
    assert (restore["product_s"], restore["restic_s"]) == (min(restore["product_runs_s"]), min(restore["restic_runs_s"]))
    assert case["targets"]["restore_vs_bare_restic"]["value"] == restore["ratio"]
    # the table for people is printed and saved
    assert "| original | first |" in completed.stdout and "| product | mutated |" in completed.stdout
    assert list(out.glob("bench-*.md"))
    assert not (out / "work").exists()  # the working folder is removed unless --keep

    # the plot of the same result: a PNG, and its figures as a table
    png = tmp_path / "plot.png"
    plotted = subprocess.run([sys.executable, "-m", "bench.plot", str(out / "bench-latest.json"), "--out", str(png)],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert plotted.returncode == 0, plotted.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    first = rows[("product", "first")]
    assert f"| product | first | {case['world_repos']} | {first['wall_s']:g} | {first['requests']['api']} |" in plotted.stdout


def test_plot_refuses_what_is_not_a_result(tmp_path):
    bad = tmp_path / "bench-latest.json"
    bad.write_text("{}")
    png = tmp_path / "plot.png"
    completed = subprocess.run([sys.executable, "-m", "bench.plot", str(bad), "--out", str(png)],
                               cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1 and "not a bench.run result" in completed.stderr
    assert not png.exists()
