"""`python -m bench.scrub_memo --files 1000000`: the token scrub's memo at millions of files.

The scrub remembers every file it found clean so that an unchanged file is not read
again (orgbackup/backup/stages/scrub.py). This measures, in a fresh process each, the peak
memory (VmHWM) and the time of loading the memo of N files and asking it about each
file, for the memo as the product keeps it (16-byte fingerprints) and, with `--json`,
for the earlier layout (a JSON object of path -> identity), which it replaced.
Synthetic paths of the cache's shape (about 75 characters); nothing touches the disk
besides the memo file itself.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def synthetic_files(n: int):
    """(key, identity) of n files shaped like the cache's: repositories, folders, files."""
    for i in range(n):
        key = f"github-backup/repositories/repo-{i % 1000:04d}/repository/src/module_{i // 1000:05d}/file_{i}.cpp"
        yield key, [1000 + i % 50000, 10_000_000 + i, 1_700_000_000_000_000_000 + i, 1_700_000_000_000_000_000 + i]


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(layout: str, n: int, folder: Path) -> dict:
    """Run in this process: write the memo of n files, then (measured) load it and ask about each."""
    from orgbackup.github.credentials import IssuedToken
    from orgbackup.backup.stages import scrub

    token = [IssuedToken("bench-token-" + "x" * 20, time.time())]
    path = folder / f"memo-{layout}"
    if layout == "fingerprints":
        prepared = bytearray()
        for k, i in synthetic_files(n):
            prepared += scrub.fingerprint(k, i)
        scrub.save_clean_memo(path, token, prepared)
        del prepared
    else:
        path.write_text(json.dumps({"tokens": [scrub.memo_key(token[0].token)],
                                    "files": {k: i for k, i in synthetic_files(n)}}))
    import gc

    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # Linux: VmHWM starts again from the current RSS
    base = peak_rss_mb()
    started = time.perf_counter()
    if layout == "fingerprints":
        # as run_scrub does: load the memo, ask it about every file, collect the new fingerprints
        memo = scrub.load_clean_memo(path, token)
        clean, known = bytearray(), 0
        for k, i in synthetic_files(n):
            if memo.knows(k, i):
                known += 1
                clean += scrub.fingerprint(k, i)
        scrub.save_clean_memo(path, token, clean)
    else:
        files = json.loads(path.read_text())["files"]
        known = sum(files.get(k) == i for k, i in synthetic_files(n))
    seconds = time.perf_counter() - started
    return {"layout": layout, "files": n, "known": known, "memo_file_mb": round(path.stat().st_size / 2**20, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1), "rss_before_load_mb": round(base, 1),
            "load_and_ask_s": round(seconds, 2)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scrub_memo", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--files", type=int, action="append", help="files in the memo (repeatable; default 1,000,000)")
    p.add_argument("--json", action="store_true", help="also measure the earlier JSON layout")
    p.add_argument("--one", nargs=2, metavar=("LAYOUT", "N"), help=argparse.SUPPRESS)  # the measured child
    args = p.parse_args(argv)
    if args.one:
        with tempfile.TemporaryDirectory(prefix="bench-scrub-memo-") as tmp:
            print(json.dumps(measure(args.one[0], int(args.one[1]), Path(tmp))))
        return 0
    layouts = ["fingerprints"] + (["json"] if args.json else [])
    print("| layout | files | memo file MB | peak RSS MB | load + ask s |\n| --- | ---: | ---: | ---: | ---: |")
    for n in args.files or [1_000_000]:
        for layout in layouts:
            out = subprocess.run([sys.executable, "-m", "bench.scrub_memo", "--one", layout, str(n)],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                print(f"| {layout} | {n} | failed: {out.stderr.strip().splitlines()[-1:]} | | |")
                continue
            r = json.loads(out.stdout)
            assert r["known"] == n, r  # every file is known clean: the memo answers right
            print(f"| {layout} | {n:,} | {r['memo_file_mb']} | {r['peak_rss_mb']} | {r['load_and_ask_s']} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
