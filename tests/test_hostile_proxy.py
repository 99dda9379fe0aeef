"""Hostile inputs to the proxy (issue #20 items 3, 4, 5, 9, 10): framing as RFC 9112 says, Host set to
Gitea's, bodies in bounded pieces, stalled uploads cut and counted, no credentials in answers or logs, one
log line per client disconnect. Loopback only; bounded in count and time; no timed assertions."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator

import pytest

from tests.sim.processes import ExporterProcess, free_port
from tests.sim.raw_http import RecordingUpstream, recording_upstream, send_raw, status_of

IDLE = "1s"  # --proxy-idle-timeout: how long a stalled upload may pause


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingUpstream]:
    with recording_upstream() as up:
        yield up


@pytest.fixture(scope="module")
def proxy(upstream: RecordingUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ExporterProcess, int]]:
    port = free_port()
    exp = ExporterProcess(upstream.url, tmp_path_factory.mktemp("hostile-proxy") / "log", "--mode", "proxy",
                          "--proxy-listen-address", f"127.0.0.1:{port}", "--proxy-timeout", "5s",
                          "--proxy-idle-timeout", IDLE)
    yield exp, port
    assert exp.stop() == 0
    assert "Traceback" not in exp.logs()


@pytest.fixture()
def fresh(upstream: RecordingUpstream) -> RecordingUpstream:
    upstream.seen.clear()
    upstream.aborted = 0
    return upstream


def request(head: str, body: bytes = b"") -> bytes:
    return head.replace("\n", "\r\n").encode() + b"\r\n" + body


def code_total(exp: ExporterProcess, code: str) -> float:
    """gitea_api_requests_total{code=...} summed over kind and operation."""
    from prometheus_client.parser import text_string_to_metric_families

    return sum(s.value for family in text_string_to_metric_families(exp.metrics()) for s in family.samples
               if s.name == "gitea_api_requests_total" and s.labels.get("code") == code)


# -- item 3: request smuggling and framing (RFC 9112 sections 2.2, 5.1, 5.2, 6.1, 6.3, 7.1)

SMUGGLED = b"0\r\n\r\nDELETE /api/v1/repos/victim/repo HTTP/1.1\r\nHost: x\r\n\r\n"
FRAMING_ATTACKS = {
    "content-length and chunked": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nContent-Length: 5\n"
                                           "Transfer-Encoding: chunked\n"), SMUGGLED),
    "lower-case te with content-length": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\n"
                                                  "transfer-encoding: chunked\ncontent-length: 4\n"), SMUGGLED),
    "two lengths differing in case": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nContent-Length: 4\n"
                                              "content-length: 40\n"), b"{}{}" + b"x" * 36),
    "two equal lengths": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nContent-Length: 2\n"
                                  "Content-Length: 2\n"), b"{}"),
    "length list": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nContent-Length: 2, 2\n"), b"{}"),
    "signed length": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nContent-Length: +2\n"), b"{}"),
    "non-numeric length": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nContent-Length: abc\n"), b"{}"),
    "space before colon": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nContent-Length : 2\n"), b"{}"),
    "obs-fold": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nX-A: 1\n  folded\nContent-Length: 2\n"),
                 b"{}"),
    "bare CR in a header": (b"POST /api/v1/orgs/acme/repos HTTP/1.1\r\nHost: p\r\nX-A: 1\rX-B: 2\r\n"
                            b"Content-Length: 2\r\n\r\n{}", b""),
    "bare CR in the request line": (b"POST /api/v1/orgs/acme/repos\rX HTTP/1.1\r\nHost: p\r\nContent-Length: 2\r\n"
                                    b"\r\n{}", b""),
    "invalid chunk size": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nTransfer-Encoding: chunked\n"),
                           b"zz\r\n{}\r\n0\r\n\r\n"),
    "negative chunk size": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nTransfer-Encoding: chunked\n"),
                            b"-2\r\n{}\r\n0\r\n\r\n"),
    "prefixed chunk size": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nTransfer-Encoding: chunked\n"),
                            b"0x2\r\n{}\r\n0\r\n\r\n"),
    "oversized chunk size": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nTransfer-Encoding: chunked\n"),
                             b"ffffffffffffffffffff\r\n{}\r\n0\r\n\r\n"),
    "chunk without its CRLF": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nTransfer-Encoding: chunked\n"),
                               b"2\r\n{}XX0\r\n\r\n"),
    "chunked twice": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nTransfer-Encoding: chunked, chunked\n"),
                      b"2\r\n{}\r\n0\r\n\r\n"),
    "chunked not last": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nTransfer-Encoding: chunked, gzip\n"),
                         b"2\r\n{}\r\n0\r\n\r\n"),
    "te in HTTP/1.0": (request("POST /api/v1/orgs/acme/repos HTTP/1.0\nHost: p\nTransfer-Encoding: chunked\n"),
                       b"2\r\n{}\r\n0\r\n\r\n"),
    "two hosts": (request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nhost: q\nContent-Length: 2\n"), b"{}"),
}


@pytest.mark.parametrize("attack", sorted(FRAMING_ATTACKS))
def test_ambiguous_framing_is_refused_and_never_forwarded(attack: str, proxy, fresh: RecordingUpstream) -> None:
    exp, port = proxy
    head, body = FRAMING_ATTACKS[attack]
    before = code_total(exp, "400")
    answer = send_raw(port, head + body)
    assert status_of(answer) == 400, answer[:300]
    assert b"connection: close" in answer.lower()
    assert fresh.seen == [] and fresh.aborted == 0  # Gitea saw nothing: no POST, no smuggled DELETE
    assert code_total(exp, "400") == before + 1


def test_unknown_transfer_coding_is_501(proxy, fresh: RecordingUpstream) -> None:
    _, port = proxy
    answer = send_raw(port, request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\n"
                                    "Transfer-Encoding: gzip, chunked\n") + b"2\r\n{}\r\n0\r\n\r\n")
    assert status_of(answer) == 501 and fresh.seen == []


def test_smuggled_request_never_reaches_gitea_on_a_kept_alive_connection(proxy, fresh: RecordingUpstream) -> None:
    """The attack of the issue: framed by Content-Length, the rest of the chunked body became a DELETE."""
    _, port = proxy
    answer = send_raw(port, FRAMING_ATTACKS["content-length and chunked"][0] + SMUGGLED
                      + request("GET /api/v1/version HTTP/1.1\nHost: p\n"))
    assert answer.count(b"HTTP/1.1 ") == 1 and status_of(answer) == 400
    assert "DELETE" not in fresh.methods() and fresh.seen == []


def test_header_names_are_case_insensitive(proxy, fresh: RecordingUpstream) -> None:
    _, port = proxy
    answer = send_raw(port, request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nTRANSFER-ENCODING: Chunked\n"
                                    "connection: close, X-Hop\nx-hop: 1\nX-Keep: 1\n") + b"2\r\n{}\r\n0\r\n\r\n")
    assert status_of(answer) == 200
    [seen] = fresh.seen
    names = [k.lower() for k, _ in seen.headers]
    assert seen.body == b"{}" and "x-hop" not in names and "x-keep" in names
    assert names.count("content-length") <= 1 and "transfer-encoding" not in names  # 2 bytes: sent with a length


def test_well_framed_requests_still_pass(proxy, fresh: RecordingUpstream) -> None:
    _, port = proxy
    answer = send_raw(port, request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nContent-Length: 2\n") + b"{}"
                      + request("GET /api/v1/version HTTP/1.1\nHost: p\n"))
    assert answer.count(b"HTTP/1.1 200") == 2
    assert [(s.method, s.body) for s in fresh.seen] == [("POST", b"{}"), ("GET", b"")]


# -- item 4: Host is Gitea's, whatever the client says

@pytest.mark.parametrize("host_line", ["Host: evil.example", "host: evil.example", "HOST: evil.example:443"])
def test_client_host_is_replaced_by_giteas(host_line: str, proxy, fresh: RecordingUpstream) -> None:
    _, port = proxy
    answer = send_raw(port, request(f"GET /api/v1/user HTTP/1.1\n{host_line}\nAuthorization: token t\n"))
    assert status_of(answer) == 200
    hosts = [v for k, v in fresh.seen[0].headers if k.lower() == "host"]
    assert hosts == [fresh.host]


# -- item 5: chunks in bounded pieces; stalled uploads cut, answered 408 and counted

def test_huge_declared_chunk_streams_and_a_stall_is_cut(proxy, fresh: RecordingUpstream) -> None:
    """`fffffffffff` (17 TB) raised MemoryError with no answer; now the proxy streams what comes and, when
    the client stops sending, cuts the call after the idle timeout."""
    exp, port = proxy
    before = code_total(exp, "408")
    answer = send_raw(port, request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nTransfer-Encoding: chunked\n")
                      + b"fffffffffff\r\n" + b"x" * (1024 * 1024), then_stall=True)
    assert status_of(answer) == 408 and b"stalled" in answer
    assert code_total(exp, "408") == before + 1
    deadline = time.monotonic() + 5
    while not fresh.aborted and time.monotonic() < deadline:  # Gitea's side ends when the proxy cuts the call
        time.sleep(0.05)
    assert fresh.seen == [] and fresh.aborted == 1  # a cut-off chunked body, never a complete request


def test_small_stalled_upload_never_reaches_gitea(proxy, fresh: RecordingUpstream) -> None:
    exp, port = proxy
    before = code_total(exp, "408")
    answer = send_raw(port, request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nContent-Length: 100\n")
                      + b'{"name":', then_stall=True)
    assert status_of(answer) == 408
    assert code_total(exp, "408") == before + 1
    assert fresh.seen == [] and fresh.aborted == 0


def test_large_chunked_body_arrives_whole(proxy, fresh: RecordingUpstream) -> None:
    _, port = proxy
    payload = bytes(range(256)) * 4096  # 1 MiB in one chunk: streamed in 64 KiB pieces
    answer = send_raw(port, request("POST /api/v1/orgs/acme/repos HTTP/1.1\nHost: p\nTransfer-Encoding: chunked\n")
                      + f"{len(payload):x}\r\n".encode() + payload + b"\r\n0\r\n\r\n")
    assert status_of(answer) == 200 and fresh.seen[0].body == payload


# -- item 9: credentials in --gitea-url never in the 502 body or the log; plain http warned about

def test_url_credentials_stay_out_of_502_and_logs(tmp_path) -> None:
    dead, port = free_port(), free_port()
    exp = ExporterProcess(f"http://gitea-admin:pa55w0rd-in-url@127.0.0.1:{dead}", tmp_path / "log", "--mode", "proxy",
                          "--proxy-listen-address", f"127.0.0.1:{port}")
    try:
        answer = send_raw(port, request("GET /api/v1/version HTTP/1.1\nHost: p\nConnection: close\n"))
    finally:
        exp.stop()
    assert status_of(answer) == 502 and b"cannot reach Gitea" in answer
    assert b"pa55w0rd" not in answer and b"gitea-admin" not in answer
    logs = exp.logs()
    assert "proxy upstream failing" in logs and "pa55w0rd" not in logs and "gitea-admin" not in logs


@pytest.mark.parametrize("url, warned", [("http://192.0.2.10:3000", True), ("https://192.0.2.10", False),
                                         ("http://127.0.0.1:3000", False), ("http://localhost:3000", False)])
def test_token_over_plain_http_to_another_host_is_warned(url: str, warned: bool, tmp_path) -> None:
    """Proxy mode forwards the provider's token; the proxy never calls Gitea here (no request is sent)."""
    exp = ExporterProcess(url, tmp_path / "log", "--mode", "proxy", "--proxy-listen-address",
                          f"127.0.0.1:{free_port()}")
    exp.stop()
    assert ("plain http" in exp.logs()) is warned


# -- item 10: a client going away is one log line, not a traceback

def test_client_disconnects_are_one_line_each(upstream: RecordingUpstream, tmp_path) -> None:
    port = free_port()
    exp = ExporterProcess(upstream.url, tmp_path / "log", "--mode", "proxy", "--proxy-listen-address",
                          f"127.0.0.1:{port}")
    try:
        for target in (port, exp.port):
            for _ in range(20):
                s = socket.create_connection(("127.0.0.1", target))
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: p\r\n")  # half a request, then a reset
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
        assert exp.metrics()  # still serving
    finally:
        exp.stop()
    logs = exp.logs()
    assert "Traceback" not in logs and len(logs.splitlines()) <= 2 + 40
