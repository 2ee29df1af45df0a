"""python -m tests.github_emulator build|mutate|serve --root DIR ..."""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path

from .server import start
from .mutate import mutate
from .scenario import build_world


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.github_emulator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="make a world in an empty directory")
    build.add_argument("--root", required=True, type=Path)
    build.add_argument("--seed", type=int, default=0)
    build.add_argument("--extra-repos", type=int, default=0)
    build.add_argument("--megabytes", type=float, default=0)
    sub.add_parser("mutate", help="simulate a day of activity").add_argument("--root", required=True, type=Path)
    serve = sub.add_parser("serve", help="serve a world over HTTPS until SIGTERM/SIGINT")
    serve.add_argument("--root", required=True, type=Path)
    serve.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    if args.command == "build":
        started = time.monotonic()
        build_world(args.root, seed=args.seed, extra_repos=args.extra_repos, megabytes=args.megabytes)
        print(f"built {args.root} in {time.monotonic() - started:.2f}s; truth: {args.root / 'truth.json'}")
    elif args.command == "mutate":
        mutate(args.root)
        print(f"mutated {args.root}; truth: {args.root / 'truth.json'}")
    else:
        if not (args.root / "world.json").is_file():
            print(f"python -m tests.github_emulator serve: no world in {args.root}: make one first with "
                  f"`python -m tests.github_emulator build --root {args.root}`", file=sys.stderr)
            return 2
        emulator = start(args.root, port=args.port)
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        print(json.dumps({"host": emulator.host, "base_url": emulator.base_url, "api_url": emulator.api_url,
                          "ca_file": str(emulator.ca_file), "admin_token_file": str(emulator.admin_token_file),
                          "reader_token_file": str(emulator.reader_token_file)}, indent=1), flush=True)
        stop.wait()
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
