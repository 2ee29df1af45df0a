"""The restic binaries the restic-facing tests run against: the host's (Debian 12's 0.14
in CI) and Debian trixie's (0.18), the one the image ships, which .ci/restic-trixie.sh
unpacks (ORGBACKUP_TEST_RESTIC_TRIXIE names its binary; default the folder that script
fills).  The fixture `restic_binary` (tests/conftest.py) runs a test once with each.

Their outputs differ where the product reads them: 0.17+ has the exit codes 10 (no
repository) and 12 (wrong password), prints its errors as JSON with --json, waits for a
lock itself (--retry-lock) and retries a backend it cannot reach for up to 15 minutes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

TRIXIE_DEFAULT = Path("/opt/orgbackup-ci/restic-trixie/usr/bin/restic")


def trixie_binary() -> Path:
    return Path(os.environ.get("ORGBACKUP_TEST_RESTIC_TRIXIE") or TRIXIE_DEFAULT)


def version_of(binary: str | Path | None) -> str | None:
    """'0.14.0' of `restic version`, or None when it is not there or does not run."""
    if not binary or not Path(binary).is_file():
        return None
    try:
        out = subprocess.run([str(binary), "version"], capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return None
    words = out.split()
    return words[1] if len(words) > 1 and words[0] == "restic" else None


def binaries() -> list[tuple[str, str, Path | None, str | None]]:
    """(test id, "host" or "trixie", binary, version) of the host's restic and of trixie's."""
    host = shutil.which("restic")
    trixie = trixie_binary()
    found = []
    for kind, binary in (("host", Path(host) if host else None), ("trixie", trixie)):
        version = version_of(binary)
        found.append((f"restic-{version or kind + '-missing'}", kind, binary, version))
    return found
