"""Proxy mode: latency the proxy adds over a direct call (p50, p99) and throughput at 50 concurrent requests.

Both paths hit the same Gitea simulator endpoint (GET /api/v1/repos/{owner}/{repo}) with keep-alive
sessions; the difference of the two distributions is the proxy's cost. Prints a Markdown table.
Target: <= 1 ms added at p50. Numbers only; the machine is shared, compare columns of one run.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.sim.gitea import GiteaSimulator  # noqa: E402
from tests.sim.openapi import spec_file  # noqa: E402
from tests.sim.processes import ExporterProcess, free_port  # noqa: E402

TOKEN = "bench-token"
PATH = "/api/v1/repos/platform/site"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latencies(base: str, n: int) -> list[float]:
    session = requests.Session()
    session.headers["Authorization"] = f"token {TOKEN}"
    out = []
    for _ in range(n):
        started = time.perf_counter()
        r = session.get(base + PATH, timeout=10)
        out.append(time.perf_counter() - started)
        assert r.status_code == 200
    return out


def throughput(base: str, workers: int, per_worker: int) -> float:
    def work() -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"token {TOKEN}"
        for _ in range(per_worker):
            assert session.get(base + PATH, timeout=30).status_code == 200

    threads = [threading.Thread(target=work) for _ in range(workers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return workers * per_worker / (time.perf_counter() - started)


def main() -> int:
    sim = GiteaSimulator(spec_file("gitea-swagger.json"), TOKEN)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        exp = ExporterProcess(sim.url, Path(tmp) / "log", "--mode", "proxy", "--proxy-listen-address",
                              f"127.0.0.1:{port}")
        proxy = f"http://127.0.0.1:{port}"
        try:
            latencies(sim.url, 50)  # warm up both paths
            latencies(proxy, 50)
            direct, proxied = [], []
            for _ in range(5):  # interleaved rounds, so drift on the shared machine hits both alike
                direct += latencies(sim.url, 200)
                proxied += latencies(proxy, 200)
            tp_direct = throughput(sim.url, 50, 20)
            tp_proxy = throughput(proxy, 50, 20)
        finally:
            exp.stop()
            sim.stop()
    print("| measure | direct | through the proxy | added by the proxy |")
    print("|---|---|---|---|")
    for label, q in (("p50", 0.5), ("p99", 0.99)):
        d, p = percentile(direct, q) * 1000, percentile(proxied, q) * 1000
        print(f"| latency {label} (n={len(direct)} each) | {d:.2f} ms | {p:.2f} ms | {p - d:+.2f} ms |")
    print(f"| mean | {statistics.mean(direct) * 1000:.2f} ms | {statistics.mean(proxied) * 1000:.2f} ms | "
          f"{(statistics.mean(proxied) - statistics.mean(direct)) * 1000:+.2f} ms |")
    print(f"| throughput, 50 concurrent clients x 20 requests | {tp_direct:.0f} req/s | {tp_proxy:.0f} req/s | "
          f"{(tp_proxy / tp_direct - 1) * 100:+.0f}% |")
    print(f"\n(python {sys.version.split()[0]}; simulator and clients are Python on the same machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
