"""The emulator's request handler: one class, assembled from a mixin per kind of traffic —
handler_rest.py (the REST API, GraphQL, the GitHub App), handler_git.py (git smart HTTP, Git
LFS), handler_downloads.py (release assets, user attachments). Here: what every one of them
uses (request bodies, replies, who is asking), the dispatch by path (after the latency fault),
and the emulator's own controls (/_emulator/...)."""
from __future__ import annotations

import base64
import json
import os
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

from .handler_downloads import ATTACHMENT_DOWNLOAD, ATTACHMENT_PATH, BROWSER_DOWNLOAD, DOWNLOAD_PATH, DownloadRequests
from .handler_git import GIT_PATH, GitRequests
from .handler_rest import GRAPHQL_PATHS, RestRequests
from .truth import truth

if TYPE_CHECKING:
    from .server import Emulator


NOT_JSON = object()  # reply()'s answer when the caller gave bytes, not an object


class Handler(RestRequests, GitRequests, DownloadRequests, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    sys_version = ""
    exchange = None  # the request being recorded (Emulator.record), until its answer is sent

    def log_message(self, format, *args):
        if os.environ.get("GITHUB_EMULATOR_LOG"):
            super().log_message(format, *args)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = lambda self: self.dispatch()

    @property
    def em(self) -> Emulator:
        return self.server.emulator

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status: int, body: bytes = b"", headers: dict | None = None,
              content_type: str = "application/json; charset=utf-8", *, answer=NOT_JSON) -> None:
        if self.exchange is not None:  # a REST or GraphQL request being recorded (handler_rest.py's api)
            self.em.record(self.exchange, status, body, answer, (headers or {}).get("Content-Type", content_type))
            self.exchange = None
        self.send_response(status)
        headers = dict(headers or {})
        if body or status not in (204, 304):
            headers.setdefault("Content-Type", content_type)
        headers["Content-Length"] = str(len(body))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reply_json(self, status: int, obj, headers: dict | None = None) -> None:
        self.reply(status, json.dumps(obj).encode(), headers, answer=obj)

    def identify(self):
        """(identity or None, bad credentials?) from the Authorization header, as GitHub reads it."""
        header = self.headers.get("Authorization")
        if not header:
            return None, False
        scheme, _, value = header.strip().partition(" ")
        candidates = []
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value.strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None, True
            candidates = [password, user]           # x-access-token:TOKEN or TOKEN:x-oauth-basic
        elif scheme.lower() in ("token", "bearer"):
            candidates = [value.strip()]
            if scheme.lower() == "bearer" and value.strip().count(".") == 2:  # a JWT: the App itself
                app = self.em.app_identity(value.strip())
                return (app, False) if app else (None, True)
        for token in candidates:
            if token in self.em.tokens:
                found = self.em.tokens[token]
                if found.get("expires") and time.time() >= found["expires"]:
                    with self.em.lock:
                        self.em.expired_token_requests += 1
                    return None, True  # GitHub: 401 Bad credentials for an expired installation token
                return found, False
        return None, True

    def web_base(self) -> str:
        return "https://" + (self.headers.get("Host") or self.em.host)

    def dispatch(self) -> None:
        self.exchange = None
        url = urlsplit(self.path)
        path = unquote(url.path)
        query = dict(parse_qsl(url.query))
        if path.startswith("/_emulator/"):
            return self.control(path, query)
        if self.command == "POST" and path in GRAPHQL_PATHS:
            self.em.graphql_started()
            try:
                return self.answer(url, path, query)
            finally:
                self.em.graphql_ended()
        return self.answer(url, path, query)

    def answer(self, url, path: str, query: dict) -> None:
        """Every request but the emulator's own controls, after the latency fault."""
        latency = self.em.faults().get("latency_ms")
        if latency:
            time.sleep(latency / 1000)
        found = GIT_PATH.match(path)
        if found and self.hostile_answer(found, url):
            return None
        if found:
            if found["rest"].startswith("/info/lfs/"):
                self.em.count("lfs")
                return self.lfs(found["org"], found["name"], found["rest"])
            self.em.count("git")
            return self.git(found["org"], found["name"], found["rest"], url.query)
        found = DOWNLOAD_PATH.match(path)
        if found:
            self.em.count("assets")
            return self.signed_download(int(found["id"]), query.get("sig", ""))
        found = ATTACHMENT_PATH.match(path) or ATTACHMENT_DOWNLOAD.match(path)
        if found:
            self.em.count("assets")
            return self.attachment(found, query.get("sig", ""))
        found = BROWSER_DOWNLOAD.match(path)
        if found and not path.startswith(("/repos/", "/api/v3/")):
            self.em.count("assets")
            return self.browser_download(found)
        self.em.count("api")
        return self.api(path, query)

    def control(self, path: str, query: dict) -> None:
        em = self.em
        if path == "/_emulator/counters" and self.command == "GET":
            return self.reply_json(200, em.counters(all=query.get("all") in ("1", "true")))
        if path == "/_emulator/bytes" and self.command == "GET":
            return self.reply_json(200, em.bytes_served())
        if path == "/_emulator/routes" and self.command == "GET":
            return self.reply_json(200, em.routes())
        if path == "/_emulator/truth" and self.command == "GET":
            return self.reply_json(200, truth(em.root))
        if path == "/_emulator/counters/reset" and self.command == "POST":
            self.read_body()
            em.reset_counters()
            return self.reply_json(200, em.counters())
        if path == "/_emulator/faults" and self.command == "GET":
            return self.reply_json(200, em.faults())
        if path == "/_emulator/faults" and self.command == "POST":
            try:
                em.set_faults(**json.loads(self.read_body() or b"{}"))
            except (ValueError, TypeError) as exc:
                return self.reply_json(422, {"message": str(exc)})
            return self.reply_json(200, em.faults())
        if path == "/_emulator/rate_limit/reset" and self.command == "POST":
            body = json.loads(self.read_body() or b"{}")
            em.new_rate_window(float(body.get("seconds", 3600)))
            return self.reply_json(200, {"reset": em._window})
        if path == "/_emulator/health":
            return self.reply_json(200, {"ok": True})
        return self.reply_json(404, {"message": "Not Found"})
