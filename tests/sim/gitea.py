"""A local Gitea simulator: the endpoints the exporter probes, with injectable latency and faults.

It behaves the same with or without the official specs. When `gitea-swagger.json` (Gitea 1.26.3) is
given, every request it receives and every in-spec response it sends is also checked against it;
problems are collected in `violations` and the fixtures fail the test when any appear.
`/api/healthz` sits outside the API's basePath and is not in the swagger, so its shape is always
checked against `HEALTHZ_SCHEMA`, written from Gitea's `routers/web/healthcheck` (status
pass|warn|fail, checks keyed `component:measurement`, each a list of results).

Faults (set `sim.fault`, optionally only for some paths with `sim.fault_paths`):
  none, hang (sleep `hang_seconds` before answering), slow_body (headers at once, body trickled),
  stall_body (half the body, then silence for `hang_seconds`),
  http_500, http_401, http_403, healthz_fail (424 with a failing database check), invalid_json,
  redirect_loop, oversized (a 4 MiB JSON body), drop (close the connection without an answer),
  rate_limited (429 Too Many Requests to `throttle_share` of the requests, with `Retry-After:
  <retry_after>` when set). Gitea has no API rate limiter of its own; the 429 comes from what sits in
  front of it, so the answer is Traefik's (pkg/middlewares/ratelimiter/rate_limiter.go, serveDelayError:
  Retry-After in whole seconds, X-Retry-In, body "Too Many Requests") and is not checked against Gitea's spec.
`latency` adds a delay to every answer. `stop()` / `start()` simulate a restart on the same port.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jsonschema

from tests.sim.gitea_rules import World, decide
from tests.sim.openapi import SwaggerSpec

HEALTHZ_SCHEMA = {
    "type": "object",
    "required": ["status", "checks"],
    "additionalProperties": False,
    "properties": {
        "status": {"enum": ["pass", "warn", "fail"]},
        "description": {"type": "string"},
        "checks": {
            "type": "object",
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["status"],
                    "additionalProperties": False,
                    "properties": {
                        "status": {"enum": ["pass", "warn", "fail"]},
                        "time": {"type": "string"},
                        "componentId": {"type": "string"},
                        "output": {"type": "string"},
                    },
                },
            },
        },
    },
}

_HEALTHZ_VALIDATOR = jsonschema.Draft7Validator(HEALTHZ_SCHEMA)

PROBE_PATHS = ("/api/healthz", "/api/v1/version", "/api/v1/user", "/api/v1/repos/search")

FAULTS = ("none", "hang", "slow_body", "stall_body", "http_500", "http_401", "http_403", "healthz_fail", "invalid_json",
          "redirect_loop", "oversized", "drop", "rate_limited")

USER = {"id": 1, "login": "crossplane", "login_name": "", "source_id": 0, "full_name": "Crossplane provider",
        "email": "crossplane@example.com", "avatar_url": "https://gitea.example.com/avatars/1", "html_url":
        "https://gitea.example.com/crossplane", "language": "en-US", "is_admin": True, "active": True,
        "prohibit_login": False, "restricted": False, "visibility": "public", "created": "2026-01-01T00:00:00Z",
        "last_login": "2026-11-27T00:00:00Z", "location": "", "website": "", "description": "",
        "followers_count": 0, "following_count": 0, "starred_repos_count": 0}
ORGANIZATION = {"id": 3, "name": "platform", "username": "platform", "full_name": "Platform team", "email": "",
                "avatar_url": "https://gitea.example.com/avatars/3", "description": "", "website": "", "location": "",
                "visibility": "public", "repo_admin_change_team_access": False}
HOOK = {"id": 9, "type": "gitea", "name": "", "branch_filter": "*", "config": {"url": "https://ci.example.com/hook",
        "content_type": "json"}, "events": ["push"], "authorization_header": "", "active": True,
        "created_at": "2026-11-27T00:00:00Z", "updated_at": "2026-11-27T00:00:00Z"}
# Sample bodies for the provider's routes, by the definition their success response refers to.
TEAM = {"id": 5, "name": "devs", "description": "", "organization": ORGANIZATION, "includes_all_repositories": False,
        "permission": "read", "units": ["repo.code"], "units_map": {"repo.code": "read"}, "can_create_org_repo": False}
SAMPLES = {"Repository": None, "User": None, "Organization": ORGANIZATION, "Hook": HOOK, "Team": TEAM}
REPOSITORY = {"id": 7, "name": "platform", "full_name": "crossplane/platform", "owner": USER, "private": False,
              "fork": False, "empty": False, "archived": False, "size": 42, "default_branch": "main",
              "html_url": "https://gitea.example.com/crossplane/platform",
              "clone_url": "https://gitea.example.com/crossplane/platform.git",
              "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-11-27T00:00:00Z"}


SAMPLES.update(Repository=REPOSITORY, User=USER)

API_BASE = "/api/v1"
# The provider's routes (Gitea's routers/api/v1/api.go; the ones exporters/gitea_api/proxy.py classifies)
# plus the file routes the proxy tests stream through: template -> (object answered, collection route).
# Success statuses follow Gitea's handlers: POST creates (201), DELETE answers 204 without a body, the
# rest 200. tests/test_proxy.py checks this table against the swagger when the specs are present.
API_ROUTES: dict[str, tuple[str, bool]] = {
    "/repos/{owner}/{repo}": ("Repository", False),
    "/orgs/{org}/repos": ("Repository", True),
    "/user/repos": ("Repository", True),
    "/repos/{owner}/{repo}/hooks": ("Hook", True),
    "/repos/{owner}/{repo}/hooks/{id}": ("Hook", False),
    "/orgs/{org}/hooks": ("Hook", True),
    "/orgs/{org}/hooks/{id}": ("Hook", False),
    "/orgs": ("Organization", True),
    "/orgs/{org}": ("Organization", False),
    "/admin/orgs": ("Organization", True),
    "/admin/users/{username}/orgs": ("Organization", True),
    "/users/{username}": ("User", False),
    "/admin/users": ("User", True),
    "/admin/users/{username}": ("User", False),
    "/teams/{id}": ("Team", False),
    "/orgs/{org}/teams": ("Team", True),
    "/repos/{owner}/{repo}/contents/{filepath}": ("FileResponse", False),
    "/repos/{owner}/{repo}/raw/{filepath}": ("raw", False),
}
_API_ROUTES = [(re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(t).replace(r"\{filepath\}", ".+")) + "$"), t)
               for t in API_ROUTES]


def api_route(method: str, path: str) -> tuple[str, int] | None:
    """(template, success status) of a provider route, or None when the simulator does not serve it."""
    rest = path[len(API_BASE):] if path.startswith(API_BASE + "/") else None
    template = next((t for regex, t in _API_ROUTES if rest is not None and regex.match(rest)), None)
    if template is None:
        return None
    status = {"POST": 201, "DELETE": 204}.get(method, 200)
    return template, status


@contextmanager
def simulated_gitea(spec_path: Path | None, token: str, hang_seconds: float = 5.0) -> Iterator[GiteaSimulator]:
    """A running simulator; on exit it stops and fails if any traffic broke the spec."""
    sim = GiteaSimulator(spec_path, token)
    sim.hang_seconds = hang_seconds
    try:
        yield sim
    finally:
        sim.stop()
    assert not sim.violations, "traffic broke the Gitea spec:\n" + "\n".join(sim.violations)


class GiteaSimulator:
    def __init__(self, spec_path: Path | None, token: str, version: str = "1.26.3", tls: tuple[str, str] | None = None,
                 port: int = 0, world: World | None = None) -> None:
        self.spec = SwaggerSpec(spec_path) if spec_path else None  # None: behave the same, validate nothing
        self.error_schema = {"$ref": "#/definitions/APIError"}
        self.token, self.version, self.tls = token, version, tls
        # Who may call what (tests/sim/gitea_rules.py). By default a lenient world: every object named in a path
        # exists, and `token` belongs to the site admin `crossplane` with every scope.
        if world is None:
            world = World(lenient=True)
            world.add_user(USER["login"], admin=True)
        if token:
            world.add_token(token, next(a.name for a in world.accounts.values() if a.admin), "all")
        self.world = world
        self.fault = "none"
        self.fault_paths: tuple[str, ...] = ()  # empty: the fault applies to every path
        self.latency = 0.0
        self.hang_seconds = 5.0
        self.throttle_share = 1.0  # rate_limited: the share of requests answered 429, spread evenly
        self.retry_after: str | None = "1"  # rate_limited: the Retry-After header (None: not sent)
        self.throttled = 0  # requests answered 429
        self._throttle_credit = 0.0
        self.violations: list[str] = []
        self.requests: list[tuple[str, str]] = []
        # path -> (perf_counter at the request, seconds from request line to last byte sent)
        self.service_times: dict[str, list[tuple[float, float]]] = {}
        self.raw_size = 4 * 1024 * 1024  # bytes served by GET .../raw/{filepath}
        self.received: list[tuple[str, str, str, int]] = []
        self.last_headers: dict[str, str] = {}  # (method, path, sha256 of body, length)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._connections: set[socket.socket] = set()
        self.port = port
        self.start()

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        sim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # as a real server: no 40 ms delayed-ACK stalls on keep-alive

            def setup(self) -> None:
                super().setup()
                with sim._lock:
                    sim._connections.add(self.connection)

            def finish(self) -> None:
                with sim._lock:
                    sim._connections.discard(self.connection)
                super().finish()

            def do_GET(self) -> None:  # noqa: N802
                sim._handle(self)

            do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler, bind_and_activate=False)
        server.request_queue_size = 128  # many concurrent clients (proxy tests) must not hit the backlog
        server.server_bind()
        server.server_activate()
        server.daemon_threads = True
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        self.port = server.server_address[1]
        self.world.app_url = self.url + "/"  # Gitea's ROOT_URL: in its error URLs and the change-password message
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop like a restarting Gitea: the port closes and open keep-alive connections drop."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def set_fault(self, fault: str, *paths: str) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        self.fault, self.fault_paths = fault, paths

    def request_times(self, *paths: str) -> list[float]:
        """perf_counter times of the requests received for `paths` (all paths when none are given)."""
        with self._lock:
            return [t for path, entries in self.service_times.items() if not paths or path in paths for t, _ in entries]

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for _, p in self.requests if p == path)

    # -- request handling ------------------------------------------------------------------------
    def _violation(self, text: str) -> None:
        with self._lock:
            self.violations.append(text)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        started = time.perf_counter()
        self._serve(h)
        path = urlsplit(h.path).path
        with self._lock:
            self.service_times.setdefault(path, []).append((started, time.perf_counter() - started))

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
        method = h.command
        body_in = self._read_body(h)
        with self._lock:
            self.requests.append((method, path))
            self.last_headers = dict(h.headers)
            if body_in:
                self.received.append((method, path, hashlib.sha256(body_in).hexdigest(), len(body_in)))
        if path != "/api/healthz" and self.spec:
            for problem in self.spec.check_request(method, path, query, body_in or None):
                self._violation(problem)
        if path not in PROBE_PATHS and path.startswith(API_BASE + "/"):
            return self._provider_route(h, method, path, body_in)
        fault = self._delay_or_drop(h, path)
        if fault is None or self._throttle(h, fault):
            return
        if fault == "redirect_loop":
            self._send(h, 302, b"", headers={"Location": h.path})
            return
        status, body = self._answer(path, h.headers.get("Authorization"), fault)
        if fault == "invalid_json":
            body = b"<html><body>502 Bad Gateway</body></html>"
        elif fault == "oversized":
            body = b'{"data": [' + b",".join([json.dumps(REPOSITORY).encode()] * 6000) + b'], "ok": true}'
        else:
            self._check_response(path, status, body)
        self._send(h, status, body, slow=fault == "slow_body", stall=fault == "stall_body")

    def _delay_or_drop(self, h: BaseHTTPRequestHandler, path: str) -> str | None:
        """Apply latency, hang and drop; the fault in force for `path`, or None when the connection was dropped."""
        fault = self.fault if (not self.fault_paths or path in self.fault_paths) else "none"
        if self.latency:
            time.sleep(self.latency)
        if fault == "hang":
            time.sleep(self.hang_seconds)
        if fault == "drop":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return None
        return fault

    def _throttle(self, h: BaseHTTPRequestHandler, fault: str) -> bool:
        """Answer 429 to `throttle_share` of the requests (evenly: every 1/share-th one) under rate_limited."""
        if fault != "rate_limited":
            return False
        with self._lock:
            self._throttle_credit += self.throttle_share
            if self._throttle_credit < 1.0:
                return False
            self._throttle_credit -= 1.0
            self.throttled += 1
        headers = {"Server": "traefik"}
        if self.retry_after is not None:
            headers["Retry-After"] = self.retry_after
            headers["X-Retry-In"] = f"{self.retry_after}s"
        self._send(h, 429, b"Too Many Requests", headers=headers)
        return True

    @staticmethod
    def _read_body(h: BaseHTTPRequestHandler) -> bytes:
        if "chunked" in h.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    h.rfile.readline()
                    return b"".join(chunks)
                chunks.append(h.rfile.read(size))
                h.rfile.readline()
        length = int(h.headers.get("Content-Length") or 0)
        return h.rfile.read(length) if length else b""

    def _decide(self, method: str, path: str, authorization: str | None, body_in: bytes = b""):
        """Gitea's access rules for an API path (tests/sim/gitea_rules.py); None when they have no rule for it."""
        try:
            body = json.loads(body_in) if body_in else None
        except ValueError:
            body = None
        with self._lock:
            return decide(self.world, method, path[len(API_BASE):], authorization, body)

    def _provider_route(self, h: BaseHTTPRequestHandler, method: str, path: str, body_in: bytes) -> None:
        """The calls the provider makes: Gitea's access rules, then the documented success status and a sample body."""
        fault = self._delay_or_drop(h, path)
        if fault is None or self._throttle(h, fault):
            return
        decision = self._decide(method, path, h.headers.get("Authorization"), body_in)
        if decision is None and h.headers.get("Authorization") != f"token {self.token}":
            # Routes without a rule (the file routes the proxy tests stream): only the simulator's own token.
            return self._send_checked(h, method, path, 401, {"message": "token is required", "url": ""})
        if decision is not None and decision.status >= 400:
            return self._send_checked(h, method, path, decision.status, decision.payload)
        if fault == "http_500":
            return self._send_checked(h, method, path, 500, {"message": "internal server error", "url": ""})
        if fault == "redirect_loop":
            return self._send(h, 302, b"", headers={"Location": h.path})
        route = api_route(method, path)
        if route is None:
            return self._send(h, 404, json.dumps({"message": "not found", "url": ""}).encode())
        template, status = route
        kind, collection = API_ROUTES[template]
        if kind == "raw":
            data = bytes(range(256)) * (self.raw_size // 256)
            return self._send(h, 200, data, headers={"Content-Type": "application/octet-stream"})
        payload = None if status == 204 else self._sample(kind, collection and method == "GET", body_in)
        made = decision.created if decision is not None else None
        if isinstance(payload, dict) and made is not None:  # a strict world's create: the id it made
            payload = {**payload, "id": made if isinstance(made, int) else getattr(made, "id", payload.get("id"))}
        self._send_checked(h, method, path, status, payload)

    @staticmethod
    def _sample(kind: str, collection: bool, body_in: bytes) -> object:
        if kind == "FileResponse":
            return {"content": {"name": "big.bin", "path": "big.bin", "type": "file", "size": len(body_in),
                                "sha": hashlib.sha256(body_in).hexdigest()}}
        return [SAMPLES[kind]] if collection else SAMPLES[kind]

    def _send_checked(self, h: BaseHTTPRequestHandler, method: str, path: str, status: int,
                      payload: object) -> None:
        body = b"" if payload is None else json.dumps(payload).encode()
        for problem in self.spec.check_response(method, path, status, body, self.error_schema) if self.spec else ():
            self._violation(problem)
        self._send(h, status, body)

    def _answer(self, path: str, authorization: str | None, fault: str) -> tuple[int, bytes]:
        if fault == "http_500":
            return 500, json.dumps({"message": "internal server error", "url": ""}).encode()
        if path == "/api/healthz":
            failing = fault == "healthz_fail"
            status = "fail" if failing else "pass"
            doc = {"status": status, "description": "Gitea: Git with a cup of tea",
                   "checks": {"database:ping": [{"status": status, "componentId": "sqlite3",
                                                 "time": "2026-11-27T00:00:00Z"}],
                              "cache:ping": [{"status": "pass", "componentId": "memory",
                                              "time": "2026-11-27T00:00:00Z"}]}}
            if failing:
                doc["checks"]["database:ping"][0]["output"] = "database is locked"
            return (424 if failing else 200), json.dumps(doc).encode()
        if path in ("/api/v1/version", "/api/v1/user", "/api/v1/repos/search"):
            if fault == "http_401":
                return 401, json.dumps({"message": "invalid username, password or token", "url": ""}).encode()
            decision = self._decide("GET", path, authorization)
            if decision is not None and decision.status >= 400:
                return decision.status, json.dumps(decision.payload).encode()
        if path == "/api/v1/version":
            return 200, json.dumps({"version": self.version}).encode()
        if path in ("/api/v1/user", "/api/v1/repos/search"):
            if fault == "http_403":
                # Gitea's current wording (routers/api/v1/api.go, tokenRequiresScopes); the scope the route's
                # category needs at read level: user -> read:user, repos -> read:repository.
                scope = "read:user" if path == "/api/v1/user" else "read:repository"
                return 403, json.dumps({"message": "token does not have at least one of required scope(s), "
                                                   f"required=[{scope}], token scope=write:organization",
                                        "url": ""}).encode()
            if path == "/api/v1/user":
                return 200, json.dumps(USER).encode()
            return 200, json.dumps({"data": [REPOSITORY], "ok": True}).encode()
        return 404, json.dumps({"message": "not found", "url": ""}).encode()

    def _check_response(self, path: str, status: int, body: bytes) -> None:
        if path == "/api/healthz":
            if status not in (200, 424):
                return  # Gitea itself only answers 200 or 424 here; a 5xx comes from a proxy in front
            errors = [e.message for e in _HEALTHZ_VALIDATOR.iter_errors(json.loads(body))]
            problems = [f"GET /api/healthz {status}: {e}" for e in errors]
        elif self.spec:
            problems = self.spec.check_response("GET", path, status, body, fallback_error=self.error_schema)
        else:
            problems = []
        for problem in problems:
            self._violation(problem)

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict | None = None,
              slow: bool = False, stall: bool = False) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json;charset=utf-8")
            h.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            if slow:
                for i in range(0, len(body), 8):
                    h.wfile.write(body[i:i + 8])
                    h.wfile.flush()
                    time.sleep(self.hang_seconds / max(1, len(body) // 8))
            elif stall:
                h.wfile.write(body[:len(body) // 2])
                h.wfile.flush()
                time.sleep(self.hang_seconds)
                h.wfile.write(body[len(body) // 2:])
            else:
                h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the client gave up (timeout): nothing to answer
