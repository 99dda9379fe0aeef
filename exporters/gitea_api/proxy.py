"""Proxy mode: forward the provider's Gitea calls unchanged and record rate, errors and latency per
resource kind and operation.

The ProviderConfig's base URL points at this proxy (on localhost, in the provider's pod); every request is
forwarded to --gitea-url with method, path, query, headers and body unchanged and streamed both ways.
Hop-by-hop headers are dropped as RFC 9110 section 7.6.1 requires; redirects are passed back, not
followed. `Authorization` is forwarded and never logged or recorded. When Gitea cannot be reached the
proxy answers 502, when it does not answer in time 504, with a one-line body that says so.

Labels are bounded: `kind` comes from matching the path against the Gitea API route templates below
(Repository, Organization, User, Webhook, else `other`), `operation` from the method; owner, repository,
user names and ids never become label values.
"""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import urllib3

from exporters.gitea_api.logs import cause, event, log
from exporters.gitea_api.metrics import Metrics

API_PREFIX = "/api/v1"

# Route templates of the Gitea API (they are in gitea-swagger.json; tests check every one exists there,
# and that no other route of the API is caught by these patterns) -> kind.
ROUTES: tuple[tuple[str, str], ...] = (
    ("/repos/{owner}/{repo}", "Repository"),
    ("/orgs/{org}/repos", "Repository"),
    ("/user/repos", "Repository"),
    ("/repos/{owner}/{repo}/hooks", "Webhook"),
    ("/repos/{owner}/{repo}/hooks/{id}", "Webhook"),
    ("/orgs/{org}/hooks", "Webhook"),
    ("/orgs/{org}/hooks/{id}", "Webhook"),
    ("/orgs", "Organization"),
    ("/orgs/{org}", "Organization"),
    ("/admin/orgs", "Organization"),
    ("/admin/users/{username}/orgs", "Organization"),
    ("/users/{username}", "User"),
    ("/admin/users", "User"),
    ("/admin/users/{username}", "User"),
)
# Literal routes of the API that the templates above would otherwise catch.
LITERAL_OTHER = ("/repos/issues/search", "/users/search", "/repos/{owner}/{repo}/hooks/git")
OPERATIONS = {"GET": "observe", "HEAD": "observe", "OPTIONS": "observe", "POST": "create", "PUT": "update",
              "PATCH": "update", "DELETE": "delete"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "proxy-connection"}
# Answered by this proxy (http.server sends the 100 Continue), so not forwarded with the request.
REQUEST_ONLY_HERE = {"expect"}
CHUNK = 64 * 1024


def _regex(template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "/?$")


_ROUTES = [(_regex(t), kind) for t, kind in ROUTES]
_OTHER = [_regex(t) for t in LITERAL_OTHER]


def classify(method: str, path: str) -> tuple[str, str]:
    """(kind, operation) for a request; the path may carry the /api/v1 prefix and a query."""
    path = urlsplit(path).path
    if path.startswith(API_PREFIX):
        path = path[len(API_PREFIX):]
    kind = "other"
    if not any(r.match(path) for r in _OTHER):
        kind = next((k for r, k in _ROUTES if r.match(path)), "other")
    return kind, OPERATIONS.get(method.upper(), "observe")


@dataclass(frozen=True)
class ProxySettings:
    upstream: str  # --gitea-url
    timeout: float  # seconds to wait for Gitea's response headers
    connect_timeout: float
    verify: bool | str


class _Upstream:
    """One connection pool to Gitea; urllib3 streams bodies both ways and never follows redirects."""

    def __init__(self, s: ProxySettings) -> None:
        parts = urlsplit(s.upstream)
        self.base_path = parts.path.rstrip("/")
        kwargs: dict = {"maxsize": 32, "block": False, "retries": False,
                        "timeout": urllib3.Timeout(connect=s.connect_timeout, read=s.timeout)}
        if parts.scheme == "https":
            if s.verify is False:
                kwargs["cert_reqs"] = "CERT_NONE"
            else:
                kwargs["cert_reqs"] = "CERT_REQUIRED"
                if isinstance(s.verify, str):
                    kwargs["ca_certs"] = s.verify
        self.pool = urllib3.connection_from_url(f"{parts.scheme}://{parts.netloc}", **kwargs)
        self.host = parts.netloc


