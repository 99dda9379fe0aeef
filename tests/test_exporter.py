"""gitea-api-exporter against the spec-validated Gitea simulator: contract, faults, TLS, token rotation."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitea_provider_monitoring.check import promtool
from gitea_provider_monitoring.check.promtool import Toolset
from gitea_provider_monitoring.exporters.gitea_api import __version__
from gitea_provider_monitoring.exporters.gitea_api.main import parse_duration
from gitea_provider_monitoring.exporters.gitea_api.probes import ProbeConfigError, load_probes
from tests.sim.gitea import GiteaSimulator, simulated_gitea
from tests.sim.openapi import spec_file
from tests.sim.processes import ExporterProcess, free_port, sample

TOKEN = "s3cr3t-token-value"
FAST = ("--interval", "400ms", "--timeout", "250ms")


def wait_for(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def gitea() -> Iterator[GiteaSimulator]:
    with simulated_gitea(spec_file("gitea-swagger.json"), TOKEN, hang_seconds=1.0) as sim:
        yield sim


@pytest.fixture(scope="module")
def exporter(gitea: GiteaSimulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExporterProcess]:
    tmp = tmp_path_factory.mktemp("exporter")
    token_file = tmp / "token"
    token_file.write_text(TOKEN + "\n")
    proc = ExporterProcess(gitea.url, tmp / "exporter.log", "--token-file", str(token_file), *FAST)
    yield proc
    assert proc.stop() == 0
    logs = proc.logs()
    assert TOKEN not in logs and "Traceback" not in logs


@pytest.fixture()
def healthy(gitea: GiteaSimulator, exporter: ExporterProcess) -> ExporterProcess:
    """Every test starts from a healthy Gitea that the exporter has seen as healthy."""
    gitea.set_fault("none")
    wait_for(lambda: sample(exporter.metrics(), "gitea_api_up") == 1
             and sample(exporter.metrics(), "gitea_api_token_valid") == 1, "a healthy probe round")
    return exporter


def failures(text: str, endpoint: str, reason: str) -> float:
    return sample(text, "gitea_api_probe_failures_total", endpoint=endpoint, reason=reason) or 0.0


def test_healthy_gitea_exposes_the_contract(healthy: ExporterProcess) -> None:
    text = healthy.metrics()
    assert sample(text, "gitea_api_info", version="1.26.3") == 1
    assert sample(text, "gitea_api_health_check_status", check="database:ping") == 1
    assert sample(text, "gitea_api_health_check_status", check="cache:ping") == 1
    assert sample(text, "gitea_api_last_status_code", endpoint="repos_search") == 200
    assert sample(text, "gitea_api_exporter_build_info", version=__version__) == 1
    assert failures(text, "user", "timeout") == 0  # pre-created, so rate() works before the first failure
    assert sample(text, "gitea_api_probe_duration_seconds_count", endpoint="healthz") >= 1
    assert sample(text, "gitea_api_tls_cert_expiry_timestamp_seconds") is None  # http: no certificate
    assert "_created" not in text
    assert TOKEN not in text


def test_exposition_passes_promtool_check_metrics(healthy: ExporterProcess, prometheus_tools: Toolset) -> None:
    promtool.check_metrics(healthy.metrics(), promtool=prometheus_tools.tool)


def test_gauges_are_absent_until_measured() -> None:
    """0 would read as "Gitea down" or "token rejected" before the first probe has answered."""
    from prometheus_client import generate_latest

    from gitea_provider_monitoring.exporters.gitea_api.metrics import Metrics

    text = generate_latest(Metrics(["healthz"]).registry).decode()
    for name in ("gitea_api_up", "gitea_api_token_valid", "gitea_api_tls_cert_expiry_timestamp_seconds"):
        assert sample(text, name) is None, name


# fault -> (paths it applies to, endpoint whose counter moves, reason, gauge expectations)
FAULTS = {
    "hang": ((), "healthz", "timeout", {"gitea_api_up": 0}),
    "slow_body": (("/api/healthz",), "healthz", "timeout", {"gitea_api_up": 0}),
    "stall_body": (("/api/v1/version",), "version", "timeout", {"gitea_api_up": 1}),
    "http_500": ((), "version", "http_5xx", {"gitea_api_up": 0}),
    "healthz_fail": (("/api/healthz",), "healthz", "http_4xx", {"gitea_api_up": 0}),
    "invalid_json": (("/api/v1/version",), "version", "invalid_response", {"gitea_api_up": 1}),
    "redirect_loop": (("/api/v1/repos/search",), "repos_search", "invalid_response", {"gitea_api_up": 1}),
    "oversized": (("/api/v1/repos/search",), "repos_search", "invalid_response", {"gitea_api_token_valid": 1}),
    "drop": (("/api/healthz",), "healthz", "connection", {"gitea_api_up": 0}),
}


def test_a_refused_token_is_an_answer_not_a_failure(gitea: GiteaSimulator, healthy: ExporterProcess) -> None:
    """A 401 says the token is revoked, not that Gitea fails: the token state pages (GiteaAPITokenRejected), no
    failure is counted, so the availability SLO does not page a second time (the real stack showed it did)."""
    before = {r: failures(healthy.metrics(), "user", r) for r in ("http_4xx", "invalid_response")}
    gitea.set_fault("http_401", "/api/v1/user")
    wait_for(lambda: sample(healthy.metrics(), "gitea_api_token_valid") == 0, "token_valid 0")
    text = healthy.metrics()
    assert {r: failures(text, "user", r) for r in before} == before
    assert sample(text, "gitea_api_last_status_code", endpoint="user") == 401
    assert sample(text, "gitea_api_up") == 1


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_moves_the_right_series(fault: str, gitea: GiteaSimulator, healthy: ExporterProcess) -> None:
    paths, endpoint, reason, gauges = FAULTS[fault]
    before = failures(healthy.metrics(), endpoint, reason)
    log_size = len(healthy.logs())
    gitea.set_fault(fault, *paths)
    wait_for(lambda: failures(healthy.metrics(), endpoint, reason) > before, f"{endpoint}/{reason} to count")
    # One more round so every gauge reflects the fault.
    time.sleep(0.6)
    text = healthy.metrics()
    for name, value in gauges.items():
        assert sample(text, name) == value, name
    if fault == "healthz_fail":
        assert sample(text, "gitea_api_health_check_status", check="database:ping") == 0
        assert sample(text, "gitea_api_last_status_code", endpoint="healthz") == 424
    new_logs = healthy.logs()[log_size:]
    line = [x for x in new_logs.splitlines() if f"endpoint={endpoint}" in x and f"reason={reason}" in x]
    assert len(line) == 1, new_logs  # one line per change, not one per round
    assert "Traceback" not in new_logs and TOKEN not in new_logs
    rounds = sample(text, "gitea_api_probes_total", endpoint="healthz")
    wait_for(lambda: sample(healthy.metrics(), "gitea_api_probes_total", endpoint="healthz") > rounds,
             "probing to go on under the fault")
    gitea.set_fault("none")
    wait_for(lambda: f"msg=\"probe ok\" endpoint={endpoint}" in healthy.logs()[log_size:], "a recovery line")


def test_gitea_restarting_mid_probe(gitea: GiteaSimulator, healthy: ExporterProcess) -> None:
    gitea.stop()
    wait_for(lambda: sample(healthy.metrics(), "gitea_api_up") == 0, "gitea_api_up to drop")
    assert failures(healthy.metrics(), "healthz", "connection") >= 1
    assert "connection refused" in healthy.logs()
    gitea.start()  # same port
    wait_for(lambda: sample(healthy.metrics(), "gitea_api_up") == 1, "gitea_api_up to recover")


def test_metrics_answer_while_gitea_hangs(gitea: GiteaSimulator, healthy: ExporterProcess) -> None:
    gitea.set_fault("hang")
    time.sleep(0.5)
    started = time.perf_counter()
    for _ in range(20):
        healthy.metrics()
    # Not a timing target (bench/ measures that): 20 scrapes would take >= 20 s if they waited on Gitea.
    assert time.perf_counter() - started < 10


def test_several_scrapers_do_not_multiply_gitea_load(gitea: GiteaSimulator, healthy: ExporterProcess) -> None:
    before = gitea.count("/api/healthz")
    for _ in range(30):
        healthy.metrics()
    # 30 scrapes in well under a second: at most a couple of probe rounds, never one per scrape.
    assert gitea.count("/api/healthz") - before < 10


def test_token_rotation_is_picked_up(tmp_path: Path) -> None:
    sim = GiteaSimulator(spec_file("gitea-swagger.json"), "new-token")
    token_file = tmp_path / "token"
    token_file.write_text("old-token")
    proc = ExporterProcess(sim.url, tmp_path / "log", "--token-file", str(token_file), *FAST)
    try:
        wait_for(lambda: sample(proc.metrics(), "gitea_api_token_valid") == 0, "old token rejected")
        token_file.write_text("new-token")
        wait_for(lambda: sample(proc.metrics(), "gitea_api_token_valid") == 1, "rotated token accepted")
    finally:
        proc.stop()
        sim.stop()
    assert "old-token" not in proc.logs() and "new-token" not in proc.logs()
    assert not sim.violations


@pytest.mark.parametrize("case", ["connection_refused", "dns_failure"])
def test_unreachable_gitea(case: str, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}" if case == "connection_refused" else "http://gitea.invalid:3000"
    proc = ExporterProcess(url, tmp_path / "log", *FAST, env={"GITEA_TOKEN": TOKEN})
    try:
        text = proc.metrics()
        assert sample(text, "gitea_api_up") == 0
        assert failures(text, "healthz", "connection") >= 1
        assert sample(text, "gitea_api_last_status_code", endpoint="healthz") == 0
    finally:
        assert proc.stop() == 0
    expected = "connection refused" if case == "connection_refused" else "DNS lookup failed"
    assert expected in proc.logs() and "Traceback" not in proc.logs() and TOKEN not in proc.logs()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    tmp = tmp_path_factory.mktemp("tls")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                        "-out", str(cert)], check=True, capture_output=True)
    except FileNotFoundError:
        pytest.skip("openssl is not installed: cannot make a test certificate")
    return str(cert), str(key)


def test_untrusted_certificate_is_a_tls_failure(certificate: tuple[str, str], tmp_path: Path) -> None:
    sim = GiteaSimulator(spec_file("gitea-swagger.json"), TOKEN, tls=certificate)
    proc = ExporterProcess(sim.url, tmp_path / "log", *FAST, env={"GITEA_TOKEN": TOKEN})
    try:
        text = proc.metrics()
        assert failures(text, "healthz", "tls") >= 1 and sample(text, "gitea_api_up") == 0
    finally:
        proc.stop()
        sim.stop()
    assert "certificate not trusted" in proc.logs() and "Traceback" not in proc.logs()


def test_trusted_certificate_reports_expiry(certificate: tuple[str, str], tmp_path: Path) -> None:
    sim = GiteaSimulator(spec_file("gitea-swagger.json"), TOKEN, tls=certificate)
    proc = ExporterProcess(sim.url, tmp_path / "log", "--ca-file", certificate[0], *FAST, env={"GITEA_TOKEN": TOKEN})
    try:
        text = proc.metrics()
        assert sample(text, "gitea_api_up") == 1
        expiry = sample(text, "gitea_api_tls_cert_expiry_timestamp_seconds")
        assert 29 * 86400 < expiry - time.time() < 31 * 86400
    finally:
        proc.stop()
        sim.stop()
    assert not sim.violations


def test_simulator_rejects_what_gitea_would_not_send(specs: Path) -> None:
    """The simulator's own check must be able to fail, or it proves nothing."""
    sim = GiteaSimulator(specs / "gitea-swagger.json", TOKEN)
    sim.stop()
    assert sim.spec.check_response("GET", "/api/v1/version", 200, b'{"version": "1", "build": "x"}')
    assert sim.spec.check_response("GET", "/api/v1/user", 200, b'{"id": "one"}')
    assert sim.spec.check_request("GET", "/api/v1/repos/search", {"limit": ["ten"]})
    assert sim.spec.check_request("GET", "/api/v1/no/such/route", {})
    assert not sim.spec.check_request("GET", "/api/v1/repos/search", {"limit": ["1"]})


