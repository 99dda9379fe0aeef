"""gitea-api-exporter against Debian's blackbox_exporter, side by side on one Gitea simulator endpoint.

Prints a Markdown table: /metrics latency while Gitea hangs, measured latency against injected latency,
resident memory and CPU per 1,000 probes. Both probe GET /api/healthz. Run with `make bench`
(blackbox_exporter comes from `make tools WITH_BLACKBOX=1`). Numbers, no pass/fail: the machines are
shared and noisy, so compare the two columns of one run.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.sim.gitea import GiteaSimulator  # noqa: E402
from tests.sim.openapi import spec_file  # noqa: E402
from tests.sim.processes import ExporterProcess, free_port, sample, wait_http  # noqa: E402

TOKEN = "bench-token"
BLACKBOX = REPO / ".tools" / "bin" / "blackbox_exporter"
BLACKBOX_CONFIG = """modules:
  gitea_healthz:
    prober: http
    timeout: {timeout}
    http:
      method: GET
      valid_status_codes: [200]
"""


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Blackbox:
    def __init__(self, tmp: Path, timeout: str) -> None:
        config = tmp / f"blackbox-{timeout}.yml"
        config.write_text(BLACKBOX_CONFIG.format(timeout=timeout))
        self.port = free_port()
        self.log = open(tmp / "blackbox.log", "a")  # noqa: SIM115
        self.proc = subprocess.Popen([str(BLACKBOX), f"--config.file={config}",
                                      f"--web.listen-address=127.0.0.1:{self.port}"], stdout=self.log, stderr=self.log)
        wait_http(f"http://127.0.0.1:{self.port}/-/healthy")

    def probe(self, target: str) -> tuple[float, str]:
        """(wall seconds of the scrape, exposition)."""
        started = time.perf_counter()
        r = requests.get(f"http://127.0.0.1:{self.port}/probe", params={"module": "gitea_healthz", "target": target},
                         timeout=60)
        return time.perf_counter() - started, r.text

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()
        self.log.close()


def ours(sim: GiteaSimulator, tmp: Path, interval: str, timeout: str) -> ExporterProcess:
    probes = tmp / "probes.yaml"
    probes.write_text("- {endpoint: healthz, path: /api/healthz, kind: health, auth: false}\n")
    return ExporterProcess(sim.url, tmp / f"exporter-{interval}.log", "--probes", str(probes), "--interval", interval,
                           "--timeout", timeout, env={"GITEA_TOKEN": TOKEN}, wait_ready=False)


def scrape_latency_while_hanging(sim: GiteaSimulator, tmp: Path) -> dict[str, tuple[float, float, int]]:
    sim.set_fault("hang")
    sim.hang_seconds = 30
    exp = ours(sim, tmp, "2s", "1500ms")
    bb = Blackbox(tmp, "3s")
    try:
        time.sleep(2)  # a probe is in flight
        mine = []
        for _ in range(300):
            started = time.perf_counter()
            exp.metrics()
            mine.append(time.perf_counter() - started)
        theirs = [bb.probe(sim.url + "/api/healthz")[0] for _ in range(5)]
    finally:
        exp.stop()
        bb.stop()
        sim.set_fault("none")
    return {"ours": (percentile(mine, .5), percentile(mine, .99), len(mine)),
            "blackbox": (percentile(theirs, .5), percentile(theirs, .99), len(theirs))}


def served(sim: GiteaSimulator, since: float, until: float) -> float:
    """Mean time the simulator took for /api/healthz requests it received in [since, until): the truth."""
    return statistics.mean(d for t, d in sim.service_times.get("/api/healthz", []) if since <= t < until)


def latency_error(sim: GiteaSimulator, tmp: Path, injected: float, rounds: int) -> dict[str, float]:
    """Mean measured latency minus the latency the simulator really served (injected + its own work)."""
    sim.latency = injected
    exp = ours(sim, tmp, "1500ms", "1400ms")
    bb = Blackbox(tmp, "5s")
    try:
        def count_sum() -> tuple[float, float]:
            text = exp.metrics()
            return (sample(text, "gitea_api_probe_duration_seconds_count", endpoint="healthz") or 0,
                    sample(text, "gitea_api_probe_duration_seconds_sum", endpoint="healthz") or 0)
        while count_sum()[0] < 1:
            time.sleep(0.1)
        # Ours first, alone, then blackbox alone, so each is compared with what the simulator served it.
        c0, s0 = count_sum()
        mark = time.perf_counter()
        while count_sum()[0] < c0 + rounds:
            time.sleep(0.2)
        c1, s1 = count_sum()
        truth_ours = served(sim, mark, time.perf_counter())
        exp.stop()
        mark = time.perf_counter()
        theirs = []
        for _ in range(rounds):
            _, text = bb.probe(sim.url + "/api/healthz")
            theirs.append(sample(text, "probe_duration_seconds"))
        truth_bb = served(sim, mark, time.perf_counter())
    finally:
        exp.stop()
        bb.stop()
        sim.latency = 0.0
    return {"ours": (s1 - s0) / (c1 - c0) - truth_ours, "blackbox": statistics.mean(theirs) - truth_bb,
            "served": truth_bb - injected}


def resources(sim: GiteaSimulator, tmp: Path, probes: int) -> dict[str, tuple[float, float]]:
    """(RSS MiB after `probes` probes, CPU seconds per 1,000 probes)."""
    exp = ours(sim, tmp, "20ms", "15ms")
    bb = Blackbox(tmp, "5s")
    try:
        def done() -> float:
            return sample(exp.metrics(), "gitea_api_probes_total", endpoint="healthz") or 0
        start_probes, start_cpu = done(), cpu_seconds(exp.proc.pid)
        while done() < start_probes + probes:
            time.sleep(0.2)
        n_ours = done() - start_probes
        cpu_ours = cpu_seconds(exp.proc.pid) - start_cpu
        start_cpu = cpu_seconds(bb.proc.pid)
        for _ in range(probes):
            bb.probe(sim.url + "/api/healthz")
        cpu_bb = cpu_seconds(bb.proc.pid) - start_cpu
        return {"ours": (rss_mib(exp.proc.pid), cpu_ours / n_ours * 1000),
                "blackbox": (rss_mib(bb.proc.pid), cpu_bb / probes * 1000)}
    finally:
        exp.stop()
        bb.stop()


def main() -> int:
    if not BLACKBOX.exists():
        print("skipped: blackbox_exporter missing; run `make tools WITH_BLACKBOX=1`")
        return 0
    sim = GiteaSimulator(spec_file("gitea-swagger.json"), TOKEN)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        hang = scrape_latency_while_hanging(sim, tmp)
        errors = {ms: latency_error(sim, tmp, ms / 1000, rounds=8) for ms in (50, 200, 1000)}
        res = resources(sim, tmp, probes=500)
    sim.stop()
    print("| measure | gitea-api-exporter | blackbox_exporter | target (ours) |")
    print("|---|---|---|---|")
    for label, q in (("p50", 0), ("p99", 1)):
        print(f"| /metrics {label} while Gitea hangs (ours n={hang['ours'][2]}, blackbox n={hang['blackbox'][2]}) | "
              f"{hang['ours'][q] * 1000:.1f} ms | {hang['blackbox'][q] * 1000:.0f} ms | {'<= 10 ms' if q else ''} |")
    for ms, err in errors.items():
        target = max(2.0, 0.02 * ms)
        print(f"| mean error at {ms} ms injected (simulator's own work: {err['served'] * 1000:.1f} ms) | "
              f"{err['ours'] * 1000:+.1f} ms | {err['blackbox'] * 1000:+.1f} ms | <= {target:g} ms |")
    print(f"| resident memory | {res['ours'][0]:.1f} MiB | {res['blackbox'][0]:.1f} MiB | <= 40 MiB |")
    print(f"| CPU per 1,000 probes | {res['ours'][1]:.2f} s | {res['blackbox'][1]:.2f} s | |")
    print(f"\n(python {sys.version.split()[0]}; Gitea simulator on 127.0.0.1; blackbox scrapes are /probe calls)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
