"""Hostile inputs (issue #20): what the slow attacks cost the exporter, the proxy and the CLIs. Prints a
Markdown table: attack, then RSS, time, answers, exit code and bytes of output. Loopback only.

- 1,200 idle TCP connections to the metrics port: RSS (the sidecar's limit is 64Mi) and threads;
- 200 concurrent GET /metrics: answered / timed out (30 s);
- the proxy: one 100 MiB chunk, a declared 1 GiB chunk that stalls after 100 MiB, a chunk size of
  `fffffffffff`, a request smuggled after Content-Length + Transfer-Encoding;
- 1,000 client connections reset mid-request: log lines;
- config and lint bombs: exit code, seconds, stderr bytes, peak RSS (children run under a 2 GiB limit).

Run against another checkout with `python bench/hostile.py` from there (tests/sim/raw_http.py is needed).
Numbers only: the machine is shared; compare rows of one run.
"""

from __future__ import annotations

import os
import resource
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.sim.processes import ExporterProcess, free_port  # noqa: E402
from tests.sim.raw_http import RecordingUpstream, read_until_closed, send_raw, status_of  # noqa: E402

MIB = 1024 * 1024


def status(pid: int) -> dict[str, str]:
    return dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)


def mb(pid: int, key: str) -> str:
    return f"{int(status(pid)[key].split()[0]) / 1024:.0f} MB"


def row(attack: str, result: str) -> None:
    print(f"| {attack} | {result} |", flush=True)


def idle_connections(upstream: RecordingUpstream, tmp: Path, n: int = 1200) -> None:
    exp = ExporterProcess(upstream.url, tmp / "idle.log", "--interval", "1h", "--timeout", "5s")
    pid, socks = exp.proc.pid, []
    try:
        base = mb(pid, "VmRSS")
        for _ in range(n):
            socks.append(socket.create_connection(("127.0.0.1", exp.port)))
        time.sleep(3)
        rss, threads = mb(pid, "VmRSS"), status(pid)["Threads"].strip()
        started = time.perf_counter()
        try:
            code = requests.get(exp.url + "/metrics", timeout=60).status_code
        except requests.RequestException as exc:
            code = type(exc).__name__
        took = time.perf_counter() - started
        row(f"{n} idle connections to :metrics", f"RSS {base} -> {rss} (peak {mb(pid, 'VmHWM')}), {threads} threads; "
            f"a scrape meanwhile: {code} in {took:.1f}s")
    finally:
        for s in socks:
            s.close()
        exp.stop()


