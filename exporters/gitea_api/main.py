"""gitea-api-exporter entry point: flags (each also from an environment variable), server, shutdown.

Probing runs in the background on a fixed interval rather than at scrape time (as the exporter
guidelines describe for blackbox-style probes): /metrics must answer in milliseconds while Gitea
hangs, and several Prometheus replicas scraping must not multiply the load on Gitea.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, disable_created_metrics, generate_latest

from . import __version__, proxy
from .durations import flag_seconds
from .logs import event, log, setup
from .metrics import Metrics
from .probes import DEFAULT_PROBES, ProbeConfigError, Prober, load_probes
from .proxy import ProxySettings
from .server import BoundedHandler, BoundedServer

DEFAULT_LISTEN = ":9523"
DEFAULT_PROXY_LISTEN = "127.0.0.1:9524"
DEFAULT_MAX_BACKOFF = 60.0  # seconds
MODES = ("probe", "proxy", "both")  # --mode / EXPORTER_MODE; the config and the Helm chart offer these


def parse_duration(text: str) -> float:
    """Seconds in a flag's duration (15s, 800ms, 1m: durations.flag_seconds), with argparse's kind of error."""
    try:
        return flag_seconds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class TokenSource:
    """The token from --token-file (re-read when the file changes, so a rotated Secret works) or GITEA_TOKEN."""

    def __init__(self, path: str | None, env_token: str | None) -> None:
        self.path, self.env_token = path, env_token
        self._mtime: float | None = None
        self._token: str | None = None
        self._error: str | None = None

    def __call__(self) -> str | None:
        if not self.path:
            return self.env_token
        try:
            mtime = os.stat(self.path).st_mtime
            if mtime != self._mtime:
                self._token, self._mtime = Path(self.path).read_text().strip() or None, mtime
        except OSError as exc:
            if exc.strerror != self._error:  # once per change, not every probe
                log.warning(event("cannot read token file", path=self.path, detail=exc.strerror))
            self._error = exc.strerror
            return self._token
        self._error = None
        return self._token

    @property
    def problem(self) -> str | None:
        """Why there is no token, in words for the log and /readyz (never the token itself)."""
        if not self.path:
            return None if self.env_token else "neither --token-file (GITEA_TOKEN_FILE) nor GITEA_TOKEN is set"
        if self._error:
            return f"token file {self.path}: {self._error} (is the Secret there? its volume is optional)"
        return None if self._token else f"token file {self.path} is empty"

    def __repr__(self) -> str:  # never show the token
        return f"TokenSource(path={self.path!r})"


def build_parser() -> argparse.ArgumentParser:
    env = os.environ.get
    p = argparse.ArgumentParser(
        prog="gitea-api-exporter",
        description="Probe the Gitea API from the provider's pod and export latency and availability. "
                    "Every flag can also be set with the environment variable named in its help.")
    p.add_argument("--gitea-url", default=env("GITEA_URL"), help="Gitea base URL, e.g. https://gitea.example.com "
                   "(GITEA_URL)")
    p.add_argument("--token-file", default=env("GITEA_TOKEN_FILE"), help="file holding the API token; re-read when "
                   "it changes (GITEA_TOKEN_FILE). Without it the GITEA_TOKEN variable is used.")
    p.add_argument("--ca-file", default=env("GITEA_CA_FILE"), help="CA bundle to verify Gitea's certificate "
                   "(GITEA_CA_FILE)")
    p.add_argument("--insecure-skip-verify", action="store_true",
                   default=env("GITEA_INSECURE_SKIP_VERIFY", "") == "true",
                   help="do not verify TLS certificates; logs a warning (GITEA_INSECURE_SKIP_VERIFY=true)")
    p.add_argument("--interval", type=parse_duration, default=parse_duration(env("PROBE_INTERVAL", "15s")),
                   help="time between probe rounds, jittered by 10%% (PROBE_INTERVAL, default 15s)")
    p.add_argument("--timeout", type=parse_duration, default=parse_duration(env("PROBE_TIMEOUT", "10s")),
                   help="timeout of each probe; must be below the interval (PROBE_TIMEOUT, default 10s)")
    p.add_argument("--max-backoff", type=parse_duration,
                   default=parse_duration(env("PROBE_MAX_BACKOFF")) if env("PROBE_MAX_BACKOFF") else None,
                   help="longest pause after a 429 answer: Retry-After is honoured up to this, and without it the "
                   "interval doubles per throttled round up to this (PROBE_MAX_BACKOFF, default 60s or the interval "
                   "if longer; at least the interval; keep it well below the rules' rate window so the throttled "
                   "share stays measurable)")
    p.add_argument("--probes", default=env("PROBES_FILE"), help="YAML list of probes {endpoint, path, kind, auth} "
                   "replacing the defaults (PROBES_FILE)")
    p.add_argument("--mode", choices=MODES, default=env("EXPORTER_MODE", "probe"),
                   help="probe: probe Gitea in the background (default); proxy: forward the provider's calls to "
                   "Gitea and measure them; both: one process doing both (EXPORTER_MODE)")
    p.add_argument("--proxy-listen-address", default=env("PROXY_LISTEN_ADDRESS", DEFAULT_PROXY_LISTEN),
                   help="host:port the proxy listens on; point the ProviderConfig's base URL at it "
                   f"(PROXY_LISTEN_ADDRESS, default {DEFAULT_PROXY_LISTEN}, localhost only)")
    p.add_argument("--proxy-timeout", type=parse_duration, default=parse_duration(env("PROXY_TIMEOUT", "30s")),
                   help="how long the proxy waits for Gitea's response headers before answering 504 "
                   "(PROXY_TIMEOUT, default 30s like the provider's own client)")
    p.add_argument("--proxy-idle-timeout", type=parse_duration,
                   default=parse_duration(env("PROXY_IDLE_TIMEOUT", "10s")),
                   help="longest pause while the provider sends a request (headers or body); a stalled upload is "
                   "cut, answered 408 and counted with code=\"408\" (PROXY_IDLE_TIMEOUT, default 10s)")
    p.add_argument("--listen-address", default=env("LISTEN_ADDRESS", DEFAULT_LISTEN),
                   help=f"host:port for /metrics, /healthz, /readyz (LISTEN_ADDRESS, default {DEFAULT_LISTEN})")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return p


def _handler(metrics: Metrics, ready_event: threading.Event,
             readiness: Callable[[], tuple[bool, str]] | None = None) -> type[BaseHTTPRequestHandler]:
    class Handler(BoundedHandler):
        disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                body, ctype, code = generate_latest(metrics.registry), CONTENT_TYPE_LATEST, 200
            elif path == "/healthz":
                body, ctype, code = b"ok\n", "text/plain", 200
            elif path == "/readyz":
                ready, why = readiness() if readiness else (ready_event.is_set(), "ready")
                body, ctype, code = f"{why}\n".encode(), "text/plain", 200 if ready else 503
            else:
                body, ctype, code = b"not found: try /metrics\n", "text/plain", 404
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _redact(url: str) -> str:
    """The URL without user:password@ (never log credentials)."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _plain_http_to_another_host(url: str) -> bool:
    """True for http:// to anything but loopback (in proxy mode the provider's token goes there too)."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        return False
    host = (parts.hostname or "").strip("[]")
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host != "localhost"


def _split_listen(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "0.0.0.0", int(port)


def main(argv: list[str] | None = None) -> int:
    setup()
    disable_created_metrics()  # *_created series double the exposition and no rule uses them
    args = build_parser().parse_args(argv)
    if not args.gitea_url:
        print("gitea-api-exporter: --gitea-url (or GITEA_URL) is required", file=sys.stderr)
        return 2
    if args.timeout >= args.interval:
        print("gitea-api-exporter: --timeout must be smaller than --interval", file=sys.stderr)
        return 2
    if args.max_backoff is None:
        args.max_backoff = max(DEFAULT_MAX_BACKOFF, args.interval)
    if args.max_backoff < args.interval:
        print("gitea-api-exporter: --max-backoff must be at least --interval", file=sys.stderr)
        return 2
    try:
        probes = load_probes(args.probes) if args.probes else DEFAULT_PROBES
    except ProbeConfigError as exc:
        print(f"gitea-api-exporter: {exc}", file=sys.stderr)
        return 2
    token_source = TokenSource(args.token_file, os.environ.get("GITEA_TOKEN"))
    if _plain_http_to_another_host(args.gitea_url) and (args.mode != "probe" or args.token_file or token_source()):
        log.warning(event("the Gitea token goes over plain http to a host that is not this machine: anyone on the "
                          "path can read it; use an https URL", gitea_url=_redact(args.gitea_url)))
    verify: bool | str = args.ca_file or True
    if args.insecure_skip_verify:
        log.warning(event("TLS verification is off (--insecure-skip-verify): Gitea's identity is not checked"))
        verify = False
    probing, proxying = args.mode in ("probe", "both"), args.mode in ("proxy", "both")
    metrics = Metrics([p.endpoint for p in probes] if probing else [], proxy=proxying)
    prober = Prober(args.gitea_url, probes, metrics, token_source, args.interval, args.timeout, verify,
                    args.max_backoff) if probing else None
    ready = prober.ready if prober else threading.Event()
    servers = []
    try:
        servers.append(BoundedServer(_split_listen(args.listen_address),
                                     _handler(metrics, ready, prober.readiness if prober else None), "metrics"))
        if proxying:
            settings = ProxySettings(args.gitea_url, args.proxy_timeout, min(5.0, args.proxy_timeout), verify,
                                     args.proxy_idle_timeout)
            servers.append(proxy.serve(_split_listen(args.proxy_listen_address), settings, metrics))
    except (OSError, ValueError) as exc:
        address = args.proxy_listen_address if servers else args.listen_address
        for server in servers:
            server.server_close()
        print(f"gitea-api-exporter: cannot listen on {address}: {exc}", file=sys.stderr)
        return 1
    for server in servers:
        server.daemon_threads = True
    if prober:
        threading.Thread(target=prober.run_forever, name="prober", daemon=True).start()
    else:
        ready.set()
    for extra in servers[1:]:
        threading.Thread(target=extra.serve_forever, name="proxy", daemon=True).start()

    def shutdown(signum: int, _frame: object) -> None:
        log.info(event("shutting down", signal=signum))
        if prober:
            prober.stop()
        for server in servers:
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    log.info(event("listening", address=args.listen_address, mode=args.mode, gitea_url=_redact(args.gitea_url),
                   probes=len(probes) if probing else 0, interval=f"{args.interval:g}s", timeout=f"{args.timeout:g}s",
                   proxy=args.proxy_listen_address if proxying else "off"))
    servers[0].serve_forever()
    for server in servers:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
