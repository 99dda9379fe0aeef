"""gitea-api-exporter against a small local Gitea stand-in (the spec-validated simulator is still to come)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from monitoring import promtool

TOKEN = "s3cr3t-token-value"


class FakeGitea:
    """Answers the default probes; `mode` switches faults: ok, hang, down424, revoked."""

    def __init__(self) -> None:
        self.mode = "ok"
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                if fake.mode == "hang":
                    time.sleep(5)
                path = self.path.split("?")[0]
                code, body = 200, {}
                if path == "/api/healthz":
                    status = "fail" if fake.mode == "down424" else "pass"
                    code = 424 if fake.mode == "down424" else 200
                    body = {"status": status, "checks": {"database:ping": [{"status": status}],
                                                         "cache:ping": [{"status": "pass"}]}}
                elif path == "/api/v1/version":
                    body = {"version": "1.26.3"}
                elif path in ("/api/v1/user", "/api/v1/repos/search"):
                    ok = self.headers.get("Authorization") == f"token {TOKEN}" and fake.mode != "revoked"
                    code, body = (200, {"id": 1, "login": "provider"}) if ok else (401, {"message": "token is required"})
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def gitea() -> FakeGitea:
    fake = FakeGitea()
    yield fake
    fake.server.shutdown()


@pytest.fixture()
def exporter(gitea: FakeGitea, tmp_path: Path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "exporters.gitea_api.main", "--gitea-url", gitea.url, "--token-file", str(token_file),
         "--interval", "500ms", "--timeout", "300ms", "--listen-address", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if requests.get(base + "/readyz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    yield base, proc
    proc.terminate()
    proc.wait(timeout=5)


def _sample(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            if name + "{" in line or line.split(" ")[0] == name:
                return float(line.rsplit(" ", 1)[1])
    return None


def _metrics(base: str) -> str:
    return requests.get(base + "/metrics", timeout=2).text


def test_healthy_gitea_metrics_and_promtool_clean(exporter) -> None:
    base, _ = exporter
    text = _metrics(base)
    assert _sample(text, "gitea_api_up") == 1
    assert _sample(text, "gitea_api_token_valid") == 1
    assert 'gitea_api_info{version="1.26.3"} 1.0' in text
    assert 'gitea_api_health_check_status{check="database:ping"} 1.0' in text
    assert 'gitea_api_probe_failures_total{endpoint="user",reason="timeout"} 0.0' in text
    promtool.check_metrics(text)
    assert TOKEN not in text


def test_faults_move_the_right_series(exporter, gitea: FakeGitea) -> None:
    base, proc = exporter
    gitea.mode = "down424"
    time.sleep(1.5)
    text = _metrics(base)
    assert _sample(text, "gitea_api_up") == 0
    assert 'gitea_api_health_check_status{check="database:ping"} 0.0' in text
    gitea.mode = "revoked"
    time.sleep(1.5)
    text = _metrics(base)
    assert _sample(text, "gitea_api_token_valid") == 0
    assert 'gitea_api_last_status_code{endpoint="user"} 401.0' in text


def test_metrics_answer_fast_while_gitea_hangs(exporter, gitea: FakeGitea) -> None:
    base, proc = exporter
    gitea.mode = "hang"
    time.sleep(1)
    slowest = 0.0
    for _ in range(20):
        started = time.perf_counter()
        _metrics(base)
        slowest = max(slowest, time.perf_counter() - started)
    # Not a timing target (bench/ measures that): only proof that /metrics does not wait on Gitea's 5 s.
    assert slowest < 2.0
    text = _metrics(base)
    assert float(text.split('gitea_api_probe_failures_total{endpoint="healthz",reason="timeout"} ')[1].split()[0]) >= 1
    proc.terminate()
    out, _ = proc.communicate(timeout=5)
    assert proc.returncode == 0
    assert TOKEN not in out and "Traceback" not in out
    assert "reason=timeout" in out


def test_help_mentions_env_and_never_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITEA_TOKEN", TOKEN)
    out = subprocess.run([sys.executable, "-m", "exporters.gitea_api.main", "--help"], capture_output=True, text=True)
    assert "GITEA_URL" in out.stdout and TOKEN not in out.stdout


def test_port_taken_exits_non_zero(gitea: FakeGitea) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "exporters.gitea_api.main", "--gitea-url", gitea.url,
                              "--listen-address", f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 1 and "cannot listen" in out.stderr
