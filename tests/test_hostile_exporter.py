"""Hostile inputs to the exporter (issue #20 items 1, 2, 6, 9): idle connections do not pin a thread each,
every port listens with a backlog of at least 128, any probe exception is a failure that moves
gitea_api_up. Loopback only; bounded in count and time; no timed assertions (bench/hostile.py measures)."""

from __future__ import annotations

import errno
import json
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from gitea_provider_monitoring.exporters.gitea_api.metrics import Metrics
from gitea_provider_monitoring.exporters.gitea_api.probes import Probe, Prober
from tests.sim.processes import ExporterProcess, free_port
from tests.sim.raw_http import RecordingUpstream, recording_upstream

HEALTHY = json.dumps({"status": "pass", "checks": {"cache:ping": [{"status": "pass"}]}}).encode()


def threads_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads line")


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with recording_upstream() as up:
        yield up


# -- item 1: idle connections to the metrics port are capped, not one thread each

def test_idle_connections_do_not_pin_a_thread_each(upstream: RecordingUpstream, tmp_path: Path) -> None:
    exp = ExporterProcess(upstream.url, tmp_path / "log", "--interval", "1h", "--timeout", "5s")
    idle: list[socket.socket] = []
    try:
        for _ in range(300):
            idle.append(socket.create_connection(("127.0.0.1", exp.port)))
        r = requests.get(exp.url + "/metrics", timeout=60)  # queued behind the idle ones, then answered
        assert r.status_code == 200 and "gitea_api_probes_total" in r.text
        assert threads_of(exp.proc.pid) <= 64 + 8  # the cap, plus main, prober and a few helpers
    finally:
        for s in idle:
            s.close()
        exp.stop()
    assert "Traceback" not in exp.logs()


# -- item 2: a listen backlog of at least 128 on the metrics and the proxy port

def _established_while_stopped(pid: int, port: int, attempts: int = 160) -> int:
    """Connections the kernel completes on `port` while the process cannot accept: its listen backlog."""
    socks = []
    os.kill(pid, signal.SIGSTOP)
    try:
        for _ in range(attempts):
            s = socket.socket()
            s.setblocking(False)
            if s.connect_ex(("127.0.0.1", port)) not in (0, errno.EINPROGRESS):
                s.close()
                continue
            socks.append(s)
        pending, deadline = list(socks), time.monotonic() + 3
        while pending and time.monotonic() < deadline:
            _, writable, _ = select.select([], pending, [], 0.2)
            pending = [s for s in pending if s not in writable]
        return sum(1 for s in socks if s not in pending and s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0)
    finally:
        os.kill(pid, signal.SIGCONT)
        for s in socks:
            s.close()


def test_every_port_listens_with_a_backlog_of_at_least_128(upstream: RecordingUpstream, tmp_path: Path) -> None:
    proxy_port = free_port()
    exp = ExporterProcess(upstream.url, tmp_path / "log", "--mode", "both", "--interval", "1h", "--timeout", "5s",
                          "--proxy-listen-address", f"127.0.0.1:{proxy_port}")
    try:
        metrics_backlog = _established_while_stopped(exp.proc.pid, exp.port)
        proxy_backlog = _established_while_stopped(exp.proc.pid, proxy_port)
        assert requests.get(exp.url + "/metrics", timeout=30).status_code == 200
    finally:
        exp.stop()
    assert metrics_backlog >= 128 and proxy_backlog >= 128, (metrics_backlog, proxy_backlog)


# -- item 6: whatever the exception, a probe failure has a reason and gitea_api_up moves

class _Gitea:
    """/api/healthz answering whatever body the test sets."""

    def __init__(self) -> None:
        self.body = HEALTHY
        gitea = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(gitea.body)))
                self.end_headers()
                self.wfile.write(gitea.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture()
def gitea() -> Iterator[_Gitea]:
    g = _Gitea()
    yield g
    g.server.shutdown()
    g.server.server_close()


def _value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_deeply_nested_health_body_is_a_failure_and_up_moves(gitea: _Gitea) -> None:
    metrics = Metrics(["healthz"])
    prober = Prober(gitea.url, (Probe("healthz", "/api/healthz", "health", auth=False),), metrics, lambda: None,
                    15, 5)
    prober.run_once()
    assert _value(metrics, "gitea_api_up") == 1
    gitea.body = b"[" * 100_000 + b"]" * 100_000  # RecursionError in json.loads
    prober.run_once()
    assert _value(metrics, "gitea_api_up") == 0
    assert _value(metrics, "gitea_api_probes_total", endpoint="healthz") == 2
    assert _value(metrics, "gitea_api_probe_failures_total", endpoint="healthz", reason="invalid_response") == 1


def test_any_exception_in_a_probe_is_a_failure_and_up_moves(gitea: _Gitea) -> None:
    def broken_token() -> str:
        raise RuntimeError("token source broke")

    metrics = Metrics(["healthz"])
    prober = Prober(gitea.url, (Probe("healthz", "/api/healthz", "health", auth=True),), metrics, broken_token, 15, 5)
    prober.run_once()
    assert _value(metrics, "gitea_api_up") == 0
    assert _value(metrics, "gitea_api_probes_total", endpoint="healthz") == 1
    assert _value(metrics, "gitea_api_probe_failures_total", endpoint="healthz", reason="invalid_response") == 1


# -- item 9: credentials in --gitea-url never in the exporter's log (probe mode)

def test_url_credentials_stay_out_of_probe_logs(tmp_path: Path) -> None:
    exp = ExporterProcess(f"http://gitea-admin:pa55w0rd-in-url@127.0.0.1:{free_port()}", tmp_path / "log",
                          "--interval", "1h", "--timeout", "2s")
    exp.stop()
    logs = exp.logs()
    assert "probe failing" in logs and "pa55w0rd" not in logs and "gitea-admin" not in logs
