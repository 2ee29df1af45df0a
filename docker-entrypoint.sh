#!/bin/sh
# The image's entry point (under tini): orgbackup's own commands and options go
# to orgbackup; anything else runs as a command, so that
# `docker run --rm -it IMAGE sh` or `docker compose run --rm backup restic snapshots`
# work as in the official images.
set -e
case "${1:-}" in
    ""|backup|restore|verify|snapshots|-*)
        exec python /app/entrypoint.py "$@"
        ;;
esac
exec "$@"
