"""Start and stop the real processes the tests, e2e harness and benchmarks use (exporter, Prometheus...)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 15.0, status: int = 200) -> None:
    """Poll until `url` answers `status`; raise with the URL when it never does."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            r = requests.get(url, timeout=1)
            if r.status_code == status:
                return
            last = f"HTTP {r.status_code}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer {status} within {timeout:g}s (last: {last})")


class ExporterProcess:
    """`python -m gitea_provider_monitoring.exporters.gitea_api.main` with the given flags; logs go to `log_path`."""

    def __init__(self, gitea_url: str, log_path: Path, *extra: str, env: dict[str, str] | None = None,
                 wait_ready: bool = True, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "a")  # noqa: SIM115 (closed in stop)
        cmd = [sys.executable, "-m", "gitea_provider_monitoring.exporters.gitea_api.main", "--gitea-url", gitea_url,
               "--listen-address", f"127.0.0.1:{self.port}", *extra]
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO_ROOT,
                                     env={**os.environ, **(env or {})})
        try:
            wait_http(self.url + ("/readyz" if wait_ready else "/healthz"), timeout=20)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"exporter did not start: {self.logs()}") from None

    def metrics(self) -> str:
        return requests.get(self.url + "/metrics", timeout=5).text

    def logs(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one series in a text exposition, matched on name and exactly these labels."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return None
