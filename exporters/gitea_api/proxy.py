"""Proxy mode: forward the provider's Gitea calls unchanged and record rate, errors and latency per
resource kind and operation.

The ProviderConfig's base URL points at this proxy (on localhost, in the provider's pod); every request is
forwarded to --gitea-url with method, path, query, headers and body unchanged and streamed both ways.
Hop-by-hop headers are dropped as RFC 9110 section 7.6.1 requires; Host is Gitea's and the body's framing
the proxy's own; a request whose framing is ambiguous (http11.py) is refused with 400 and never forwarded,
an upload that stalls is cut and answered 408; redirects are passed back, not followed. `Authorization` is
forwarded and never logged or recorded. When Gitea cannot be reached the proxy answers 502, when it does
not answer in time 504, with a one-line body that says so.

Only what a Gitea API client sends is forwarded (http11.check_target): an origin-form request-target under
/api/v1/, with a Host in HTTP/1.1. Absolute-form, authority-form (CONNECT) and asterisk-form targets, HTTP/1.1
without Host and any other path are answered 400 or 403 by the proxy, never forwarded (the sidecar must not be an
open proxy carrying the provider's token), and counted in gitea_api_proxy_refused_total{reason}.

Labels are bounded: `kind` comes from matching the path against the Gitea API route templates below
(Repository, Organization, User, Webhook, else `other`), `operation` from the method; owner, repository,
user names and ids never become label values.
"""

from __future__ import annotations

import io
import itertools
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import urllib3
from urllib3 import HTTPHeaderDict

from .http11 import (
    BodyEnded,
    Framing,
    FramingError,
    TargetRefused,
    check_request_line,
    check_target,
    framing,
    read_chunked,
    read_exact,
    read_fields,
)
from .logs import cause, event, log
from .metrics import Metrics
from .server import BoundedHandler, BoundedServer

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
# Answered by this proxy (it sends the 100 Continue), so not forwarded with the request.
REQUEST_ONLY_HERE = {"expect"}
# Set by the proxy, never taken from the client: Host is Gitea's (a client's Host would send the provider's
# token to another virtual host behind a shared ingress); the body's framing is the proxy's own.
SET_HERE = {"host", "content-length"}
CHUNK = 64 * 1024  # largest piece of a body held in memory
SPOOL_BYTES = 64 * 1024  # a body up to this size is read whole before Gitea is called
KEEPALIVE_IDLE_SECONDS = 60.0  # an idle keep-alive connection from the provider is closed after this
MAX_CONNECTIONS = 128


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
    read_idle_timeout: float = 10.0  # longest pause inside a request (headers or body) from the provider


class UploadStalled(Exception):
    """The provider's request body stopped arriving: answered 408, counted under code="408"."""

    status = 408

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.reason = f"the request body stalled for {seconds:g}s"


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
        self.host = parts.netloc.rpartition("@")[2]  # never user:password@ (it goes into 502 bodies)


