"""Probing the Gitea API in the background, and classifying every failure into one reason."""

from __future__ import annotations

import dataclasses
import email.utils
import json
import random
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
import urllib3
import yaml

from .logs import cause, event, log
from .metrics import Metrics

MAX_BODY_BYTES = 1024 * 1024  # reads are bounded: a huge body is an invalid response, not an OOM
KINDS = ("health", "version", "token", "read")


@dataclass(frozen=True)
class Probe:
    endpoint: str  # the `endpoint` label: a fixed name, never a URL with ids in it
    path: str
    kind: str = "read"
    auth: bool = True


DEFAULT_PROBES = (
    Probe("healthz", "/api/healthz", kind="health", auth=False),
    Probe("version", "/api/v1/version", kind="version", auth=False),
    Probe("user", "/api/v1/user", kind="token", auth=True),
    Probe("repos_search", "/api/v1/repos/search?limit=1", kind="read", auth=True),
)


class ProbeConfigError(ValueError):
    pass


def load_probes(path: str | Path) -> tuple[Probe, ...]:
    """Probes from a YAML file: a list of {endpoint, path, kind, auth}."""
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ProbeConfigError(f"{path}: cannot read probes: {exc}") from None
    if not isinstance(raw, list) or not raw:
        raise ProbeConfigError(f"{path}: expected a non-empty list of probes")
    probes = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) - {"endpoint", "path", "kind", "auth"}:
            raise ProbeConfigError(f"{path}: probe {i}: keys are endpoint, path, kind, auth")
        probe = Probe(str(item.get("endpoint", "")), str(item.get("path", "")), str(item.get("kind", "read")),
                      bool(item.get("auth", True)))
        if not probe.endpoint or not probe.path.startswith("/") or probe.kind not in KINDS:
            raise ProbeConfigError(f"{path}: probe {i}: needs an endpoint name, a path starting with / and "
                                   f"kind in {', '.join(KINDS)}")
        probes.append(probe)
    if sum(p.kind == "health" for p in probes) > 1:
        raise ProbeConfigError(f"{path}: at most one probe of kind health")
    return tuple(probes)


@dataclass(frozen=True)
class Outcome:
    status: int  # 0 when no response
    reason: str | None  # None on success
    body: bytes = b""
    detail: str = ""
    seconds: float | None = None  # request sent -> body read; None when there was no response
    missing_scopes: tuple[str, ...] = ()  # a 403 naming scopes the token lacks: an answer, not a failure
    retry_after: float | None = None  # seconds a 429 answer asked us to wait (Retry-After), when it said
    message: str = ""  # Gitea's own `message` of a 4xx answer, bounded and redacted (gitea_message)
    blocked: bool = False  # a 403 saying the token's account may not sign in (account_blocked)


# Gitea's answer to a token without the scope a route needs (routers/api/v1/api.go, tokenRequiresScopes):
#   older (1.19 on): "token does not have at least one of required scope(s): [read:user]"
#   current:  "token does not have at least one of required scope(s), required=[read:user], token scope=..."
# The scopes are Go's %v of a slice: space-separated in brackets. Only well-formed scope names are kept,
# at most a few, so a hostile body cannot put arbitrary text into the log.
_SCOPE_MESSAGE = re.compile(r"required scope\(s\)(?::\s*|, required=)\[([^\]]{0,200})\]")
_SCOPE_NAME = re.compile(r"^(?:read|write):[a-z_]{1,30}$")


def missing_scopes(body: bytes) -> tuple[str, ...]:
    """The scopes a Gitea 403 says the token lacks; ("unknown",) if it is a scope refusal naming none; () if not."""
    data = _json(body)
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, str) or "required scope" not in message:
        return ()
    found = _SCOPE_MESSAGE.search(message[:1000])
    scopes = tuple(x for x in (found.group(1).split() if found else ()) if _SCOPE_NAME.match(x))[:5]
    return scopes or ("unknown",)


# Gitea's answers to a known token whose account may not sign in (routers/api/v1/api.go verifyAuthWithOptions,
# Gitea 1.27.3), on every API route: the account is prohibited from signing in or inactive, must change its
# password, or is not activated. The beginning of each message, as Gitea writes it.
BLOCKED_MESSAGES = ("This account is prohibited from signing in", "You must change your password",
                    "This account is not activated")
