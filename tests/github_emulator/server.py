"""The emulator: the HTTPS server (TLS with a fresh CA, a thread per connection) and the state
its requests share — tokens, the GitHub App, counters, rate-limit budgets, faults. What a
request gets is handler.py's (and its mixins', one per kind of traffic)."""
from __future__ import annotations

import hashlib
import os
import random
import secrets
import shutil
import socket
import ssl
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import trustme

from .handler import NOT_JSON, Handler
from .rest import Store
from .truth import refresh_truth, truth

RATE_LIMIT = 5000
KINDS = ("api", "git", "lfs", "assets", "graphql", "writes")  # "api" counts GraphQL POSTs too;
# "writes": content-creating requests (REST POSTs that reached a write handler, asset uploads included)
# Kept apart so counters() keeps its keys: "content_created" counts the write side's requests that
# succeeded (2xx; POST, PUT and PATCH: counters(all=True), content_created(), GET /_emulator/counters?all=1);
# "git_500": git and LFS requests the git_500_repos fault answered 500
EXTRA_KINDS = ("content_created", "git_500")
# Body bytes served, apart from the request counters (whose keys stay as they are): "git" the
# smart-HTTP answers (refs advertisements and packs), "lfs" the LFS object downloads.
BYTE_KINDS = ("git", "lfs")
FAULT_KEYS = ("api_502_fraction", "git_500_repos", "git_500_packs", "rate_limit_exhausted", "rate_limit", "rate_limit_reset_in",
              "secondary_rate_limit", "secondary_rate_limit_no_retry_after", "latency_ms", "seed",
              "throttle_bytes_per_second", "stall_seconds", "content_creation_per_minute",
              "git_redirect", "lfs_unauthorized_repos", "refuse_repository_creates", "asset_upload_starter",
              "graphql_rate_limit_form", "wiki_created_on_push")
# How GraphQL answers a spent budget (the `rate_limit_exhausted` fault, the enforced `rate_limit`):
# "RATE_LIMITED" (HTTP 200, GitHub's long-standing form, the default), "RATE_LIMIT" (HTTP 200,
# `"type": "RATE_LIMIT", "code": "graphql_rate_limit"`, seen from January 2026), "403" or "429"
# (that HTTP status with x-ratelimit-remaining 0, as REST answers).
GRAPHQL_RATE_LIMIT_FORMS = ("RATE_LIMITED", "RATE_LIMIT", "403", "429")


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
        self.store = Store(self.root)
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
        # The REST and GraphQL exchanges served, in order (tests/contract/: the `github_emulator` fixture
        # checks them against GitHub's published description); None: not recorded (GITHUB_EMULATOR_RECORD=0).
        self.exchanges: list[dict] | None = [] if os.environ.get("GITHUB_EMULATOR_RECORD", "1") != "0" else None
        self.httpd = _Server((bind, port), Handler)
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

    def add_token(self, login: str, admin: bool = False, *, fine_grained: bool = False,
                  owner: bool | None = None) -> str:
        """A new personal token: classic (ghp_) or fine-grained (github_pat_, GitHub's length).
        `admin`: it administers repositories; `owner` (default: admin): it owns the organizations too,
        so admin=True, owner=False is a plain member who made the repositories (rest.require_owner)."""
        if fine_grained:
            token = "github_pat_" + secrets.token_urlsafe(60).replace("-", "A").replace("_", "b")[:82]
        else:
            token = "ghp_" + secrets.token_hex(18)
        self.tokens[token] = {"login": login, "admin": admin, "owner": admin if owner is None else owner}
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

    def record(self, exchange: dict, status: int, body: bytes, answer, content_type: str) -> None:
        """One exchange of the REST API or GraphQL (handler_rest.py's api): the request (method, prefix,
        path, raw_path, query, body bytes) and the answer (status, the object served as JSON, or its
        bytes and content type)."""
        exchange["status"] = status
        if answer is NOT_JSON:
            exchange["answer_bytes"], exchange["content_type"] = body, content_type
        else:
            exchange["answer"] = answer
        with self.lock:
            self.exchanges.append(exchange)

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
        git_500_repos: ["org/name", "org/name.wiki"], their git and LFS endpoints answer 500; or
            {"org/name": N}: only the first N git and LFS requests of each (then it recovers)
        git_500_packs: {"org/name": N}: the first N pack requests (a fetch's or clone's POST
            git-upload-pack; not an ls-remote's) answer 500; a list: every one
        rate_limit_exhausted: true or seconds (3 by default): API answers 403 with
            x-ratelimit-remaining 0 until that time is over (GraphQL: as graphql_rate_limit_form says)
        graphql_rate_limit_form: one of GRAPHQL_RATE_LIMIT_FORMS: how GraphQL answers a spent budget
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
        refuse_repository_creates: ["name", ...]: POST /orgs/{org}/repos of these names answers 422
            (as GitHub does for a name or a setting it will not take)
        asset_upload_starter: ["file name", ...]: the first upload of an asset of that name (as sent)
            to a release leaves it half-done (state "starter", half its bytes) and answers 502
        wiki_created_on_push: true: a push (by an admin) to a wiki whose git repository does not exist
            makes it, as a host may; without it, GitHub.com's
            "Repository not found" until a person saves the wiki's first page (mutate.create_wiki)
        set_faults() with no argument clears them all."""
        unknown = set(faults) - set(FAULT_KEYS)
        if unknown:
            raise ValueError(f"unknown faults: {sorted(unknown)}")
        if faults.get("graphql_rate_limit_form", "RATE_LIMITED") not in GRAPHQL_RATE_LIMIT_FORMS:
            raise ValueError(f"graphql_rate_limit_form: one of {GRAPHQL_RATE_LIMIT_FORMS}")
        now = time.time()
        for key in ("rate_limit_exhausted", "secondary_rate_limit", "secondary_rate_limit_no_retry_after"):
            value = faults.get(key)
            if value:
                faults[key] = now + (3.0 if value is True else float(value))
            else:
                faults.pop(key, None)
        for key in ("git_500_repos", "git_500_packs"):
            failing = faults.get(key) or []
            # repository -> how many more requests answer 500 (None: every one)
            faults[key] = ({r.lower(): int(n) for r, n in failing.items()} if isinstance(failing, dict)
                           else dict.fromkeys((r.lower() for r in failing), None))
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

    def git_500(self, repo: str, fault: str = "git_500_repos") -> bool:
        """Whether this git or LFS request of `repo` ("org/name", "org/name.wiki", lower case)
        answers 500 (the git_500_repos fault, or git_500_packs for a pack request), counting it
        against the repository's N."""
        with self.lock:
            failing = self._faults.get(fault) or {}
            if repo not in failing:
                return False
            left = failing[repo]
            if left is not None:
                if left <= 0:
                    return False
                failing[repo] = left - 1
            self._counters["git_500"] += 1
            return True

    def roll_502(self) -> bool:
        with self.lock:
            fraction = self._faults.get("api_502_fraction") or 0
            return fraction > 0 and self._rng.random() < fraction

    # -- life -------------------------------------------------------------
    def truth(self) -> dict:
        """truth(root), rebuilt now (the write side leaves truth.json stale; see mutate.write_world)."""
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