def make_handler(settings: ProxySettings, metrics: Metrics) -> type[BaseHTTPRequestHandler]:
    upstream = _Upstream(settings)
    state = {"error": None, "refused": None}  # last upstream failure, last refusal: each logged once per change

    class ProxyHandler(BoundedHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; with Nagle on, the body waits for the client's delayed
        # ACK (40 ms) on every keep-alive request.
        disable_nagle_algorithm = True
        timeout = KEEPALIVE_IDLE_SECONDS

        def handle_one_request(self) -> None:
            self.connection.settimeout(KEEPALIVE_IDLE_SECONDS)  # waiting for the next request on a keep-alive
            self.framing, self._expect_100 = Framing(None), False
            super().handle_one_request()

        def parse_request(self) -> bool:
            """Check every header line before http.server parses them (it accepts obs-fold, bare CR...)."""
            self.connection.settimeout(settings.read_idle_timeout)  # the rest of the request must keep coming
            self.command, self.request_version = None, "HTTP/1.1"  # until parsed: for a refusal's status line
            try:
                check_request_line(self.raw_requestline)
                lines = read_fields(self.rfile)
            except FramingError as exc:
                return self._refuse(exc)
            except TimeoutError:
                self.close_connection = True  # a client trickling its headers: close, nothing to answer
                return False
            wire, self.rfile = self.rfile, io.BytesIO(b"".join(line + b"\r\n" for line in lines) + b"\r\n")
            try:
                if not super().parse_request():
                    return False
            finally:
                self.rfile = wire
            try:
                hosts = len(self.headers.get_all("Host") or [])
                if hosts > 1:
                    raise FramingError(400, "more than one Host")  # RFC 9112 section 3.2
                check_target(self.command, self.path, self.request_version, hosts, API_PREFIX)
                self.framing = framing(self.headers, self.request_version)
            except FramingError as exc:
                return self._refuse(exc)
            return True

        def handle_expect_100(self) -> bool:
            self._expect_100 = True  # sent once the framing is known to be good, in _forward
            return True

        def _forward(self) -> None:
            started = time.perf_counter()
            kind, operation = classify(self.command, self.path)
            dropped = HOP_BY_HOP | REQUEST_ONLY_HERE | SET_HERE | self._listed()
            headers = HTTPHeaderDict()
            for name, value in self.headers.items():
                if name.lower() not in dropped:
                    headers.add(name, value)
            if self._expect_100:
                self.send_response_only(100)
                self.end_headers()
            try:
                body, chunked = self._body(headers)
            except (FramingError, UploadStalled) as exc:
                return self._refuse(exc)
            try:
                response = upstream.pool.urlopen(
                    self.command, upstream.base_path + self.path, body=body, headers=headers, redirect=False,
                    retries=False, preload_content=False, decode_content=False, chunked=chunked,
                    assert_same_host=False)
            except (FramingError, UploadStalled) as exc:  # raised while streaming the body: Gitea's call is cut
                return self._refuse(exc)
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
            return {h.strip().lower() for value in self.headers.get_all("Connection") or []
                    for h in value.split(",") if h.strip()}

        def _body(self, headers: HTTPHeaderDict) -> tuple[object, bool]:
            """(body, chunked) for urllib3. Up to SPOOL_BYTES are read before Gitea is called, so a small body
            that stalls or is malformed never reaches Gitea; a larger one streams in pieces of CHUNK bytes."""
            f = self.framing
            if not f.chunked and not f.length:
                if f.length == 0:
                    headers["Content-Length"] = "0"
                return None, False
            pieces = self._pieces(read_chunked(self.rfile, CHUNK) if f.chunked
                                  else read_exact(self.rfile, f.length or 0, CHUNK))
            spooled, size = [], 0
            for piece in pieces:
                spooled.append(piece)
                size += len(piece)
                if size > SPOOL_BYTES:
                    break
            else:
                headers["Content-Length"] = str(size)
                return b"".join(spooled), False
            if not f.chunked:
                headers["Content-Length"] = str(f.length)
            return itertools.chain(spooled, pieces), f.chunked

        def _pieces(self, source: Iterator[bytes]) -> Iterator[bytes]:
            try:
                yield from source
            except TimeoutError:
                raise UploadStalled(settings.read_idle_timeout) from None
            except OSError:
                raise BodyEnded from None

        def _refuse(self, exc: FramingError | UploadStalled) -> bool:
            """Answer the client ourselves (400, 403, 408, 413, 431, 501) and close: Gitea sees nothing more.
            Every refusal counts in gitea_api_proxy_refused_total{reason}; a malformed or stalled provider call
            also in gitea_api_requests_total (a request that is no API call at all is not a provider call)."""
            code = exc.status
            label = exc.label if isinstance(exc, TargetRefused) else (
                "stalled_upload" if isinstance(exc, UploadStalled) else "framing")
            metrics.refused.labels(reason=label).inc()
            if not isinstance(exc, TargetRefused):
                method, _, rest = self.raw_requestline.decode("latin-1").partition(" ")
                kind, operation = classify(method, rest.split(" ", 1)[0] or "/")
                metrics.requests.labels(kind=kind, operation=operation, code=str(code)).inc()
            if state["refused"] != label:  # one line per change of reason, not one per request
                log.warning(event("proxy refused a request", reason=label, code=code, detail=exc.reason))
                state["refused"] = label
            self.close_connection = True
            try:
                self._answer(code, f"gitea-api-exporter proxy: {exc.reason}\n", close=True)
            except OSError:
                pass  # the client is gone
            return False

        def _answer(self, code: int, text: str, close: bool = False) -> None:
            body = text.encode()
            self.send_response_only(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if close:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

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
            self._answer(code, f"gitea-api-exporter proxy: {reason}\n")

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward  # noqa: N815

    return ProxyHandler


def serve(address: tuple[str, int], settings: ProxySettings, metrics: Metrics) -> BoundedServer:
    """Bind the proxy (raises OSError when the port is taken: the caller exits non-zero)."""
    return BoundedServer(address, make_handler(settings, metrics), "proxy", max_connections=MAX_CONNECTIONS)