MAX_MESSAGE_CHARS = 200
# Anything that looks like a credential is not logged: Gitea's tokens are 40 hex digits; long runs of
# base64/hex characters (a JWT, a key) are cut out as well.
_SECRET_LIKE = re.compile(r"[A-Za-z0-9+_=-]{32,}(?:\.[A-Za-z0-9+_=-]{8,}){0,2}")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]+")


def gitea_message(body: bytes, secret: str | None = None) -> str:
    """Gitea's `message` from an error body, for the log: at most MAX_MESSAGE_CHARS printable characters, with the
    token (and anything shaped like a credential) replaced by <redacted>; "" when the body has none."""
    data = _json(body)
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, str):
        return ""
    text = message[:4 * MAX_MESSAGE_CHARS]
    if secret:
        text = text.replace(secret, "<redacted>")
    text = _SECRET_LIKE.sub("<redacted>", text)
    text = _UNPRINTABLE.sub(" ", text).strip()
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS - 3] + "..."


def about_token(probe: Probe, outcome: Outcome) -> bool:
    """An authenticated probe's answer that refuses the token itself: 401, a blocked account's 403, or a 403 on
    the token probe that names no scope (a scope's 403 is `insufficient_scope`, the token is valid)."""
    if not probe.auth or outcome.missing_scopes:
        return False
    return outcome.status == 401 or outcome.blocked or (outcome.status == 403 and probe.kind == "token")


def account_blocked(message: str) -> bool:
    """True when a 403's message says the token's account may not sign in (BLOCKED_MESSAGES)."""
    return message.startswith(BLOCKED_MESSAGES)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header: delay-seconds or an HTTP-date (RFC 9110 section 10.2.3).

    None when absent or unreadable; a date in the past is 0.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class BodyTimeout(Exception):
    """The body kept trickling past the probe's deadline (requests' timeout is per read, not total)."""


