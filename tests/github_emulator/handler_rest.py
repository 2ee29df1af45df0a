"""The handler's REST API, GraphQL and GitHub App requests: authentication, the rate limits
(core and GraphQL budgets, the rate-limit and secondary-limit faults, 502s), then the route's
handler (routes.py) or the GraphQL query, and the answer with GitHub's headers and pages."""
from __future__ import annotations

import re
import secrets
import time
from urllib.parse import urlsplit

from . import graphql_api, graphql_objects, rest_shapes, routes
from .rest import ApiError, Ctx, Response, paginate, user_id
from .rest_writes import upload_asset

SECONDARY_MESSAGE = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
SECONDARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
GRAPHQL_PATHS = ("/graphql", "/api/graphql")  # github.com, Enterprise


class RestRequests:
    """The REST API (root and /api/v3, uploads under /api/uploads), GraphQL, the App's JWT requests."""

    def api(self, path: str, query: dict) -> None:
        prefix, uploads = "", False
        if path == "/api/v3" or path.startswith("/api/v3/"):
            prefix, path = "/api/v3", path[len("/api/v3"):] or "/"
        elif path.startswith("/api/uploads/"):  # GitHub Enterprise's uploads host (uploads.github.com)
            prefix, path, uploads = "/api/v3", path[len("/api/uploads"):], True
        body = self.read_body() if self.command in ("POST", "PUT", "PATCH", "DELETE") else b""
        if self.em.exchanges is not None:  # the contract tests' recording (tests/contract/)
            self.exchange = {"kind": "graphql" if self.command == "POST" and path in GRAPHQL_PATHS else "rest",
                             "method": self.command, "prefix": prefix, "path": path,
                             "raw_path": urlsplit(self.path).path[len("/api/uploads" if uploads else prefix):],
                             "query": query, "body": body, "uploads": uploads}
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
            who = f"user ID {user_id(user['login'])}" if user else self.client_address[0]
            form = faults.get("graphql_rate_limit_form", "RATE_LIMITED")
            if graphql and form == "RATE_LIMITED":  # GitHub: HTTP 200, a RATE_LIMITED error, remaining 0
                return self.reply_json(200, {"errors": [{"type": "RATE_LIMITED",
                                                         "message": f"API rate limit exceeded for {who}."}]}, headers)
            if graphql and form == "RATE_LIMIT":  # GitHub's other form, seen from January 2026
                return self.reply_json(200, {"errors": [{"type": "RATE_LIMIT", "code": "graphql_rate_limit",
                                                         "message": f"API rate limit already exceeded for {who}."}]},
                                       headers)
            return self.reply_json(int(form) if graphql else 403, {
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
            return self.app_api(path, user, headers, prefix)
        if (user or {}).get("installation") and path == "/user":
            return self.reply_json(403, {"message": "Resource not accessible by integration",
                                         "documentation_url": "https://docs.github.com/rest/users/users"}, headers)
        if graphql:
            self.em.count_route("POST graphql")
            if graphql.mutation and graphql.answer is None:  # content creation, limited as REST's POSTs
                retry = self.em.content_creation()
                if retry is not None:
                    headers["Retry-After"] = str(retry)
                    return self.reply_json(403, {"message": SECONDARY_MESSAGE, "documentation_url": SECONDARY_DOCS},
                                           headers)
            return self.graphql(graphql, user, rate, headers)
        handler, params = routes.match(self.command, path)
        self.em.count_route(f"{self.command} {getattr(handler, '__name__', 'no route')}")
        if handler is None:
            status = 405 if params == "method" else 404
            return self.reply_json(status, {"message": "Not Found" if status == 404 else "Method Not Allowed",
                                            "documentation_url": "https://docs.github.com/rest"}, headers)
        if uploads != (handler is upload_asset):
            return self.reply_json(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"},
                                   headers)
        if self.command == "POST" and handler in routes.WRITE_HANDLERS:
            retry = self.em.content_creation()
            if retry is not None:
                headers["Retry-After"] = str(retry)
                return self.reply_json(403, {"message": SECONDARY_MESSAGE, "documentation_url": SECONDARY_DOCS},
                                       headers)
        web = self.web_base()
        ctx = Ctx(view=self.em.store.current(), user=user, web=web, api=web + prefix, query=query,
                  headers=self.headers, root=self.em.root, secret=self.em.secret, rate=rate,
                  body=body, uploads=uploads, faults=faults)
        try:
            result = handler(ctx, **params)
        except ApiError as exc:
            body = {"message": exc.message, "documentation_url": "https://docs.github.com/rest"}
            if exc.errors:
                body["errors"] = exc.errors
            return self.reply_json(exc.status, body, headers)
        if handler in routes.WRITE_HANDLERS:  # it returned: the write was made (2xx)
            self.em.count("content_created")
        if isinstance(result, Response):
            headers.update(result.headers)
            return self.reply(result.status, result.body, headers)
        if isinstance(result, list):
            result = paginate(result, query, web + prefix + path, headers)
        return self.reply_json(200, result, headers)

    def app_api(self, path: str, user: dict | None, headers: dict, prefix: str = "") -> None:
        """What a GitHub App's JWT may ask: itself, its installations, installation tokens."""
        if not (user or {}).get("app"):
            return self.reply_json(401, {"message": "A JSON web token could not be decoded",
                                         "documentation_url": "https://docs.github.com/rest"}, headers)
        view = self.em.store.current()
        found = re.match(r"^/orgs/([^/]+)/installation$", path)
        web = self.web_base()
        shapes = Ctx(view=view, user=user, web=web, api=web + prefix, query={}, headers=self.headers,
                     root=self.em.root, secret=self.em.secret, rate={})
        if path == "/app" and self.command == "GET":
            owner = next(iter(view.orgs.values()))["login"]  # the App's owner: the world's first organization
            return self.reply_json(200, rest_shapes.app_json(shapes, self.em.app_id, self.em.app_slug, owner), headers)
        if found and self.command == "GET":
            org = view.find_org(found[1])
            if org is None:
                return self.reply_json(404, {"message": "Not Found"}, headers)
            return self.reply_json(200, rest_shapes.installation_json(
                shapes, self.em.installation_id(org["login"]), self.em.app_id, self.em.app_slug, org), headers)
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
        ctx = graphql_objects.Ctx(view=self.em.store.current(), user=user, web=self.web_base(), rate=rate,
                                  cost=prepared.cost, node_count=prepared.node_count, root=self.em.root)
        answer = graphql_api.execute(prepared, ctx)
        if prepared.mutation and not answer.get("errors"):  # made: as a REST write's 2xx
            self.em.count("content_created")
        return self.reply_json(200, answer, headers)
