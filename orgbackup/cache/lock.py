"""One run at a time per cache: an exclusive lock file that the kernel releases if we die."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from orgbackup.errors import LockedError

LOCK_NAME = ".orgbackup.cache.lock"


@contextmanager
def cache_lock(cache_dir: Path):
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise LockedError(
                f"another run (pid {holder}) holds the cache {cache_dir}; try again when it ends"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)
