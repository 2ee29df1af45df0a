"""`python -m bench.launcher --report FILE (--script PATH | --module NAME | --exec) -- ARGS...`

Runs one program and writes, when it ends, what it cost as JSON to FILE:
its own peak resident memory (VmHWM of THIS process, which is the
measured Python program itself when it runs in-process with --script or
--module), and the CPU time of this process and of all the children it
waited for.

--script PATH   run a Python script in this process (runpy.run_path), argv = PATH ARGS
--module NAME   run a Python module in this process (runpy.run_module), argv = NAME ARGS
--exec          start ARGS as a child process (for programs that are not Python)
"""

from __future__ import annotations

import argparse
import json
import resource
import runpy
import subprocess
import sys
import time


def peak_rss_kb(fallback: int) -> int:
    """VmHWM of this process's memory (not ru_maxrss: Linux carries ru_maxrss over fork and
    exec, so it would report the benchmark harness's own size as this program's peak)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return fallback


def usage() -> dict:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "self_maxrss_kb": peak_rss_kb(me.ru_maxrss),
        "self_cpu_s": me.ru_utime + me.ru_stime,
        "children_cpu_s": kids.ru_utime + kids.ru_stime,
        "children_maxrss_kb": kids.ru_maxrss,
    }


def write_report(path: str, exit_status: int, started: float) -> None:
    report = dict(usage(), exit_status=exit_status, wall_s=time.monotonic() - started)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f)


def exit_status_of(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.launcher")
    parser.add_argument("--report", required=True)
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--script")
    how.add_argument("--module")
    how.add_argument("--exec", action="store_true")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args()
    args = ns.args[1:] if ns.args[:1] == ["--"] else ns.args
    started = time.monotonic()
    status = 0
    try:
        if ns.exec:
            status = subprocess.call(args)
        elif ns.script:
            sys.argv = [ns.script] + args
            runpy.run_path(ns.script, run_name="__main__")
        else:
            sys.argv = [ns.module] + args
            runpy.run_module(ns.module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        status = exit_status_of(exc)
    except BaseException:  # the measured program crashed: still report what it cost
        import traceback

        traceback.print_exc()
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    write_report(ns.report, status, started)
    sys.exit(status)


if __name__ == "__main__":
    main()
