"""The proxy forwards what a Gitea API client sends and nothing else (#27): a request-target in any form but
origin-form (RFC 9112 section 3.2: absolute-form, authority-form, asterisk-form), an HTTP/1.1 request without
Host, and a path outside Gitea's API (/api/v1/...) are answered by the proxy itself, counted in
gitea_api_proxy_refused_total{reason} and never reach Gitea. One case per form, against a recording upstream
(which proves nothing was forwarded), the Gitea simulator, and real Gitea 1.27.3 when `make tools` built it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gitea_provider_monitoring.exporters.gitea_api.metrics import PROXY_REFUSAL_REASONS
from tests.sim.gitea import GiteaSimulator
from tests.sim.openapi import spec_file
from tests.sim.processes import ExporterProcess, free_port, sample
from tests.sim.raw_http import RecordingUpstream, recording_upstream, send_raw, status_of
from tests.sim.real_gitea import RealGitea, find_gitea

# form -> (raw request, status, reason label, words the proxy's answer must contain)
REFUSED = {
    "absolute-form": ("GET http://127.0.0.1:3000/api/v1/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400,
                      "absolute_form", "absolute-form"),
    "absolute-form to another host": ("GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                                      "absolute_form", "not a forward proxy"),
    "authority-form (CONNECT)": ("CONNECT 169.254.169.254:443 HTTP/1.1\r\nHost: 169.254.169.254:443\r\n\r\n", 400,
                                 "authority_form", "authority-form"),
    "authority-form with GET": ("GET gitea.example.com:443 HTTP/1.1\r\nHost: gitea.example.com\r\n\r\n", 400,
                                "authority_form", "authority-form"),
    "asterisk-form": ("OPTIONS * HTTP/1.1\r\nHost: p\r\n\r\n", 400, "asterisk_form", "asterisk-form"),
    "no form at all": ("GET api/v1/version HTTP/1.1\r\nHost: p\r\n\r\n", 400, "invalid_target", "origin-form"),
    "HTTP/1.1 without Host": ("GET /api/v1/version HTTP/1.1\r\nAccept: */*\r\n\r\n", 400, "missing_host", "Host"),
    "outside the API": ("GET /user/login HTTP/1.1\r\nHost: p\r\n\r\n", 403, "outside_api", "/api/v1/"),
    "healthz (not /api/v1)": ("GET /api/healthz HTTP/1.1\r\nHost: p\r\n\r\n", 403, "outside_api", "/api/v1/"),
    "dot-segments": ("GET /api/v1/../../user/settings HTTP/1.1\r\nHost: p\r\n\r\n", 403, "outside_api", "/api/v1/"),
    "encoded dot-segments": ("GET /api/v1/%2e%2e/%2E%2E/metrics HTTP/1.1\r\nHost: p\r\n\r\n", 403, "outside_api",
                             "/api/v1/"),
}
ALLOWED = {  # what a Gitea API client sends: forwarded
    "origin-form": "GET /api/v1/version HTTP/1.1\r\nHost: p\r\n\r\n",
    "origin-form with a query": "GET /api/v1/repos/search?limit=1 HTTP/1.1\r\nHost: p\r\n\r\n",
    "HTTP/1.0 without Host": "GET /api/v1/version HTTP/1.0\r\n\r\n",
}


def _proxy(upstream_url: str, log: Path) -> ExporterProcess:
    port = free_port()
    exp = ExporterProcess(upstream_url, log, "--mode", "proxy", "--proxy-listen-address", f"127.0.0.1:{port}",
                          "--proxy-timeout", "20s")
    exp.proxy_port = port  # type: ignore[attr-defined]
    return exp


def _refused(exp: ExporterProcess, reason: str) -> float:
    return sample(exp.metrics(), "gitea_api_proxy_refused_total", reason=reason) or 0.0


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with recording_upstream() as up:
        yield up


@pytest.fixture(scope="module")
def recording_proxy(upstream: RecordingUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExporterProcess]:
    exp = _proxy(upstream.url, tmp_path_factory.mktemp("targets") / "log")
    yield exp
    assert exp.stop() == 0
    assert "Traceback" not in exp.logs()


@pytest.mark.parametrize("form", sorted(REFUSED))
def test_refused_and_counted_never_forwarded(form: str, recording_proxy: ExporterProcess,
                                             upstream: RecordingUpstream) -> None:
    raw, status, reason, words = REFUSED[form]
    upstream.seen.clear()
    before = _refused(recording_proxy, reason)
    answer = send_raw(recording_proxy.proxy_port, raw.encode())  # type: ignore[attr-defined]
    assert status_of(answer) == status, answer[:300]
    assert words.encode() in answer and b"gitea-api-exporter proxy:" in answer
    assert b"Connection: close" in answer
    assert upstream.seen == [], "a refused request reached Gitea"
    assert _refused(recording_proxy, reason) == before + 1
    # Not a provider call to Gitea: it does not count as one (the write-error alert reads gitea_api_requests_total).
    assert sample(recording_proxy.metrics(), "gitea_api_requests_total", kind="other", operation="observe",
                  code=str(status)) in (None, 0.0)


@pytest.mark.parametrize("form", sorted(ALLOWED))
def test_what_an_api_client_sends_is_forwarded(form: str, recording_proxy: ExporterProcess,
                                               upstream: RecordingUpstream) -> None:
    upstream.seen.clear()
    answer = send_raw(recording_proxy.proxy_port, ALLOWED[form].encode())  # type: ignore[attr-defined]
    assert status_of(answer) == 200
    assert len(upstream.seen) == 1


def test_every_reason_is_exposed_from_the_start(recording_proxy: ExporterProcess) -> None:
    text = recording_proxy.metrics()
    assert all(sample(text, "gitea_api_proxy_refused_total", reason=r) is not None for r in PROXY_REFUSAL_REASONS)


def test_a_refusal_is_one_log_line_per_change_of_reason(tmp_path: Path) -> None:
    with recording_upstream() as up:
        exp = _proxy(up.url, tmp_path / "log")
        try:
            for _ in range(5):
                send_raw(exp.proxy_port, REFUSED["absolute-form"][0].encode())  # type: ignore[attr-defined]
            send_raw(exp.proxy_port, REFUSED["outside the API"][0].encode())  # type: ignore[attr-defined]
            assert _refused(exp, "absolute_form") == 5
        finally:
            assert exp.stop() == 0
    lines = [line for line in exp.logs().splitlines() if "proxy refused a request" in line]
    assert len(lines) == 2 and "reason=absolute_form" in lines[0] and "reason=outside_api" in lines[1], lines


def _check_behind(exp: ExporterProcess, gitea_answers: Path | None = None) -> None:
    """Each refused form is refused in front of a Gitea too; an API call still gets Gitea's own answer."""
    for form, (raw, status, reason, _) in REFUSED.items():
        before = _refused(exp, reason)
        assert status_of(send_raw(exp.proxy_port, raw.encode())) == status, form  # type: ignore[attr-defined]
        assert _refused(exp, reason) == before + 1, form
    answer = send_raw(exp.proxy_port, ALLOWED["origin-form"].encode())  # type: ignore[attr-defined]
    assert status_of(answer) == 200 and b'"version"' in answer


def test_refused_in_front_of_the_simulator(tmp_path: Path) -> None:
    sim = GiteaSimulator(spec_file("gitea-swagger.json"), "sim-token")
    exp = _proxy(sim.url, tmp_path / "log")
    try:
        _check_behind(exp)
        assert sim.count("/api/v1/version") == 1  # only the origin-form API call arrived
        assert {p for _, p in sim.requests} == {"/api/v1/version"}
    finally:
        assert exp.stop() == 0
        sim.stop()
    assert not sim.violations


def test_refused_in_front_of_real_gitea(tmp_path: Path) -> None:
    binary = find_gitea()
    if binary is None:
        pytest.skip("real Gitea 1.27.3 not built (make tools builds it): the proxy's refusals in front of it not checked")
    real = RealGitea(binary, tmp_path / "gitea")
    real.start()
    try:
        exp = _proxy(real.url, tmp_path / "log")
        try:
            _check_behind(exp)
        finally:
            assert exp.stop() == 0
    finally:
        real.stop()
