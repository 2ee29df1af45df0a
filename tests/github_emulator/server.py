"""The HTTPS server: TLS, authentication, rate-limit headers, faults, counters, and
the four kinds of traffic: REST API (api.py), git smart HTTP (git http-backend),
Git LFS, and release asset downloads.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import trustme

from . import api, graphql_api
from .world import git_env, refresh_truth, truth

RATE_LIMIT = 5000
KINDS = ("api", "git", "lfs", "assets", "graphql", "writes")  # "api" counts GraphQL POSTs too;
# "writes": content-creating requests (REST POSTs that reached a write handler, asset uploads included)
# Kept apart so counters() keeps its keys: "content_created" counts the write side's requests that
# succeeded (2xx; POST, PUT and PATCH: counters(all=True), content_created(), GET /_emulator/counters?all=1)
EXTRA_KINDS = ("content_created",)
# Body bytes served, apart from the request counters (whose keys stay as they are): "git" the
# smart-HTTP answers (refs advertisements and packs), "lfs" the LFS object downloads.
BYTE_KINDS = ("git", "lfs")
FAULT_KEYS = ("api_502_fraction", "git_500_repos", "rate_limit_exhausted", "rate_limit", "rate_limit_reset_in",
              "secondary_rate_limit", "secondary_rate_limit_no_retry_after", "latency_ms", "seed",
              "throttle_bytes_per_second", "stall_seconds", "content_creation_per_minute",
              "git_redirect", "lfs_unauthorized_repos")
SECONDARY_MESSAGE = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
SECONDARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"

# /ORG/NAME.git/<rest> and /ORG/NAME.wiki.git/<rest> (".git" optional, as on GitHub)
GIT_PATH = re.compile(r"^/(?P<org>[^/]+)/(?P<name>[^/]+?)(?:\.git)?"
                      r"(?P<rest>/(?:info/refs|HEAD|git-upload-pack|git-receive-pack|objects/.*|info/lfs/.*))$")
LFS_OBJECT = re.compile(r"^/info/lfs/objects/(?P<oid>[0-9a-f]{64})$")
DOWNLOAD_PATH = re.compile(r"^/_downloads/(?P<id>\d+)$")
ATTACHMENT_PATH = re.compile(r"^/user-attachments/(?:assets/(?P<asset>[0-9a-f-]{36})|files/(?P<file>[0-9a-f-]{36})/[^/]+)$")
ATTACHMENT_DOWNLOAD = re.compile(r"^/_downloads/attachments/(?P<uuid>[0-9a-f-]{36})$")
GRAPHQL_PATHS = ("/graphql", "/api/graphql")  # github.com, Enterprise
BROWSER_DOWNLOAD = re.compile(r"^/(?P<org>[^/]+)/(?P<name>[^/]+)/releases/download/(?P<tag>.+)/(?P<file>[^/]+)$")


class Emulator:
    """A running emulator; see start()."""

    def __init__(self, root: Path, *, port: int = 0, bind: str = "127.0.0.1"):
        self.root = Path(root)
        run = self.root / "run"
        run.mkdir(parents=True, exist_ok=True)
        self.home = tempfile.mkdtemp(prefix="gh-emulator-cgi-")
        self.admin_token = "ghp_" + secrets.token_hex(18)
        self.reader_token = "ghp_" + secrets.token_hex(18)
        self.tokens = {self.admin_token: {"login": "emulator-admin", "admin": True},
                       self.reader_token: {"login": "emulator-reader", "admin": False}}
        self.admin_token_file = run / "admin.token"
        self.reader_token_file = run / "reader.token"
        for path, token in ((self.admin_token_file, self.admin_token), (self.reader_token_file, self.reader_token)):
            path.write_text(token + "\n")
            path.chmod(0o600)
        ca = trustme.CA()
        self.ca = ca  # tests' other servers (an attacker's) get certificates the clients trust
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = run / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        self.ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(self.ssl_context)
        self.secret = secrets.token_bytes(16)
        self._start_app(run)
        self.store = api.Store(self.root)
        self.lock = threading.Lock()
        self._faults: dict = {}
        self._rng = random.Random(0)
        self._counters = dict.fromkeys(KINDS + EXTRA_KINDS, 0)
        self._routes: dict[str, int] = {}
        self._bytes = dict.fromkeys(BYTE_KINDS, 0)
        self._graphql_in_flight = 0
        self._graphql_peak = 0  # most GraphQL requests being answered at once since the last reset
        self._usage: dict = {}
        self._creations: list[float] = []  # times of the content-creating requests of the last minute
        self._window = int(time.time()) + 3600
        self.httpd = _Server((bind, port), _Handler)
        self.httpd.emulator = self
        self.httpd.ssl_context = self.ssl_context
        self.port = self.httpd.server_address[1]
        self.host = f"localhost:{self.port}"
        self.base_url = f"https://{self.host}"
        self.api_url = f"{self.base_url}/api/v3"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"github-emulator-{self.port}", daemon=True)
        self._thread.start()

    # -- client helpers ---------------------------------------------------
    def env(self) -> dict:
        """Environment variables that make Python, requests and git trust the CA."""
        ca = str(self.ca_file)
        return {"SSL_CERT_FILE": ca, "REQUESTS_CA_BUNDLE": ca, "CURL_CA_BUNDLE": ca, "GIT_SSL_CAINFO": ca}

    def add_token(self, login: str, admin: bool = False, *, fine_grained: bool = False) -> str:
        """A new personal token: classic (ghp_) or fine-grained (github_pat_, GitHub's length)."""
        if fine_grained:
            token = "github_pat_" + secrets.token_urlsafe(60).replace("-", "A").replace("_", "b")[:82]
        else:
            token = "ghp_" + secrets.token_hex(18)
        self.tokens[token] = {"login": login, "admin": admin}
        return token

    # -- the GitHub App -----------------------------------------------------
    def _start_app(self, run: Path) -> None:
        """One App (a fresh RSA key per start), installed on every organization of the world.
        Installation tokens (ghs_) live `app_token_lifetime` seconds (GitHub: 3600)."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.app_id = 4242
        self.app_slug = "orgbackup-emulator"
        self.app_public_key = key.public_key()
        self.app_private_key_file = run / "app.private-key.pem"
        self.app_private_key_file.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption()))
        self.app_private_key_file.chmod(0o600)
        self.app_token_lifetime = 3600
        self.app_tokens_issued: list[dict] = []  # {"token", "installation", "issued", "expires"}
        self.expired_token_requests = 0  # requests refused because their installation token had expired

    def installation_id(self, org: str) -> int:
        return 7000 + int(hashlib.sha256(org.lower().encode()).hexdigest()[:6], 16) % 1000

    def app_identity(self, value: str) -> dict | None:
        """The App itself, from a JWT it signed (RS256, iss = the App id, not expired)."""
        import jwt

        try:
            claims = jwt.decode(value, self.app_public_key, algorithms=["RS256"],
                                options={"require": ["iat", "exp", "iss"]}, leeway=0)
        except jwt.PyJWTError:
            return None
        if str(claims["iss"]) != str(self.app_id) or claims["exp"] - claims["iat"] > 600:
            return None
        return {"login": self.app_slug, "admin": False, "app": True}

    def issue_installation_token(self, installation: int, org_login: str) -> dict:
        token = "ghs_" + secrets.token_urlsafe(27).replace("-", "A").replace("_", "b")[:36]
        issued = time.time()
        expires = issued + self.app_token_lifetime
        with self.lock:
            self.tokens[token] = {"login": f"{self.app_slug}[bot]", "admin": True,
                                  "installation": installation, "org": org_login, "expires": expires}
            self.app_tokens_issued.append({"token": token, "installation": installation,
                                           "issued": issued, "expires": expires})
        return {"token": token, "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)),
                "permissions": {"contents": "read", "issues": "read", "metadata": "read",
                                "pull_requests": "read", "administration": "read", "members": "read"},
                "repository_selection": "all"}

    # -- counters ---------------------------------------------------------
    def count(self, kind: str) -> None:
        with self.lock:
            self._counters[kind] += 1

    def counters(self, all: bool = False) -> dict:
        """{kind: n} for KINDS; all=True adds EXTRA_KINDS ("content_created")."""
        with self.lock:
            return {k: v for k, v in self._counters.items() if all or k in KINDS}

    def count_route(self, route: str) -> None:
        with self.lock:
            self._routes[route] = self._routes.get(route, 0) + 1

    def routes(self) -> dict:
        """{"GET get_issues": n, "graphql": n, ...}: API requests answered since the last reset, by the
        handler that answered them (the benchmark's per-kind request counts)."""
        with self.lock:
            return dict(sorted(self._routes.items(), key=lambda kv: -kv[1]))

    def add_bytes(self, kind: str, n: int) -> None:
        with self.lock:
            self._bytes[kind] += n

    def bytes_served(self) -> dict:
        """{"git": n, "lfs": n}: body bytes git (smart HTTP) and LFS downloads served since the last reset."""
        with self.lock:
            return dict(self._bytes)

    def graphql_started(self) -> None:
        with self.lock:
            self._graphql_in_flight += 1
            self._graphql_peak = max(self._graphql_peak, self._graphql_in_flight)

    def graphql_ended(self) -> None:
        with self.lock:
            self._graphql_in_flight -= 1

    def graphql_peak_in_flight(self) -> int:
        """The most GraphQL requests answered at the same time (latency included) since the last reset."""
        with self.lock:
            return self._graphql_peak

    def content_created(self) -> int:
        """Successful (2xx) requests to the write side (POST, PUT, PATCH) since the last reset."""
        with self.lock:
            return self._counters["content_created"]

    def reset_counters(self) -> None:
        with self.lock:
            self._counters = dict.fromkeys(KINDS + EXTRA_KINDS, 0)
            self._routes = {}
            self._bytes = dict.fromkeys(BYTE_KINDS, 0)
            self._graphql_peak = self._graphql_in_flight
            self._usage.clear()

    def rate(self, key: str, spend: bool, resource: str = "core", cost: int = 1) -> dict:
        """One identity's budget in one resource ("core" REST, "graphql" points).  With the
        `rate_limit` fault the core limit is that many requests an hour and enforced: a request
        past it is not counted and gets `"spent": True` (the server answers 403, remaining 0)."""
        with self.lock:
            now = int(time.time())
            if now >= self._window:
                self._usage.clear()
                self._window = now + 3600
            enforced = self._faults.get("rate_limit") if resource == "core" else None
            limit = int(enforced) if enforced is not None else RATE_LIMIT
            key = key if resource == "core" else f"{resource}:{key}"
            spent = False
            if spend:
                if enforced is not None and self._usage.get(key, 0) + cost > limit:
                    spent = True
                else:
                    self._usage[key] = self._usage.get(key, 0) + cost
            used = self._usage.get(key, 0)
            return {"limit": limit, "remaining": max(0, limit - used), "reset": self._window,
                    "used": used, "resource": resource, **({"spent": True} if spent else {})}

    def new_rate_window(self, seconds: float = 3600) -> None:
        """A fresh hour: every identity's budget is whole again; the window ends in `seconds`."""
        with self.lock:
            self._usage.clear()
            self._window = int(time.time() + seconds)

    # -- faults -----------------------------------------------------------
    def set_faults(self, **faults) -> None:
        """Replace the active faults. Keys:
        api_502_fraction: float 0..1, that share of API answers is a 502 (seeded by `seed`)
        git_500_repos: ["org/name", "org/name.wiki"], their git and LFS endpoints answer 500
        rate_limit_exhausted: true or seconds (3 by default): API answers 403 with
            x-ratelimit-remaining 0 until that time is over
        secondary_rate_limit: true or seconds (3 by default): 403 with retry-after until over
        secondary_rate_limit_no_retry_after: the same without retry-after (GitHub does both)
        latency_ms: sleep before answering any request
        throttle_bytes_per_second: git, LFS and asset bodies trickle out at that rate (steadily)
        stall_seconds: a git pack (git-upload-pack answer) stops after its first bytes for that long
        content_creation_per_minute: N, GitHub's content-creation secondary limit: past N
            content-creating requests (POSTs) in a rolling minute, 403 with Retry-After (the seconds
            until the oldest of them leaves the minute)
        rate_limit: N, the hourly core (REST) limit of every identity, enforced: past N
            requests in the window the API answers 403 "API rate limit exceeded" with
            x-ratelimit-remaining 0 and the window's reset (GET /rate_limit never counts)
        rate_limit_reset_in: seconds: the current window (its usage kept) ends that many
            seconds from now; then a fresh hour begins
        set_faults() with no argument clears them all."""
        unknown = set(faults) - set(FAULT_KEYS)
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")
        now = time.time()
        for key in ("rate_limit_exhausted", "secondary_rate_limit", "secondary_rate_limit_no_retry_after"):
            value = faults.get(key)
            if value:
                faults[key] = now + (3.0 if value is True else float(value))
            else:
                faults.pop(key, None)
        faults["git_500_repos"] = [r.lower() for r in faults.get("git_500_repos") or []]
        reset_in = faults.get("rate_limit_reset_in")
        with self.lock:
            if reset_in is not None:
                self._window = int(now + float(reset_in))
            self._faults = faults
            self._rng = random.Random(faults.get("seed", 0))
            self._creations = []

    def content_creation(self) -> int | None:
        """Admit one content-creating request: None, or the Retry-After seconds when the
        `content_creation_per_minute` limit is reached (the refused request is not counted)."""
        with self.lock:
            limit = self._faults.get("content_creation_per_minute")
            now = time.monotonic()
            self._creations = [t for t in self._creations if t > now - 60]
            if limit is not None and len(self._creations) >= int(limit):
                oldest = self._creations[0] if self._creations else now
                return max(1, int(oldest + 60 - now + 0.999))
            self._creations.append(now)
            self._counters["writes"] += 1
            return None

    def faults(self) -> dict:
        with self.lock:
            return dict(self._faults)

    def roll_502(self) -> bool:
        with self.lock:
            fraction = self._faults.get("api_502_fraction") or 0
            return fraction > 0 and self._rng.random() < fraction

    # -- life -------------------------------------------------------------
    def truth(self) -> dict:
        """truth(root), rebuilt now (the write side leaves truth.json stale; see world.write_world)."""
        return truth(self.root)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)
        if (self.root / "world.json").exists():
            refresh_truth(self.root)  # truth.json on disk is fresh again once the server is gone
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return f"<Emulator {self.base_url} root={self.root}>"


def start(root: Path, *, port: int = 0) -> Emulator:
    """Serve the world in `root` over HTTPS on 127.0.0.1; returns once it listens."""
    return Emulator(root, port=port)


class TLSServer(ThreadingHTTPServer):
    """A threading HTTPS server: each connection's TLS handshake in its own thread (with
    `ssl_context`), not in the accept loop. Also the tests' attacker server's base."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    ssl_context: ssl.SSLContext

    def finish_request(self, request, client_address):
        """TLS handshake in the connection's own thread, not in the accept loop."""
        request.settimeout(120)
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle stalls
        try:
            conn = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        except (ssl.SSLError, ConnectionError, TimeoutError):
            pass
        finally:
            conn.close()



class _Server(TLSServer):
    emulator: Emulator

    def handle_error(self, request, client_address):
        import traceback
        traceback.print_exc()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    sys_version = ""

    def log_message(self, format, *args):
        if os.environ.get("GITHUB_EMULATOR_LOG"):
            super().log_message(format, *args)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = lambda self: self.dispatch()

    # -- plumbing ---------------------------------------------------------
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
              content_type: str = "application/json; charset=utf-8") -> None:
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
        self.reply(status, json.dumps(obj).encode(), headers)

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

    # -- dispatch ---------------------------------------------------------
    def dispatch(self) -> None:
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

    # -- control ------------------------------------------------------------
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

    # -- REST API -------------------------------------------------------------
    def api(self, path: str, query: dict) -> None:
        prefix, uploads = "", False
        if path == "/api/v3" or path.startswith("/api/v3/"):
            prefix, path = "/api/v3", path[len("/api/v3"):] or "/"
        elif path.startswith("/api/uploads/"):  # GitHub Enterprise's uploads host (uploads.github.com)
            prefix, path, uploads = "/api/v3", path[len("/api/uploads"):], True
        body = self.read_body() if self.command in ("POST", "PUT", "PATCH", "DELETE") else b""
        user, bad = self.identify()
        key = user["login"] if user else "anonymous:" + self.client_address[0]
        # GraphQL: the same checks and faults as REST, its own budget (cost priced before running)
        graphql = graphql_api.prepare(body) if self.command == "POST" and path in GRAPHQL_PATHS else None
        if graphql:
            self.em.count("graphql")
            rate = self.em.rate(key, spend=bool(user), resource="graphql", cost=graphql.cost)
        else:
            rate = self.em.rate(key, spend=path != "/rate_limit" and not bad)
        headers = {"X-RateLimit-Limit": str(rate["limit"]), "X-RateLimit-Remaining": str(rate["remaining"]),
                   "X-RateLimit-Reset": str(rate["reset"]), "X-RateLimit-Used": str(rate["used"]),
                   "X-RateLimit-Resource": rate["resource"], "X-GitHub-Media-Type": "github.v3; format=json",
                   "X-GitHub-Request-Id": secrets.token_hex(8).upper()}
        if bad or (graphql and not user):  # GraphQL requires authentication
            docs = "https://docs.github.com/graphql" if graphql else "https://docs.github.com/rest"
            return self.reply_json(401, {"message": "Bad credentials", "documentation_url": docs}, headers)
        faults = self.em.faults()
        now = time.time()
        if faults.get("rate_limit_exhausted", 0) > now or rate.get("spent"):
            reset = rate["reset"] if rate.get("spent") else int(faults["rate_limit_exhausted"]) + 1
            headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Used": str(rate["limit"]),
                            "X-RateLimit-Reset": str(reset)})
            who = f"user ID {api._id(user['login'])}" if user else self.client_address[0]
            if graphql:  # GitHub: HTTP 200, a RATE_LIMITED error, remaining 0
                return self.reply_json(200, {"errors": [{"type": "RATE_LIMITED",
                                                         "message": f"API rate limit exceeded for {who}."}]}, headers)
            return self.reply_json(403, {
                "message": f"API rate limit exceeded for {who}.",
                "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"},
                headers)
        if faults.get("secondary_rate_limit", 0) > now or faults.get("secondary_rate_limit_no_retry_after", 0) > now:
            if faults.get("secondary_rate_limit", 0) > now:
                headers["Retry-After"] = str(max(1, round(faults["secondary_rate_limit"] - now)))
            return self.reply_json(403, {"message": SECONDARY_MESSAGE, "documentation_url": SECONDARY_DOCS},
                                   headers)
        if self.em.roll_502():
            return self.reply_json(502, {"message": "Server Error"}, headers)
        if (user or {}).get("app") or path.startswith("/app/") or path == "/app":
            return self.app_api(path, user, headers)
        if (user or {}).get("installation") and path == "/user":
            return self.reply_json(403, {"message": "Resource not accessible by integration",
                                         "documentation_url": "https://docs.github.com/rest/users/users"}, headers)
        if graphql:
            self.em.count_route("POST graphql")
            return self.graphql(graphql, user, rate, headers)
        handler, params = api.match(self.command, path)
        self.em.count_route(f"{self.command} {getattr(handler, '__name__', 'no route')}")
        if handler is None:
            status = 405 if params == "method" else 404
            return self.reply_json(status, {"message": "Not Found" if status == 404 else "Method Not Allowed",
                                            "documentation_url": "https://docs.github.com/rest"}, headers)
        if uploads != (handler is api.write_api.upload_asset):
            return self.reply_json(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"},
                                   headers)
        if self.command == "POST" and handler in api.WRITE_HANDLERS:
            retry = self.em.content_creation()
            if retry is not None:
                headers["Retry-After"] = str(retry)
                return self.reply_json(403, {"message": SECONDARY_MESSAGE, "documentation_url": SECONDARY_DOCS},
                                       headers)
        web = self.web_base()
        ctx = api.Ctx(view=self.em.store.current(), user=user, web=web, api=web + prefix, query=query,
                      headers=self.headers, root=self.em.root, secret=self.em.secret, rate=rate,
                      body=body, uploads=uploads)
        try:
            result = handler(ctx, **params)
        except api.ApiError as exc:
            body = {"message": exc.message, "documentation_url": "https://docs.github.com/rest"}
            return self.reply_json(exc.status, body, headers)
        if handler in api.WRITE_HANDLERS:  # it returned: the write was made (2xx)
            self.em.count("content_created")
        if isinstance(result, api.Response):
            headers.update(result.headers)
            return self.reply(result.status, result.body, headers)
        if isinstance(result, list):
            result = self.paginate(result, query, web + prefix + path, headers)
        return self.reply_json(200, result, headers)

    def app_api(self, path: str, user: dict | None, headers: dict) -> None:
        """What a GitHub App's JWT may ask: itself, its installations, installation tokens."""
        if not (user or {}).get("app"):
            return self.reply_json(401, {"message": "A JSON web token could not be decoded",
                                         "documentation_url": "https://docs.github.com/rest"}, headers)
        view = self.em.store.current()
        found = re.match(r"^/orgs/([^/]+)/installation$", path)
        if path == "/app" and self.command == "GET":
            return self.reply_json(200, {"id": self.em.app_id, "slug": self.em.app_slug,
                                         "name": "orgbackup emulator"}, headers)
        if found and self.command == "GET":
            org = view.find_org(found[1])
            if org is None:
                return self.reply_json(404, {"message": "Not Found"}, headers)
            return self.reply_json(200, {"id": self.em.installation_id(org["login"]), "app_id": self.em.app_id,
                                         "account": {"login": org["login"], "type": "Organization"}}, headers)
        found = re.match(r"^/app/installations/(\d+)/access_tokens$", path)
        if found and self.command == "POST":
            for org in view.orgs.values():
                if self.em.installation_id(org["login"]) == int(found[1]):
                    return self.reply_json(201, self.em.issue_installation_token(int(found[1]), org["login"]),
                                           headers)
            return self.reply_json(404, {"message": "Not Found"}, headers)
        return self.reply_json(403, {"message": "Resource not accessible by integration: a JWT may only "
                                                "ask about the App and its installations"}, headers)

    def graphql(self, prepared, user: dict, rate: dict, headers: dict) -> None:
        if prepared.answer is not None:  # did not parse, validate or pass the limits
            return self.reply_json(prepared.status, prepared.answer, headers)
        ctx = graphql_api.Ctx(view=self.em.store.current(), user=user, web=self.web_base(), rate=rate,
                              cost=prepared.cost, node_count=prepared.node_count)
        return self.reply_json(200, graphql_api.execute(prepared, ctx), headers)

    @staticmethod
    def paginate(items: list, query: dict, url: str, headers: dict) -> list:
        def number(key, default):
            try:
                return int(query.get(key, default))
            except ValueError:
                return default
        per_page = min(max(number("per_page", 30), 1), 100)
        page = max(number("page", 1), 1)
        last = max(1, -(-len(items) // per_page))
        links = []
        for rel, target in (("next", page + 1), ("last", last), ("first", 1), ("prev", page - 1)):
            if (rel in ("next", "last") and page < last) or (rel in ("first", "prev") and page > 1):
                links.append(f'<{url}?{urlencode({**query, "page": target})}>; rel="{rel}"')
        if links:
            headers["Link"] = ", ".join(links)
        return items[(page - 1) * per_page: page * per_page]

    # -- access to a repository over git / LFS -----------------------------------
    def repository(self, org: str, name: str, *, write: bool):
        """Resolve and authorize; returns (org login, canonical name, wiki?) or None after replying."""
        wiki = name.lower().endswith(".wiki")
        base = name[:-5] if wiki else name
        found = self.em.store.current().find_repo(org, base)
        user, bad = self.identify()
        challenge = {"WWW-Authenticate": 'Basic realm="GitHub"', "LFS-Authenticate": 'Basic realm="GitHub"'}
        if bad:
            self.reply(401, b"Invalid username or token. Password authentication is not supported.\n",
                       challenge, "text/plain")
            return None
        if (found and found[1]["private"] or write) and not user:
            self.reply(401, b"Authentication required\n", challenge, "text/plain")
            return None
        path = f"{found[0]}/{found[1]['name']}" if found else ""
        git_dir = self.em.root / "git" / (path + (".wiki.git" if wiki else ".git"))
        if not found or not git_dir.is_dir():
            self.reply(404, b"Repository not found.\n", None, "text/plain")
            return None
        if write and not (user and user["admin"]):
            self.reply(403, b"Permission to " + path.encode() + b".git denied.\n", None, "text/plain")
            return None
        if (path + (".wiki" if wiki else "")).lower() in self.em.faults().get("git_500_repos", []):
            self.reply(500, b"Internal Server Error (injected)\n", None, "text/plain")
            return None
        return found[0], found[1]["name"], wiki, user

    def hostile_answer(self, found, url) -> bool:
        """The faults of a hostile or broken server for one repository's git and LFS: `git_redirect`
        {"ORG/NAME": "https://other-host"} answers 302 to the same path there; `lfs_unauthorized_repos`
        ["ORG/NAME"] answers every LFS request 401 with a Basic challenge, whatever the credentials
        (a token GitHub stopped taking, for ever: git-lfs asks again and again)."""
        faults = self.em.faults()
        repo = f"{found['org']}/{found['name']}".lower()  # a wiki: "ORG/NAME.wiki"
        redirects = {k.lower(): v for k, v in (faults.get("git_redirect") or {}).items()}
        if repo in redirects:
            self.read_body() if self.command in ("POST", "PUT") else None
            self.send_response(302)
            self.send_header("Location", redirects[repo].rstrip("/") + url.path + (f"?{url.query}" if url.query else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        if found["rest"].startswith("/info/lfs/") and repo in (r.lower() for r in faults.get("lfs_unauthorized_repos", [])):
            self.read_body() if self.command in ("POST", "PUT") else None
            self.em.count("lfs")
            self.reply(401, b'{"message": "Bad credentials"}',
                       {"WWW-Authenticate": 'Basic realm="GitHub"', "LFS-Authenticate": 'Basic realm="GitHub"'},
                       "application/vnd.git-lfs+json")
            return True
        return False

    # -- git smart HTTP ------------------------------------------------------------
    def git(self, org: str, name: str, rest: str, query_string: str) -> None:
        write = rest == "/git-receive-pack" or "service=git-receive-pack" in query_string
        body = self.read_body() if self.command == "POST" else b""
        access = self.repository(org, name, write=write)
        if not access:
            return
        login, canonical, wiki, user = access
        env = git_env(self.em.home)
        env.update({
            "GIT_PROJECT_ROOT": str(self.em.root / "git"), "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command, "QUERY_STRING": query_string,
            "PATH_INFO": f"/{login}/{canonical}{'.wiki' if wiki else ''}.git{rest}",
            "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0], "SERVER_PROTOCOL": "HTTP/1.1",
            "GIT_CONFIG_COUNT": "3",
            "GIT_CONFIG_KEY_0": "safe.directory", "GIT_CONFIG_VALUE_0": "*",
            "GIT_CONFIG_KEY_1": "uploadpack.allowReachableSHA1InWant", "GIT_CONFIG_VALUE_1": "true",
            "GIT_CONFIG_KEY_2": "uploadpack.allowFilter", "GIT_CONFIG_VALUE_2": "true",
        })
        if user:
            env["REMOTE_USER"] = user["login"]
        for header in ("Content-Encoding", "Git-Protocol", "Accept"):
            if self.headers.get(header):
                env["HTTP_" + header.upper().replace("-", "_")] = self.headers[header]
        proc = subprocess.Popen(["git", "http-backend"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=env)
        feeder = threading.Thread(target=_feed, args=(proc.stdin, body), daemon=True)
        feeder.start()
        try:
            status, headers = 200, {}
            while True:
                line = proc.stdout.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                key, _, value = line.decode("latin-1").partition(":")
                if key.lower() == "status":
                    status = int(value.split()[0])
                elif key.lower() != "content-length":
                    headers[key.strip()] = value.strip()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            first = True
            while True:
                chunk = proc.stdout.read1(65536)
                if not chunk:
                    break
                self.em.add_bytes("git", len(chunk))
                self.write_paced(chunk, chunked=True, stall=first and rest == "/git-upload-pack")
                first = False
            self.wfile.write(b"0\r\n\r\n")
        finally:
            proc.stdout.close()
            proc.wait()
            feeder.join()

    # -- Git LFS ----------------------------------------------------------------------
    def lfs(self, org: str, name: str, rest: str) -> None:
        body = self.read_body() if self.command in ("POST", "PUT") else b""
        lfs_type = {"Content-Type": "application/vnd.git-lfs+json"}
        if rest == "/info/lfs/objects/batch" and self.command == "POST":
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                return self.reply_json(422, {"message": "Invalid JSON"}, lfs_type)
            upload = request.get("operation") == "upload"
            access = self.repository(org, name, write=upload)
            if not access:
                return
            return self.lfs_batch(access, request, upload)
        if rest.startswith("/info/lfs/locks"):
            access = self.repository(org, name, write=False)
            if access:
                self.reply_json(200, {"locks": [], "ours": [], "theirs": [], "next_cursor": ""}, lfs_type)
            return
        found = LFS_OBJECT.match(rest)
        if not found or self.command not in ("GET", "PUT", "HEAD"):
            return self.reply_json(404, {"message": "Not Found"}, lfs_type)
        access = self.repository(org, name, write=self.command == "PUT")
        if not access:
            return
        store = self.em.root / "lfs" / access[0] / access[1] / found["oid"]
        if self.command == "PUT":
            if hashlib.sha256(body).hexdigest() != found["oid"]:
                return self.reply_json(422, {"message": "oid does not match content"}, lfs_type)
            store.parent.mkdir(parents=True, exist_ok=True)
            tmp = store.with_suffix(".tmp-" + secrets.token_hex(4))
            tmp.write_bytes(body)
            tmp.replace(store)
            return self.reply(200, b"", None, "text/plain")
        if not store.is_file():
            return self.reply_json(404, {"message": "Object does not exist"}, lfs_type)
        if self.command == "GET":
            self.em.add_bytes("lfs", store.stat().st_size)
        return self.send_file(store)

    def lfs_batch(self, access, request: dict, upload: bool) -> None:
        login, canonical, _, _ = access
        base = f"{self.web_base()}/{login}/{canonical}.git/info/lfs/objects"
        header = {"Authorization": self.headers["Authorization"]} if self.headers.get("Authorization") else {}
        objects = []
        for obj in request.get("objects", []):
            oid, size = str(obj.get("oid", "")), obj.get("size", 0)
            entry = {"oid": oid, "size": size}
            if not re.fullmatch(r"[0-9a-f]{64}", oid):
                entry["error"] = {"code": 422, "message": "Invalid object id"}
            else:
                exists = (self.em.root / "lfs" / login / canonical / oid).is_file()
                action = {"href": f"{base}/{oid}", "header": header, "expires_in": 3600}
                if upload and not exists:
                    entry.update(authenticated=True, actions={"upload": action})
                elif upload:
                    pass  # already there: nothing to send
                elif exists:
                    entry.update(authenticated=True, actions={"download": action})
                else:
                    entry["error"] = {"code": 404, "message": "Object does not exist"}
            objects.append(entry)
        self.reply_json(200, {"transfer": "basic", "objects": objects, "hash_algo": "sha256"},
                        {"Content-Type": "application/vnd.git-lfs+json"})

    # -- release assets -----------------------------------------------------------------
    def signed_download(self, asset_id: int, sig: str) -> None:
        found = self.em.store.current().assets.get(asset_id)
        if not found or not secrets.compare_digest(sig, api.sign(self.em.secret, asset_id)):
            return self.reply(403, b"<Error><Code>AccessDenied</Code></Error>", None, "application/xml")
        self.send_file(self.em.root / "assets" / str(asset_id))

    def browser_download(self, found) -> None:
        view = self.em.store.current()
        repo = view.find_repo(found["org"], found["name"])
        user, bad = self.identify()
        if not repo or bad or (repo[1]["private"] and not user):
            return self.reply(404, b"Not Found", None, "text/plain")
        for rel in repo[1]["releases"]:
            for asset in rel["assets"]:
                if rel["tag_name"] == found["tag"] and asset["name"] == found["file"]:
                    return self.send_file(self.em.root / "assets" / str(asset["id"]))
        return self.reply(404, b"Not Found", None, "text/plain")

    # -- user attachments (issue, comment, ... bodies link them) ----------------------------
    def attachment(self, found, sig: str) -> None:
        """/user-attachments/...: 302 to signed storage (a private repository's needs a token);
        /_downloads/attachments/<uuid>?sig=: the bytes, no auth (like S3)."""
        key = found.groupdict().get("uuid") or found["asset"] or found["file"]
        meta = self.em.store.current().attachments.get(key)
        if "uuid" in found.groupdict():
            if not meta or not secrets.compare_digest(sig, api.sign(self.em.secret, key)):
                return self.reply(403, b"<Error><Code>AccessDenied</Code></Error>", None, "application/xml")
            return self.send_file(self.em.root / "attachments" / key, meta["content_type"])
        user, bad = self.identify()
        repo = meta and self.em.store.current().find_repo(*meta["repo"].split("/", 1))
        if not repo or bad or (repo[1]["private"] and not user):
            return self.reply(404, b"Not Found", None, "text/plain")
        location = f"{self.web_base()}/_downloads/attachments/{key}?sig={api.sign(self.em.secret, key)}"
        return self.reply(302, b"", {"Location": location}, "text/html")

    def send_file(self, path: Path, content_type: str = "application/octet-stream") -> None:
        size = path.stat().st_size
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command == "HEAD":
            return
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(65536), b""):
                self.write_paced(block)

    def write_paced(self, data: bytes, *, chunked: bool = False, stall: bool = False) -> None:
        """Write body bytes, slowed by `throttle_bytes_per_second`, stopped after the first
        piece for `stall_seconds` (when `stall`); as is without those faults."""
        faults = self.em.faults()
        rate = faults.get("throttle_bytes_per_second") or 0
        step = max(1, int(rate) // 10) if rate else max(1, len(data))
        for start in range(0, len(data), step):
            piece = data[start:start + step]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            self.wfile.flush()
            if rate:
                time.sleep(len(piece) / rate)
            if stall and start == 0 and faults.get("stall_seconds"):
                time.sleep(float(faults["stall_seconds"]))


def _feed(pipe, body: bytes) -> None:
    try:
        pipe.write(body)
    except BrokenPipeError:
        pass
    finally:
        try:
            pipe.close()
        except BrokenPipeError:
            pass
