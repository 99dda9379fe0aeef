"""The exporter under throttling: 429 is its own failure reason, Retry-After is honoured (bounded), and the
back-off shows in metrics. Gitea is the simulator answering 429 the way Traefik's rate limiter does."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitea_provider_monitoring.exporters.gitea_api.metrics import REASONS
from gitea_provider_monitoring.exporters.gitea_api.probes import parse_retry_after
from gitea_provider_monitoring.model import catalog
from tests.sim.gitea import GiteaSimulator, simulated_gitea
from tests.sim.openapi import spec_file
from tests.sim.processes import ExporterProcess, sample
from tests.test_exporter import TOKEN, wait_for

INTERVAL = 0.4  # seconds; 4 probes a round, so about 10 requests a second when not throttled
FLAGS = ("--interval", "400ms", "--timeout", "250ms")


@pytest.fixture()
def gitea() -> Iterator[GiteaSimulator]:
    with simulated_gitea(spec_file("gitea-swagger.json"), TOKEN, hang_seconds=1.0) as sim:
        yield sim


def start(gitea: GiteaSimulator, tmp_path: Path, *extra: str) -> ExporterProcess:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    proc = ExporterProcess(gitea.url, tmp_path / "exporter.log", "--token-file", str(token_file), *FLAGS, *extra)
    wait_for(lambda: sample(proc.metrics(), "gitea_api_up") == 1, "a healthy round")
    return proc


def requests_during(gitea: GiteaSimulator, seconds: float) -> int:
    before = len(gitea.requests)
    time.sleep(seconds)
    return len(gitea.requests) - before


def test_retry_after_takes_seconds_and_http_dates() -> None:
    now = time.time()
    assert parse_retry_after("120") == 120
    assert parse_retry_after(" 7 ") == 7
    in_30s = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= parse_retry_after(in_30s, now=now) <= 30
    assert parse_retry_after(email.utils.formatdate(now - 60, usegmt=True), now=now) == 0
    for unreadable in (None, "", "soon", "-5", "1.5", "Mon, 99 Foo 2026"):
        assert parse_retry_after(unreadable) is None


def test_reason_is_in_the_catalog() -> None:
    """The exporter's reasons are the ones lint and the rules know (catalog label values)."""
    entry = catalog.lookup("gitea_api_probe_failures_total")
    assert set(entry.label_values["reason"]) == set(REASONS)
    assert "rate_limited" in REASONS
    for name in ("gitea_api_probe_backoff_seconds", "gitea_api_probe_backoffs_total"):
        assert catalog.lookup(name) is not None, name


def test_retry_after_is_honoured_and_visible(gitea: GiteaSimulator, tmp_path: Path) -> None:
    exporter = start(gitea, tmp_path, "--max-backoff", "10s")
    try:
        normal = requests_during(gitea, 2.0)
        gitea.retry_after = "2"
        gitea.set_fault("rate_limited")
        wait_for(lambda: (sample(exporter.metrics(), "gitea_api_probe_failures_total", endpoint="healthz",
                                 reason="rate_limited") or 0) >= 1, "a rate_limited failure")
        text = exporter.metrics()
        assert 0 < sample(text, "gitea_api_probe_backoff_seconds") <= 2
        assert sample(text, "gitea_api_probe_backoffs_total") >= 1
        assert (sample(text, "gitea_api_probe_failures_total", endpoint="healthz", reason="http_4xx") or 0) == 0
        throttled = requests_during(gitea, 4.0)
        # Honouring Retry-After: 2 means one request per 2 s instead of ~10 a second.
        assert throttled <= 4, (normal, throttled)
        assert normal >= 5 * throttled, (normal, throttled)
        text = exporter.metrics()
        # A 429 says nothing about Gitea's health or the token: the gauges keep what they knew.
        assert sample(text, "gitea_api_up") == 1
        assert sample(text, "gitea_api_token_valid") == 1
        assert sample(text, "gitea_api_last_status_code", endpoint="healthz") == 429
        gitea.set_fault("none")
        wait_for(lambda: 'msg="probe ok" endpoint=healthz' in exporter.logs(), "recovery")
        assert requests_during(gitea, 2.0) >= normal // 2  # back to the full rate
        assert sample(exporter.metrics(), "gitea_api_probe_backoff_seconds") == 0
    finally:
        assert exporter.stop() == 0
    logs = exporter.logs()
    line = [x for x in logs.splitlines() if "endpoint=healthz" in x and "reason=rate_limited" in x]
    assert len(line) == 1, logs  # one line per change, not one per throttled round
    assert "Retry-After 2" in line[0] and "traefik" in line[0] and "backing off 2s" in line[0]
    assert TOKEN not in logs and "Traceback" not in logs


def test_without_retry_after_the_back_off_doubles_up_to_the_bound(gitea: GiteaSimulator, tmp_path: Path) -> None:
    exporter = start(gitea, tmp_path, "--max-backoff", "1s")
    try:
        gitea.retry_after = None
        gitea.set_fault("rate_limited")
        seen = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            value = sample(exporter.metrics(), "gitea_api_probe_backoff_seconds")
            seen.append(value)
            time.sleep(0.05)
        assert max(seen) <= 1.0  # --max-backoff bounds it
        assert max(seen) > INTERVAL  # and it grew past one interval (doubling)
        backoffs = sample(exporter.metrics(), "gitea_api_probe_backoffs_total")
        assert 2 <= backoffs <= 8, backoffs  # 0.4, 0.8, then 1 s each: not one per 400 ms round
    finally:
        assert exporter.stop() == 0


def test_a_share_of_requests_throttled_counts_that_share(gitea: GiteaSimulator, tmp_path: Path) -> None:
    """Throttling a quarter of the requests: the rate_limited share of probes is about a quarter, not all."""
    exporter = start(gitea, tmp_path, "--max-backoff", "1s")
    try:
        gitea.retry_after = "0"
        gitea.throttle_share = 0.25
        before_total = sum(sample(exporter.metrics(), "gitea_api_probes_total", endpoint=e) for e in
                           ("healthz", "version", "user", "repos_search"))
        gitea.set_fault("rate_limited")
        time.sleep(4)
        text = exporter.metrics()
        total = sum(sample(text, "gitea_api_probes_total", endpoint=e) for e in
                    ("healthz", "version", "user", "repos_search")) - before_total
        limited = sum(sample(text, "gitea_api_probe_failures_total", endpoint=e, reason="rate_limited") or 0 for e in
                      ("healthz", "version", "user", "repos_search"))
        assert total >= 10
        assert 0.15 <= limited / total <= 0.35, (limited, total)
    finally:
        assert exporter.stop() == 0


def test_max_backoff_below_interval_is_refused(gitea: GiteaSimulator, tmp_path: Path) -> None:
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "gitea_provider_monitoring.exporters.gitea_api.main", "--gitea-url", gitea.url,
                          *FLAGS, "--max-backoff", "100ms"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert "--max-backoff must be at least --interval" in out.stderr
