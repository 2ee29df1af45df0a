"""Real services on loopback for the monitoring tests: an HTTP server recording the
healthcheck pings, Debian's prometheus-pushgateway, and an SMTP server (aiosmtpd)
receiving the Apprise mail."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

PUSHGATEWAY = "prometheus-pushgateway"  # Debian's name for the binary (upstream: pushgateway)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Ping:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def everything(self) -> bytes:
        """What the request carried, to look for a secret in."""
        head = f"{self.method} {self.path}\n" + "".join(f"{k}: {v}\n" for k, v in self.headers.items())
        return head.encode() + self.body


class PingRecorder:
    """A small HTTP server that answers 200 and keeps every request (healthchecks.io's part)."""

    def __init__(self):
        self.pings: list[Ping] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.pings.append(Ping(self.command, self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            do_GET = do_POST = do_HEAD = _record

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def paths(self) -> list[str]:
        return [p.path for p in self.pings]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def ping_recorder():
    recorder = PingRecorder()
    try:
        yield recorder
    finally:
        recorder.close()


class MailBox:
    """aiosmtpd's handler: every message received, as (from, to, parsed message)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"

    def texts(self) -> list[tuple[str, str]]:
        """(subject, plain text body) of each message."""
        out = []
        for _, _, message in self.messages:
            part = message.get_body(preferencelist=("plain",))
            out.append((str(message["Subject"]), part.get_content() if part else ""))
        return out


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback; `.url` is the Apprise URL that mails to it (plain SMTP)."""
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command otherwise
    box = MailBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.url = f"mailto://127.0.0.1:{port}?from=backup@example.org&to=ops@example.org"
    try:
        yield box
    finally:
        controller.stop()


class Pushgateway:
    def __init__(self, url: str, process: subprocess.Popen | None):
        self.url = url
        self.process = process

    def metrics(self) -> dict[tuple[str, str], float]:
        """(metric name, org) -> value of the orgbackup series on /metrics."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=10) as answer:
            return orgbackup_series(answer.read().decode())

    def delete_group(self, org: str) -> None:
        request = urllib.request.Request(f"{self.url}/metrics/job/orgbackup/org/{org}", method="DELETE")
        urllib.request.urlopen(request, timeout=10).close()


def orgbackup_series(text: str) -> dict[tuple[str, str], float]:
    return {(s.name, s.labels.get("org", "")): s.value
            for family in text_string_to_metric_families(text) if family.name.startswith("orgbackup_")
            for s in family.samples}


def read_textfile(path: Path) -> dict[tuple[str, str], float]:
    return orgbackup_series(path.read_text())


@pytest.fixture
def pushgateway(tmp_path):
    """Debian's prometheus-pushgateway: the test's own on a free loopback port (or the one
    ORGBACKUP_TEST_PUSHGATEWAY names, emptied of our groups first)."""
    binary = shutil.which(PUSHGATEWAY)
    if binary is None and os.environ.get("ORGBACKUP_TEST_PUSHGATEWAY"):
        gateway = Pushgateway(os.environ["ORGBACKUP_TEST_PUSHGATEWAY"].rstrip("/"), None)
        for org in ("v-sekai", "V-Sekai"):
            gateway.delete_group(org)
        yield gateway
        return
    if binary is None:
        pytest.fail(f"{PUSHGATEWAY} is not installed (apt-get install prometheus-pushgateway; .ci/run does)")
    port = free_port()
    log = (tmp_path / "pushgateway.log").open("wb")
    # Debian's build persists to /var/lib/prometheus by default: in memory only, nothing shared.
    process = subprocess.Popen([binary, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file="],
                               stdout=log, stderr=subprocess.STDOUT)
    gateway = Pushgateway(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 15
    while True:
        try:
            urllib.request.urlopen(f"{gateway.url}/-/ready", timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{PUSHGATEWAY} did not start: {(tmp_path / 'pushgateway.log').read_text()}")
            time.sleep(0.1)
    try:
        yield gateway
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def monitoring_env(ping_recorder, pushgateway, smtp_server, metrics_file: Path, notify_on: str) -> dict:
    return {
        "BACKUP_HEALTHCHECK_URL": f"{ping_recorder.url}/ping/{os.urandom(8).hex()}",
        "BACKUP_METRICS_FILE": str(metrics_file),
        "BACKUP_PUSHGATEWAY_URL": pushgateway.url,
        "BACKUP_NOTIFY_URLS": smtp_server.url,
        "BACKUP_NOTIFY_ON": notify_on,
    }