def make_handler(settings: ProxySettings, metrics: Metrics) -> type[BaseHTTPRequestHandler]:
    upstream = _Upstream(settings)
    state = {"error": None}  # last upstream failure, to log once per change

    class ProxyHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; with Nagle on, the body waits for the client's delayed
        # ACK (40 ms) on every keep-alive request.
        disable_nagle_algorithm = True

        def _forward(self) -> None:
            started = time.perf_counter()
            kind, operation = classify(self.command, self.path)
            dropped = HOP_BY_HOP | REQUEST_ONLY_HERE | self._listed()
            headers = {k: v for k, v in self.headers.items() if k.lower() not in dropped}
            headers.pop("Host", None)
            length = self.headers.get("Content-Length")
            chunked_in = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
            body = None
            if length and int(length) > 0:
                body = self._read_exact(int(length))
                headers["Content-Length"] = length
            elif chunked_in:
                body = self._read_chunked()
            try:
                response = upstream.pool.urlopen(
                    self.command, upstream.base_path + self.path, body=body, headers=headers, redirect=False,
                    retries=False, preload_content=False, decode_content=False, chunked=chunked_in,
                    assert_same_host=False)
            except urllib3.exceptions.HTTPError as exc:
                return self._fail(exc, kind, operation, started)
            headers_seconds = time.perf_counter() - started
            code = str(response.status)
            metrics.requests.labels(kind=kind, operation=operation, code=code).inc()
            metrics.request_duration.labels(kind=kind, operation=operation).observe(headers_seconds)
            if state["error"]:
                log.info(event("proxy upstream ok", upstream=upstream.host))
                state["error"] = None
            self._relay(response)

        def _listed(self) -> set[str]:
            """Headers named in Connection are hop-by-hop too."""
            return {h.strip().lower() for h in self.headers.get("Connection", "").split(",") if h.strip()}

        def _read_exact(self, n: int):  # noqa: ANN202 (a generator of bytes)
            remaining = n
            while remaining:
                chunk = self.rfile.read(min(CHUNK, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

        def _read_chunked(self):  # noqa: ANN202
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                yield self.rfile.read(size)
                self.rfile.readline()

        def _relay(self, response: urllib3.response.BaseHTTPResponse) -> None:
            self.send_response_only(response.status, response.reason)
            length = response.headers.get("Content-Length")
            for k, v in response.headers.items():
                if k.lower() not in HOP_BY_HOP:
                    self.send_header(k, v)
            chunked = length is None and self.command != "HEAD" and response.status not in (204, 304)
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for data in response.stream(CHUNK, decode_content=False):
                    if chunked:
                        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                    else:
                        self.wfile.write(data)
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
            except (urllib3.exceptions.HTTPError, OSError):
                self.close_connection = True  # the body broke off midway: the client sees a short body
            finally:
                response.release_conn()

        def _fail(self, exc: Exception, kind: str, operation: str, started: float) -> None:
            # NewConnectionError subclasses ConnectTimeoutError in urllib3 2.x, but a refused or unresolvable
            # connection is a 502, not a 504.
            timeout = isinstance(exc, (urllib3.exceptions.TimeoutError, socket.timeout)) and not isinstance(
                exc, urllib3.exceptions.NewConnectionError)
            code = 504 if timeout else 502
            reason = (f"Gitea did not answer within {settings.timeout:g}s" if timeout
                      else f"cannot reach Gitea at {upstream.host}: {cause(exc)}")
            metrics.requests.labels(kind=kind, operation=operation, code=str(code)).inc()
            metrics.request_duration.labels(kind=kind, operation=operation).observe(time.perf_counter() - started)
            if state["error"] != reason:
                log.warning(event("proxy upstream failing", code=code, detail=reason))
                state["error"] = reason
            body = f"gitea-api-exporter proxy: {reason}\n".encode()
            self.send_response_only(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward  # noqa: N815

        def log_message(self, *args: object) -> None:  # never log request lines (paths carry names)
            pass

    return ProxyHandler


def serve(address: tuple[str, int], settings: ProxySettings, metrics: Metrics) -> ThreadingHTTPServer:
    """Bind the proxy (raises OSError when the port is taken: the caller exits non-zero)."""
    server = _Server(address, make_handler(settings, metrics))
    server.daemon_threads = True
    return server


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default of 5 drops connections when the provider opens many at once