def _read_bounded(response: requests.Response, deadline: float) -> bytes:
    """The body, at most MAX_BODY_BYTES, given up at `deadline` (time.monotonic)."""
    raw = response.raw
    read = getattr(raw, "read1", None) or raw.read  # read1 returns what has arrived, not a full chunk
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = read(64 * 1024, decode_content=True)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise OverflowError(f"body larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise BodyTimeout


class Prober:
    """Runs every probe each interval (jittered) in a thread; /metrics never waits on Gitea."""

    def __init__(self, base_url: str, probes: tuple[Probe, ...], metrics: Metrics, token: Callable[[], str | None],
                 interval: float, timeout: float, verify: bool | str = True, max_backoff: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.probes, self.metrics, self.token = probes, metrics, token
        self.interval, self.timeout, self.verify = interval, timeout, verify
        # Throttled (429): no probe until _backoff_until (time.monotonic). Bounded by max_backoff so that the
        # rate-limited share stays measurable within a rate window and recovery is seen.
        self.max_backoff = max(max_backoff, interval)
        self._backoff_until = 0.0
        self._throttled_rounds = 0  # consecutive rounds answered 429, for the back-off without Retry-After
        metrics.backoff.set_function(lambda: max(0.0, self._backoff_until - time.monotonic()))
        self.session = requests.Session()
        self.session.max_redirects = 5
        self._stop = threading.Event()
        self.cycles = 0
        self._last_reason: dict[str, str | None] = {}
        self._tls_error: str | None = None
        self.ready = threading.Event()  # set after the first full cycle
        # Per authenticated endpoint: valid | rejected | blocked | insufficient_scope (from answers only).
        self._token_verdicts: dict[str, str] = {}
        self._token_scopes: dict[str, tuple[str, ...]] = {}
        self._token_messages: dict[str, tuple[int, str]] = {}  # endpoint -> (status, Gitea's message) of its verdict
        self.token_state: str | None = None
        self.token_detail = ""

    def run_once(self) -> None:
        throttled = False
        for probe in self.probes:
            if self.backing_off():
                break  # do not probe into the limit: the rest of the round waits for the next one
            try:
                throttled = self._probe(probe) or throttled
            except Exception as exc:  # noqa: BLE001 (a bug in one probe must not stop the probing thread)
                self.metrics.probes.labels(endpoint=probe.endpoint).inc()  # an attempt that failed is still a probe
                self.metrics.failures.labels(endpoint=probe.endpoint, reason="invalid_response").inc()
                if probe.kind == "health":
                    self.metrics.up.set(0)  # whatever broke, Gitea is not known to be up
                self._log_change(probe, Outcome(0, "invalid_response", detail=f"internal error: {cause(exc)}"))
        if not throttled and not self.backing_off():
            self._throttled_rounds = 0
        if urlsplit(self.base_url).scheme == "https":
            self._tls_expiry()
        self.cycles += 1
        self.ready.set()

    def run_forever(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.run_once()
            jitter = random.uniform(-0.1, 0.1) * self.interval
            next_round = max(started + self.interval + jitter, self._backoff_until)
            self._stop.wait(max(0.0, next_round - time.monotonic()))

    def backing_off(self) -> bool:
        return time.monotonic() < self._backoff_until

    def _back_off(self, outcome: Outcome) -> float:
        """Start a back-off after a 429: Retry-After when given, else the interval doubled per throttled round;
        at most max_backoff either way. Returns the seconds to wait."""
        self._throttled_rounds += 1
        if outcome.retry_after is not None:
            wait = outcome.retry_after
        else:
            wait = self.interval * 2 ** min(self._throttled_rounds - 1, 16)
        wait = min(wait, self.max_backoff)
        self._backoff_until = time.monotonic() + wait
        self.metrics.backoffs.inc()
        return wait

    def stop(self) -> None:
        self._stop.set()

    def _request(self, probe: Probe) -> Outcome:
        headers = {"Accept": "application/json", "User-Agent": "gitea-api-exporter"}
        token = self.token() if probe.auth else None
        if token:
            headers["Authorization"] = f"token {token}"
        deadline = time.monotonic() + self.timeout
        try:
            with self.session.get(self.base_url + probe.path, headers=headers, timeout=self.timeout,
                                  verify=self.verify, stream=True) as response:
                headers_at = time.perf_counter()
                body = _read_bounded(response, deadline)
                status = response.status_code
                retry_after = response.headers.get("Retry-After")
                server = response.headers.get("Server")
                # requests' elapsed runs from sending to the headers, so the time requests spends preparing
                # the call (merging settings, proxies) is not counted as Gitea's latency.
                seconds = response.elapsed.total_seconds() + time.perf_counter() - headers_at
        except requests.exceptions.SSLError as exc:
            return Outcome(0, "tls", detail=cause(exc))
        except (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError, BodyTimeout):
            return Outcome(0, "timeout", detail=f"no complete answer within {self.timeout:g}s")
        except requests.exceptions.TooManyRedirects:
            return Outcome(0, "invalid_response", detail=f"more than {self.session.max_redirects} redirects")
        except (requests.exceptions.ConnectionError, urllib3.exceptions.ProtocolError) as exc:
            # The body is read from urllib3 directly, so its exceptions arrive unwrapped.
            return Outcome(0, "connection", detail=cause(exc))
        except OverflowError as exc:
            return Outcome(0, "invalid_response", detail=str(exc))
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
            return Outcome(0, "invalid_response", detail=cause(exc))
        if status == 429:
            return self._throttled(status, body, retry_after, server, seconds)
        outcome = self._classify(probe, status, body)
        if 400 <= status < 500:
            message = gitea_message(body, token)
            blocked = status == 403 and probe.auth and account_blocked(message)
            detail = f"{outcome.detail}: {message}" if message and outcome.detail else outcome.detail
            outcome = dataclasses.replace(outcome, message=message, blocked=blocked, detail=detail)
            if about_token(probe, outcome):
                # Gitea is up and answers, correctly, about the token: the token state says so and
                # GiteaAPITokenRejected pages once. Counted as a failure it would also burn the availability SLO
                # and page a second time for one cause (seen on the real stack, docs/real-stack.md: a revoked
                # token fired GiteaAPIAvailabilitySLOFastBurn beside GiteaAPITokenRejected).
                outcome = dataclasses.replace(outcome, reason=None)
        return dataclasses.replace(outcome, seconds=seconds)

    @staticmethod
    def _throttled(status: int, body: bytes, retry_after: str | None, server: str | None, seconds: float) -> Outcome:
        """429 Too Many Requests: Gitea or (more often) the ingress/reverse proxy in front of it is throttling.
        The detail names who answered (Server header) and what it asked, for the runbook's first question."""
        wait = parse_retry_after(retry_after)
        detail = "HTTP 429" + (f", Retry-After {retry_after.strip()[:40]}" if retry_after else ", no Retry-After")
        if server:
            detail += f", server {server.strip()[:40]}"
        return Outcome(status, "rate_limited", body, detail, seconds=seconds, retry_after=wait)

    def _classify(self, probe: Probe, status: int, body: bytes) -> Outcome:
        if probe.kind == "health" and status in (200, 424):
            # Gitea answers 424 with the failing checks in the body: a 4xx failure that still reports checks.
            if not isinstance(_json(body), dict):
                return Outcome(status, "invalid_response", body, "health body is not a JSON object")
            return Outcome(status, None if status == 200 else "http_4xx", body, "" if status == 200 else "HTTP 424")
        if status >= 500:
            return Outcome(status, "http_5xx", body, f"HTTP {status}")
        scopes = missing_scopes(body) if status == 403 and probe.auth else ()
        if scopes:
            # Gitea is up and knows the token; the token lacks a scope. Not a Gitea failure (it would burn the
            # availability SLO and page): the token state says it, once, with the scope.
            return Outcome(status, None, body, f"token lacks scope {' '.join(scopes)}", missing_scopes=scopes)
        if status >= 400:
            return Outcome(status, "http_4xx", body, f"HTTP {status}")
        if status >= 300:
            return Outcome(status, "invalid_response", body, f"HTTP {status} redirect")
        if _json(body) is _INVALID:
            return Outcome(status, "invalid_response", body, "body is not JSON")
        return Outcome(status, None, body)

    def _probe(self, probe: Probe) -> bool:
        """Send one probe and record it; True when it was answered 429 (a back-off has started)."""
        m = self.metrics
        if probe.auth and not self.token():
            # Without a token an authenticated probe can only be refused: that says nothing about Gitea or a
            # token, so it is not sent (no failure, no TokenRejected page) and the token state says why.
            self._set_token_state("missing")
            return False
        started = time.perf_counter()
        try:
            outcome = self._request(probe)
        except Exception as exc:  # noqa: BLE001 (any exception is a failed probe with a reason, and up moves)
            outcome = Outcome(0, "invalid_response", detail=f"internal error: {cause(exc)}")
        elapsed = outcome.seconds if outcome.seconds is not None else time.perf_counter() - started
        m.probes.labels(endpoint=probe.endpoint).inc()
        m.duration.labels(endpoint=probe.endpoint).observe(elapsed)
        m.last_status.labels(endpoint=probe.endpoint).set(outcome.status)
        m.last_probe.labels(endpoint=probe.endpoint).set(time.time())
        if outcome.reason:
            m.failures.labels(endpoint=probe.endpoint, reason=outcome.reason).inc()
        if outcome.reason == "rate_limited":
            wait = self._back_off(outcome)
            outcome = dataclasses.replace(outcome, detail=f"{outcome.detail}; backing off {wait:g}s")
        self._log_change(probe, outcome)
        if outcome.reason == "rate_limited":
            return True  # a throttled answer says nothing about Gitea's health, version or the token
        if probe.kind == "health":
            self._health(outcome)
        elif probe.kind == "version" and outcome.reason is None:
            version = _json_field(outcome.body, "version")
            if version:
                m.set_version(version)
        if probe.auth and outcome.status:
            self._token_answer(probe, outcome)
        return False

    def _token_answer(self, probe: Probe, outcome: Outcome) -> None:
        """Only an answer about the token changes its state; a timeout or a 5xx says nothing about it."""
        if outcome.blocked:
            verdict = "blocked"
        elif about_token(probe, outcome):
            verdict = "rejected"
        elif outcome.missing_scopes:
            verdict = "insufficient_scope"
        elif 200 <= outcome.status < 300:
            verdict = "valid"
        else:
            return
        self._token_verdicts[probe.endpoint] = verdict
        self._token_scopes[probe.endpoint] = outcome.missing_scopes
        self._token_messages[probe.endpoint] = (outcome.status, outcome.message)
        verdicts = set(self._token_verdicts.values())
        state = next(s for s in ("rejected", "blocked", "insufficient_scope", "valid") if s in verdicts)
        self._set_token_state(state)

    def _set_token_state(self, state: str) -> None:
        if state == "missing":
            self._token_verdicts.clear()
            self._token_scopes.clear()
            self._token_messages.clear()
            why = getattr(self.token, "problem", None) or "no token configured"
            detail = f"no Gitea token ({why}); authenticated probes are skipped"
        elif state == "insufficient_scope":
            lacking = {e: " ".join(s) for e, s in sorted(self._token_scopes.items()) if s}
            detail = "token is valid but lacks " + ", ".join(f"{s} (probe {e})" for e, s in lacking.items())
        elif state == "valid":
            detail = ""
        else:  # rejected, blocked: say what Gitea answered, in its words
            status, message = next((self._token_messages.get(e, (0, "")) for e, v in sorted(self._token_verdicts.items())
                                    if v == state), (0, ""))
            what = ("Gitea rejects the token" if state == "rejected"
                    else "Gitea knows the token but its account may not sign in")
            detail = f"{what} (HTTP {status})" + (f": {message}" if message else "")
        self.metrics.set_token_state(state)
        if (state, detail) != (self.token_state, self.token_detail):
            if state == "valid":
                log.info(event("token valid"))
            elif state == "insufficient_scope":
                log.warning(event("token lacks scope", scopes=" ".join(sorted({x for s in self._token_scopes.values()
                                                                               for x in s})), detail=detail))
            else:
                log.warning(event(f"token {state}", detail=detail))
        self.token_state, self.token_detail = state, detail

    def readiness(self) -> tuple[bool, str]:
        """(ready, why) for /readyz. A missing or under-scoped token does not make the sidecar unready: readiness
        gates the provider's own pod (Crossplane waits for it), and a monitoring problem must not stop the provider.
        """
        if not self.ready.is_set():
            return False, "first probe round pending"
        if self.token_state in ("missing", "insufficient_scope", "rejected", "blocked"):
            return True, f"ready, degraded: {self.token_detail}"
        return True, "ready"

    def _log_change(self, probe: Probe, outcome: Outcome) -> None:
        """One line when an endpoint starts failing, changes reason or recovers; not one per cycle."""
        previous = self._last_reason.get(probe.endpoint, None)
        self._last_reason[probe.endpoint] = outcome.reason
        if outcome.reason == previous:
            return
        if outcome.reason:
            log.warning(event("probe failing", endpoint=probe.endpoint, reason=outcome.reason, status=outcome.status,
                              detail=outcome.detail))
        else:
            log.info(event("probe ok", endpoint=probe.endpoint, status=outcome.status))

    def _health(self, outcome: Outcome) -> None:
        m = self.metrics
        m.up.set(1 if outcome.reason is None else 0)
        data = _json(outcome.body) if outcome.status in (200, 424) else None
        if isinstance(data, dict) and isinstance(data.get("checks"), dict):
            checks = data["checks"]
            for name, results in checks.items():
                results = results if isinstance(results, list) else [results]
                failed = any(isinstance(r, dict) and r.get("status") == "fail" for r in results)
                m.health_check.labels(check=name).set(0 if failed else 1)

    def _tls_expiry(self) -> None:
        parts = urlsplit(self.base_url)
        host, port = parts.hostname or "", parts.port or 443
        context = ssl.create_default_context(cafile=self.verify if isinstance(self.verify, str) else None)
        if self.verify is False:
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        try:
            with socket.create_connection((host, port), timeout=self.timeout) as sock, \
                    context.wrap_socket(sock, server_hostname=host) as tls:
                cert = tls.getpeercert()
            if cert and cert.get("notAfter"):
                self.metrics.tls_expiry.set(ssl.cert_time_to_seconds(cert["notAfter"]))
            self._tls_error = None
        except (OSError, ValueError) as exc:
            detail = cause(exc)
            if detail != self._tls_error:  # once per change, like probe failures
                log.warning(event("tls certificate expiry unknown", detail=detail))
            self._tls_error = detail


_INVALID = object()


def _json(body: bytes) -> object:
    """Parsed JSON, or _INVALID."""
    try:
        return json.loads(body or b"null")
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than the parser can go
        return _INVALID


def _json_field(body: bytes, key: str) -> str | None:
    data = _json(body)
    value = data.get(key) if isinstance(data, dict) else None
    return str(value) if value else None