def test_help_mentions_env_and_never_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITEA_TOKEN", TOKEN)
    out = subprocess.run([sys.executable, "-m", "gitea_provider_monitoring.exporters.gitea_api.main", "--help"],
                         capture_output=True, text=True)
    assert "GITEA_URL" in out.stdout and "GITEA_TOKEN_FILE" in out.stdout and TOKEN not in out.stdout


def test_port_taken_exits_non_zero() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "gitea_provider_monitoring.exporters.gitea_api.main", "--gitea-url", "http://127.0.0.1:1",
                              "--listen-address", f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 1 and "cannot listen" in out.stderr


@pytest.mark.parametrize("flags, message", [
    ([], "--gitea-url"),
    (["--gitea-url", "http://x", "--interval", "5s", "--timeout", "5s"], "smaller than --interval"),
    (["--gitea-url", "http://x", "--interval", "fast"], "not a duration"),
])
def test_bad_flags_are_explained(flags: list[str], message: str) -> None:
    out = subprocess.run([sys.executable, "-m", "gitea_provider_monitoring.exporters.gitea_api.main", *flags],
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 2 and message in out.stderr


def test_durations_take_the_prometheus_form() -> None:
    assert parse_duration("15s") == 15 and parse_duration("800ms") == 0.8 and parse_duration("1m") == 60


def test_probe_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "probes.yaml"
    bad.write_text("- endpoint: x\n  path: no-slash\n")
    with pytest.raises(ProbeConfigError, match="probes.yaml: probe 0"):
        load_probes(bad)
    good = tmp_path / "good.yaml"
    good.write_text("- {endpoint: orgs, path: '/api/v1/orgs?limit=1'}\n- {endpoint: healthz, path: /api/healthz, "
                    "kind: health, auth: false}\n")
    assert [p.endpoint for p in load_probes(good)] == ["orgs", "healthz"]
