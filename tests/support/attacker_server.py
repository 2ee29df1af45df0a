"""A hostile HTTPS server on loopback, for the security tests (docs/security.md).

It stands for whoever a repository, a dependency or a redirect can point git at: a member with
push access to one repository can name any server in `.lfsconfig`. Its certificate comes from
the emulator's CA, so clients trust it as they would a server with a real certificate (the
worst case: TLS never stops the attempt). Every request is recorded with its Authorization
header, which is what the tests count.

Modes:
- "challenge": every request gets 401 with a Basic challenge for git and for Git LFS
  (`WWW-Authenticate`, `LFS-Authenticate`): whatever credentials a client holds, it is asked
  for them.
- "trickle": a Git LFS server that never finishes: its batch answer sends every object to
  itself, and each object's download is 200 and then one byte every `trickle_seconds`.

The fixture `attacker` (tests/conftest.py) starts one for a test; `plant_lfsconfig` points a
repository of the emulator's world at it.
"""

from __future__ import annotations

import json
import os
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.github_emulator.mutate import push_files
from tests.github_emulator.server import TLSServer


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None


@dataclass
class Attacker:
    httpd: ThreadingHTTPServer
    mode: str
    trickle_seconds: float
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def url(self) -> str:
        return f"https://{self.host}"

    def requests(self) -> list[Seen]:
        with self.lock:
            return list(self.seen)

    def authorizations(self) -> list[str]:
        """Every Authorization header the server received (what must stay empty)."""
        return [s.authorization for s in self.requests() if s.authorization]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args) -> None:
        pass

    def _answer(self) -> None:
        attacker = self.server.attacker
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with attacker.lock:
            attacker.seen.append(Seen(self.command, self.path, self.headers.get("Authorization")))
        if attacker.mode == "trickle" and self.path.endswith("/objects/batch"):
            objects = json.loads(body or b"{}").get("objects", [])
            base = f"https://{self.headers.get('Host')}{self.path[:-len('/batch')]}"
            answer = json.dumps({"transfer": "basic", "objects": [
                {"oid": o["oid"], "size": o["size"], "authenticated": True,
                 "actions": {"download": {"href": f"{base}/{o['oid']}"}}} for o in objects]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.git-lfs+json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            return
        if attacker.mode == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(attacker.trickle_seconds)
            except OSError:
                return
        body = json.dumps({"message": "Bad credentials"}).encode()
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="GitHub"')
        self.send_header("LFS-Authenticate", 'Basic realm="GitHub"')
        self.send_header("Content-Type", "application/vnd.git-lfs+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _answer


class _Server(TLSServer):
    attacker: Attacker


def start_attacker(ca, *, mode: str = "challenge", trickle_seconds: float = 5.0) -> Attacker:
    """Serve on 127.0.0.1 (a free port) with a certificate of `ca` (the emulator's `trustme.CA`)."""
    httpd = _Server(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    httpd.ssl_context = context
    attacker = Attacker(httpd, mode, trickle_seconds)
    httpd.attacker = attacker
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return attacker


def plant_lfsconfig(world_root: Path, org: str, name: str, server: str) -> bytes:
    """What a member with push access can do: a commit with a .lfsconfig naming their own server,
    and one LFS file (stored on GitHub, as a push through git-lfs would). Returns its bytes."""
    data = os.urandom(3000)
    push_files(world_root, org, name, {".lfsconfig": f"[lfs]\n\turl = {server}/lfs\n",
                                       ".gitattributes": "*.bin filter=lfs diff=lfs merge=lfs -text\n"},
               lfs_files={"planted.bin": data}, message="Move Git LFS elsewhere")
    return data