def concurrent_scrapes(upstream: RecordingUpstream, tmp: Path, n: int = 200) -> None:
    exp = ExporterProcess(upstream.url, tmp / "scrapes.log", "--interval", "1h", "--timeout", "5s")
    results: list[object] = []
    barrier = threading.Barrier(n)

    def scrape() -> None:
        barrier.wait()
        started = time.perf_counter()
        try:
            ok = requests.get(exp.url + "/metrics", timeout=30).status_code == 200
            results.append(("ok" if ok else "bad", time.perf_counter() - started))
        except requests.RequestException:
            results.append(("timeout", time.perf_counter() - started))

    try:
        threads = [threading.Thread(target=scrape) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        exp.stop()
    ok = sum(1 for r, _ in results if r == "ok")
    slowest = max(s for _, s in results)
    row(f"{n} concurrent GET /metrics", f"{ok} answered, {n - ok} failed or timed out (30 s); slowest {slowest:.1f}s")


def _proxy(upstream: RecordingUpstream, tmp: Path, name: str) -> tuple[ExporterProcess, int]:
    port = free_port()
    exp = ExporterProcess(upstream.url, tmp / f"{name}.log", "--mode", "proxy", "--proxy-listen-address",
                          f"127.0.0.1:{port}", "--proxy-timeout", "5s")
    return exp, port


def _send_chunk(port: int, size_line: bytes, payload_mib: int, finish: bool, wait: float) -> tuple[bytes, float]:
    head = (b"POST /api/v1/orgs/acme/repos HTTP/1.1\r\nHost: p\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
            + size_line + b"\r\n")
    block = b"x" * MIB
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        s.sendall(head)
        try:
            for _ in range(payload_mib):
                s.sendall(block)
            if finish:
                s.sendall(b"\r\n0\r\n\r\n")
        except OSError:
            pass
        out = read_until_closed(s)
    return out, time.perf_counter() - started


def proxy_chunks(upstream: RecordingUpstream, tmp: Path) -> None:
    cases = [("one 100 MiB chunk", b"%x" % (100 * MIB), 100, True),
             ("declared 1 GiB chunk, stalls after 100 MiB", b"%x" % (1024 * MIB), 100, False),
             ("chunk size fffffffffff, 1 MiB sent, stalls", b"fffffffffff", 1, False)]
    for name, size_line, payload, finish in cases:
        exp, port = _proxy(upstream, tmp, "chunk")
        try:
            out, took = _send_chunk(port, size_line, payload, finish, wait=40)
            peak = mb(exp.proc.pid, "VmHWM")
        finally:
            exp.stop()
        code = status_of(out) or "no answer"
        traceback = "MemoryError" in exp.logs() or "Traceback" in exp.logs()
        row(f"proxy: {name}", f"peak RSS {peak}; answer {code} after {took:.1f}s"
            f"{'; traceback in log' if traceback else ''}")
        upstream.seen.clear()


def smuggling(upstream: RecordingUpstream, tmp: Path) -> None:
    exp, port = _proxy(upstream, tmp, "smuggle")
    upstream.seen.clear()
    try:
        out = send_raw(port, b"POST /api/v1/orgs/acme/repos HTTP/1.1\r\nHost: p\r\nContent-Length: 5\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nDELETE /api/v1/repos/victim/repo HTTP/1.1\r\n"
                             b"Host: x\r\n\r\n")
        time.sleep(0.5)
    finally:
        exp.stop()
    seen = ", ".join(f"{s.method} {s.path}" for s in upstream.seen) or "nothing"
    row("proxy: Content-Length 5 + chunked, DELETE in the body", f"answer {status_of(out)}; Gitea saw: {seen}")


def disconnects(upstream: RecordingUpstream, tmp: Path, n: int = 1000) -> None:
    exp = ExporterProcess(upstream.url, tmp / "resets.log", "--interval", "1h", "--timeout", "5s")
    before = len(exp.logs().splitlines())
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", exp.port))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: p\r\n")
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        time.sleep(2)
    finally:
        exp.stop()
    logs = exp.logs()
    row(f"{n} connections reset mid-request", f"{len(logs.splitlines()) - before} log lines, "
        f"{logs.count('Traceback')} tracebacks, {len(logs.encode())} bytes")


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def cli_bombs(tmp: Path) -> None:
    expr = '&b0 [' + ",".join(['"lol"'] * 10) + ']'
    for i in range(1, 9):
        expr = f'&b{i} [{expr}, ' + ",".join([f"*b{i - 1}"] * 9) + ']'
    files = {
        "config: alias bomb (449 B)": ("c1.yaml", b"thresholds:\n  reconcile_failure_ratio: " + expr.encode() + b"\n"),
        "config: nested 100,000 deep": ("c2.yaml", b"thresholds: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"),
        "config: non-UTF-8 bytes": ("c3.yaml", b"thresholds:\n  reconcile_failure_ratio: \xff\xfe0.2\n"),
        "config: self-referencing alias": ("c4.yaml", b"provider:\n  controllers: &a [*a]\n"),
        "config: 100 KB string for a number": ("c5.yaml", b"thresholds:\n  reconcile_failure_ratio: '"
                                                + b"x" * 100_000 + b"'\n"),
        "lint: JSON nested 100,000 deep": ("l1.json", b"[" * 100_000 + b"]" * 100_000),
        "lint: YAML nested 100,000 deep": ("l2.yaml", b"[" * 100_000 + b"]" * 100_000),
        "lint: alias bomb in rules": ("l3.yaml", b"groups:\n- name: g\n  rules: " + expr.encode() + b"\n"),
    }
    for attack, (name, data) in files.items():
        path = tmp / name
        path.write_bytes(data)
        args = (["build", "--config", str(path), "--out", str(tmp / "out")] if name.startswith("c")
                else ["lint", str(path)])
        err_path = tmp / "stderr"
        started = time.perf_counter()
        with open(err_path, "wb") as err:
            proc = subprocess.Popen([sys.executable, "-m", "gitea_provider_monitoring.cli", *args], cwd=REPO,
                                    stdout=subprocess.DEVNULL, stderr=err, preexec_fn=_limit)
            _, wait_status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
        took = time.perf_counter() - started
        stderr = err_path.read_bytes()
        last = stderr.decode(errors="replace").strip().splitlines()[-1][:90] if stderr.strip() else ""
        row(attack, f"exit {os.waitstatus_to_exitcode(wait_status)}, {took:.1f}s, stderr {len(stderr)} B, "
            f"peak RSS {usage.ru_maxrss / 1024:.0f} MB; `{last}`")


def main() -> int:
    print("| attack | result |\n|---|---|")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        upstream = RecordingUpstream()
        try:
            idle_connections(upstream, tmp)
            concurrent_scrapes(upstream, tmp)
            proxy_chunks(upstream, tmp)
            smuggling(upstream, tmp)
            disconnects(upstream, tmp)
            cli_bombs(tmp)
        finally:
            upstream.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
