#!/usr/bin/env python3
"""The image's entry point: `entrypoint.py [backup|snapshots|restore|restore-to-github|status|verify|prune] ...`."""

import sys

from orgbackup.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
