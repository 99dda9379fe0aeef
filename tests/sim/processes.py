"""Start and stop the real processes the tests, e2e harness and benchmarks use (exporter, Prometheus...).

The one launcher of Prometheus and Alertmanager (tests/e2e/harness.py, tests/e2e/multicluster.py,
bench/scale.py): each listens on a free 127.0.0.1 port, is ready (`/-/ready`) when its constructor
returns, and `stop()` ends it (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import requests
import yaml

from gitea_provider_monitoring.check.promtool import find_tool

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 15.0, status: int = 200, proc: subprocess.Popen | None = None) -> None:
    """Poll until `url` answers `status`; raise with the URL when it never does (at once when `proc` exits)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise TimeoutError(f"{url}: the process exited ({proc.returncode}) before answering")
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


def tool_path(name: str) -> str:
    """prometheus, alertmanager...: .tools/bin (Debian's, `make tools`), then PATH; an error saying how to get it."""
    found = find_tool(name)
    if not found:
        raise FileNotFoundError(f"{name} not found: run `make tools` (Debian's prometheus packages into .tools/bin)")
    return found


class ServerProcess:
    """`binary` with `flags` on a free 127.0.0.1 port (`url`), ready when constructed; output goes to `log`.

    `prefix` runs it through another command (`nice -n 19`). A server that exits or never gets ready is
    stopped and raises with the end of its log.
    """

    def __init__(self, binary: str, flags: Sequence[str], log: Path, *, prefix: Sequence[str] = (),
                 cwd: Path | None = None, ready_timeout: float = 60.0, stop_timeout: float = 10.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path, self.stop_timeout = log, stop_timeout
        self._log = open(log, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen([*prefix, binary, *flags, f"--web.listen-address=127.0.0.1:{self.port}"],
                                     stdout=self._log, stderr=subprocess.STDOUT, cwd=cwd)
        try:
            wait_http(self.url + "/-/ready", timeout=ready_timeout, proc=self.proc)
        except TimeoutError as exc:
            self.stop()
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            raise RuntimeError(f"{Path(binary).name} did not get ready: {exc}; {log}:\n{tail}") from None

    def terminate(self) -> None:
        """Ask it to stop (SIGTERM) without waiting: stop_all ends several at once."""
        if self.proc.poll() is None:
            self.proc.terminate()

    def stop(self) -> int:
        """SIGTERM, up to `stop_timeout` seconds, then SIGKILL; the exit code."""
        self.terminate()
        try:
            self.proc.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        return self.proc.returncode


def stop_all(servers: Iterable[ServerProcess]) -> None:
    """Stop several servers: all get SIGTERM first, so their shutdowns overlap."""
    servers = list(servers)
    for server in servers:
        server.terminate()
    for server in servers:
        server.stop()


class PrometheusProcess(ServerProcess):
    """Prometheus reading `config` (written as YAML to `config_file`) and keeping its data in `storage`: the
    TSDB, or with `agent` the WAL of agent mode (scrape and remote-write only)."""

    def __init__(self, binary: str, config: dict[str, Any], config_file: Path, storage: Path, log: Path,
                 *flags: str, agent: bool = False, prefix: Sequence[str] = (), ready_timeout: float = 60.0,
                 stop_timeout: float = 10.0) -> None:
        self.config_file = config_file
        self._write(config)
        storage_flag = f"--storage.agent.path={storage}" if agent else f"--storage.tsdb.path={storage}"
        super().__init__(binary, [*(["--enable-feature=agent"] if agent else []), f"--config.file={config_file}",
                                  storage_flag, *flags], log, prefix=prefix, ready_timeout=ready_timeout,
                         stop_timeout=stop_timeout)

    def _write(self, config: dict[str, Any]) -> None:
        self.config_file.write_text(yaml.safe_dump(config, sort_keys=False))

    def reload(self, config: dict[str, Any]) -> None:
        """Rewrite the config and send SIGHUP (Prometheus rereads it; returns before it has)."""
        self._write(config)
        self.proc.send_signal(signal.SIGHUP)


def alert_states(prom_url: str) -> dict[str, str]:
    """alertname -> state (pending or firing) of the alerts a Prometheus holds now; firing wins over pending."""
    r = requests.get(prom_url + "/api/v1/alerts", timeout=10)
    out: dict[str, str] = {}
    for a in r.json()["data"]["alerts"]:
        name = a["labels"]["alertname"]
        if out.get(name) != "firing":
            out[name] = a["state"]
    return out


class AlertmanagerProcess(ServerProcess):
    """Alertmanager with the config file `config_file` (the build's), alone (no cluster), its state in `storage`."""

    def __init__(self, binary: str, config_file: Path, storage: Path, log: Path, *, ready_timeout: float = 30.0) -> None:
        # scripts/fetch-tools points Debian's template path at ./amshare_ relative to .tools/share.
        share = Path(binary).resolve().parent.parent / "share"
        super().__init__(binary, [f"--config.file={config_file}", f"--storage.path={storage}",
                                  "--cluster.listen-address="], log, cwd=share if share.is_dir() else None,
                         ready_timeout=ready_timeout)


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one series in a text exposition, matched on name and exactly these labels."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return s.value
    return None
