"""A world on disk: world.json read and replaced atomically, the writers' lock (threads and
processes), the mark that truth.json lags behind a lazy write, and copying a world."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import threading
from pathlib import Path


def write_atomic(path: Path, data: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(data)
    os.replace(tmp, path)


def load_world(root: Path) -> dict:
    return json.loads((Path(root) / "world.json").read_text())


CREATE_LOCK = threading.RLock()
_HELD = threading.local()  # the roots whose world_lock this thread holds (the lock is reentrant)
STALE = "truth.stale"      # present while truth.json lags behind world.json (see mutate.write_world)


@contextlib.contextmanager
def world_lock(root: Path):
    """The writers' lock: threads of this process (a lock) and other processes (flock on root/world.lock).
    Reentrant in one thread (truth() takes it, and is called by writers that hold it)."""
    key = str(Path(root).resolve())
    held = _HELD.__dict__.setdefault("roots", set())
    if key in held:
        yield
        return
    with CREATE_LOCK:
        with open(Path(root) / "world.lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            held.add(key)
            try:
                yield
            finally:
                held.discard(key)
                fcntl.flock(f, fcntl.LOCK_UN)


def truth_is_stale(root: Path) -> bool:
    """Has a lazy write changed world.json since truth.json was last written?"""
    return (Path(root) / STALE).exists()


def copy_world(src: Path, dst: Path) -> Path:
    """A copy of the world in `src` at `dst` (conftest.py copies the session's template for each test)."""
    shutil.copytree(src, dst, symlinks=True)
    return Path(dst)
