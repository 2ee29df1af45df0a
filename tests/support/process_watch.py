"""Watching every process of the machine while a test runs: which of them hold a secret in their
command line (the token must be in no program's arguments: docs/security.md)."""

from __future__ import annotations

import os
import threading


class CmdlineSampler(threading.Thread):
    """Reads every process's /proc/PID/cmdline every 20 ms; counts those holding the secret."""

    def __init__(self, secret: str):
        super().__init__(daemon=True)
        self.secret = secret.encode()
        self.hits: list[str] = []
        self.samples = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                        cmdline = f.read()
                except OSError:
                    continue
                if self.secret in cmdline:
                    self.hits.append(cmdline.split(b"\0", 2)[0].decode(errors="replace"))
            self.samples += 1
            self.stop.wait(0.02)
