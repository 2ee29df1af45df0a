#!/bin/sh
# The image's entry point (under tini): orgbackup's own commands and options go
# to orgbackup; anything else runs as a command, so that
# `docker run --rm -it IMAGE sh` or `docker compose run --rm backup restic snapshots`
# work as in the official images.  The commands are orgbackup.cli.SUBCOMMANDS
# (tests/end_to_end/test_image.py runs each of them through this script).
set -e
case "${1:-}" in
    ""|backup|restore|restore-to-github|snapshots|status|verify|prune|-*)
        exec python /app/entrypoint.py "$@"
        ;;
esac
exec "$@"
