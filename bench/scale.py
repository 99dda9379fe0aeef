"""At scale: dashboard panel and rule group cost on a real Prometheus for N provider installations.

For each N (default 1, 10, 100) this writes a synthetic history of N installations (one cluster each:
3 provider replicas of which only the leader runs controllers, controller-runtime's real bucket layout, the
exporter's series, kube-state-metrics/cAdvisor series of the pods), 30 s apart, as OpenMetrics text, one file
per 2 h block, and turns it into TSDB blocks with `promtool tsdb create-blocks-from openmetrics`. A
Prometheus serves those blocks; `promtool tsdb create-blocks-from rules` back-fills our recording rules
(built with `multi_cluster: true`) from it, one pass per dependency level, each cut into time chunks run
side by side. A second Prometheus serves raw and recorded blocks together and reports:

- every dashboard panel's p50/p95 over the last 24 h at the step Grafana uses for a full-width panel, next
  to the same panel computed from raw series (each recording rule inlined), and the ratio;
- each rule group's `prometheus_rule_group_last_duration_seconds` from live evaluations (median), with the
  1-minute load average during them, and the costliest rules (/api/v1/rules, and their query run alone);
- series our recording rules add (total and per installation); Prometheus' resident memory.

Grafana's step (cited): a panel's interval is `roundInterval((to - from) / maxDataPoints)`, never below the
min interval (packages/grafana-data/src/datetime/rangeutil.ts, calculateInterval/roundInterval);
maxDataPoints defaults to the panel's width in pixels (a full-width panel: ~1850 px on a 1920 px screen),
so 24 h gives 46.7 s -> 1m; the Prometheus data source then keeps the step at or above range/11000 and
sets $__rate_interval = max($__interval + scrape interval, 4 x scrape interval)
(packages/grafana-prometheus/src/datasource.ts, adjustInterval/getRateIntervalScopedVariable).

Heavy: run it niced. `--quick` is N=1 over 2 h (about 7 minutes, most of it 6 live rule evaluations).
Numbers only; the machine is shared (the load average is printed beside the timings), compare columns of
one run. Usage: python bench/scale.py [--quick] [--installations 1,10,100] [--hours 24] [--work DIR
[--reuse-history]]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gitea_provider_monitoring import __version__  # noqa: E402
from gitea_provider_monitoring.alerts import slo  # noqa: E402
from gitea_provider_monitoring.check.promtool import find_tool  # noqa: E402
from gitea_provider_monitoring.exporters.gitea_api.metrics import (  # noqa: E402
    PROBE_DURATION_BUCKETS,
    PROXY_KINDS,
    PROXY_OPERATIONS,
    REASONS,
    TOKEN_STATES,
)
from gitea_provider_monitoring.model.config import Config, duration_seconds  # noqa: E402
from gitea_provider_monitoring.model.dashboard import substitute_variables  # noqa: E402
from gitea_provider_monitoring.model.provider_facts import LEASE_NAME  # noqa: E402
from gitea_provider_monitoring.render.compiler import build, load_model  # noqa: E402
from tests.sim.processes import PrometheusProcess  # noqa: E402
from tests.sim.provider import QUEUE_BUCKETS as WORKQUEUE_BUCKETS  # noqa: E402  (controller-runtime's layouts)
from tests.sim.provider import RECONCILE_BUCKETS, serve_exposition  # noqa: E402

SCRAPE = 30  # seconds between samples, as a typical ServiceMonitor/PodMonitor scrape
BLOCK = 2 * 3600  # one OpenMetrics file and one promtool run per 2 h block: one parse pass each
REPLICAS = 3
PROBE_ENDPOINTS = ("healthz", "version", "user", "repos_search")
RESULTS = ("success", "error", "requeue", "requeue_after")

# Grafana, full-width panel over 24 h: interval 1m (see the module docstring); the data source's scrape
# interval is set to ours (30 s), so $__rate_interval = max(60 + 30, 4 x 30) = 90s.
PANEL_WIDTH_PX = 1850


def tool(name: str) -> str | None:
    """prometheus/promtool: the pinned Prometheus 3 that `make tools` builds with Go (.tools/prometheus-3.*/,
    scripts/fetch-tools), what a central store runs today; else the one find_tool gives (Debian's 2.x)."""
    pinned = sorted((REPO / ".tools").glob(f"prometheus-3.*/{name}"))
    return str(pinned[-1]) if pinned else find_tool(name)


def grafana_round_interval(ms: float) -> int:
    """Grafana's roundInterval (rangeutil.ts), the steps this benchmark can meet (1 s .. 1 d)."""
    table = ((1500, 1000), (3500, 2000), (7500, 5000), (12500, 10000), (17500, 15000), (25000, 20000),
             (45000, 30000), (90000, 60000), (210000, 120000), (450000, 300000), (750000, 600000),
             (1050000, 900000), (1500000, 1200000), (2700000, 1800000), (5400000, 3600000),
             (9000000, 7200000), (16200000, 10800000), (32400000, 21600000), (86400000, 43200000))
    return next((rounded for limit, rounded in table if ms < limit), 86400000)


def grafana_step(range_s: int, scrape_s: int = SCRAPE, width_px: int = PANEL_WIDTH_PX) -> tuple[int, int]:
    """(step = $__interval, $__rate_interval) in seconds, as Grafana computes them for a panel."""
    interval = max(grafana_round_interval(range_s * 1000 / width_px) / 1000, scrape_s)  # min interval
    interval = max(interval, math.ceil(range_s / 11000))  # Prometheus' 11000-points limit
    return int(interval), int(max(interval + scrape_s, 4 * scrape_s))


# ---------------------------------------------------------------------------------------------------------
# Synthetic history


@dataclasses.dataclass(frozen=True)
class Series:
    """One series: its text prefix `name{labels}` and a value model.

    `rate` > 0: a counter rising by `rate` (+ jitter) per scrape, `scale` turns counts into the unit;
    `rate` == 0: a gauge fixed at `value`. `share` < 1: a histogram bucket, share x the count (rounded) it shares
    `rate` and `seed` with), so buckets are cumulative (le up -> count up) and never fall, as a real one's."""

    prefix: str
    rate: int = 0
    value: float = 0.0
    scale: float = 1.0
    seed: int = 0
    share: float = 1.0


def cluster_name(i: int) -> str:
    return f"c{i:03d}"


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def _histogram(name: str, base: dict, per_scrape: int, buckets: tuple[float, ...], cdf, mean: float,
               seed: int) -> Iterator[Series]:
    # Each bucket is a share of the same count (not a rate of its own rounded down: with 1 observation per
    # scrape that put every observation above the last finite bucket, so every latency alert fired).
    for le in buckets:
        yield Series(f"{name}_bucket" + _labels(**base, le=repr(float(le))), rate=per_scrape, seed=seed,
                     share=cdf(le))
    yield Series(f"{name}_bucket" + _labels(**base, le="+Inf"), rate=per_scrape, seed=seed)
    yield Series(f"{name}_count" + _labels(**base), rate=per_scrape, seed=seed)
    yield Series(f"{name}_sum" + _labels(**base), rate=max(1, int(per_scrape * mean * 1000)), scale=0.001,
                 seed=seed)


def _lognormal_cdf(median: float, sigma: float = 0.8):
    return lambda x: 0.5 * (1 + math.erf(math.log(x / median) / (sigma * math.sqrt(2))))


def leader_series(i: int, base: dict, controllers: tuple[str, ...]) -> Iterator[Series]:
    """The leader's controller-runtime series: per controller, initMetrics' counters and gauges
    (pkg/internal/controller/controller.go), the reconcile-time histogram (41 buckets,
    pkg/internal/controller/metrics/metrics.go) and the work queue's (pkg/internal/metrics/workqueue.go)."""
    work = 20  # reconciles per scrape (the provider polls every managed resource)
    for c_index, controller in enumerate(controllers):
        seed = i * 1000 + c_index
        ctrl = {**base, "controller": controller}
        for result, share in zip(RESULTS, (0.1, 0.01, 0.04, 0.85), strict=True):
            yield Series("controller_runtime_reconcile_total" + _labels(**ctrl, result=result),
                         rate=int(work * share), seed=seed)
        for name in ("reconcile_errors", "terminal_reconcile_errors", "reconcile_panics"):
            yield Series(f"controller_runtime_{name}_total" + _labels(**ctrl), seed=seed)
        yield from _histogram("controller_runtime_reconcile_time_seconds", ctrl, work, RECONCILE_BUCKETS,
                              _lognormal_cdf(0.2), 0.25, seed)
        yield Series("controller_runtime_active_workers" + _labels(**ctrl), value=1)
        yield Series("controller_runtime_max_concurrent_reconciles" + _labels(**ctrl), value=10)
        queue = {**base, "name": controller, "controller": controller}
        yield Series("workqueue_depth" + _labels(**queue), value=2)
        yield Series("workqueue_adds_total" + _labels(**queue), rate=work, seed=seed)
        yield Series("workqueue_retries_total" + _labels(**queue), rate=1, seed=seed)
        yield from _histogram("workqueue_queue_duration_seconds", queue, work, WORKQUEUE_BUCKETS,
                              _lognormal_cdf(0.005, 1.5), 0.01, seed)
        yield from _histogram("workqueue_work_duration_seconds", queue, work, WORKQUEUE_BUCKETS,
                              _lognormal_cdf(0.2), 0.25, seed)
        yield Series("workqueue_unfinished_work_seconds" + _labels(**queue), value=0.1)
        yield Series("workqueue_longest_running_processor_seconds" + _labels(**queue), value=0.2)


def installation_series(i: int, config: Config) -> Iterator[Series]:
    """The series of installation `i` (cluster c<i>): 3 provider replicas, the exporter, the pods' kube series.

    Only the leader (replica 0) exposes controller and work-queue series. controller-runtime registers its
    controllers as leader-election runnables (pkg/manager/runnable_group.go, LeaderElectionRunnable; started by
    startLeaderElectionRunnables in pkg/manager/internal.go once the lease is won); a controller creates its
    controller_runtime_* children in Start -> initMetrics and its work queue (hence the workqueue_* children,
    pkg/internal/metrics/workqueue.go New*Metric) in startEventSourcesAndQueueLocked
    (pkg/internal/controller/controller.go). A standby replica therefore serves none of them, only up,
    rest_client_requests_total (its lease polls), leader_election_master_status 0, process_* and go_*."""
    p = config.provider
    cluster = cluster_name(i)
    common = {config.cluster_label: cluster, "namespace": p.namespace}
    pods = [f"{p.job}-7d9f8b6c5-{chr(97 + r)}{i:03d}" for r in range(REPLICAS)]
    for r, pod in enumerate(pods):
        leader = r == 0
        base = {**common, "job": p.job, "instance": f"10.{i // 250}.{i % 250}.{r + 10}:8080", "pod": pod}
        yield Series("up" + _labels(**base), value=1)
        if leader:
            yield from leader_series(i, base, p.controllers)
        for code, method, rate in (("200", "GET", 60), ("200", "PATCH", 6 if leader else 0), ("201", "POST", 0),
                                   ("409", "PUT", 0)):
            yield Series("rest_client_requests_total" + _labels(**base, code=code, method=method,
                                                                host="10.96.0.1:443"), rate=rate, seed=r)
        yield Series("leader_election_master_status" + _labels(**base, name=LEASE_NAME),
                     value=1 if leader else 0)
        yield Series("process_cpu_seconds_total" + _labels(**base), rate=300, scale=0.001, seed=r)
        yield Series("process_resident_memory_bytes" + _labels(**base), value=48e6)
        yield Series("process_start_time_seconds" + _labels(**base), value=1.7e9)
        yield Series("process_open_fds" + _labels(**base), value=12)
        yield Series("process_max_fds" + _labels(**base), value=1048576)
        yield Series("go_goroutines" + _labels(**base), value=140 if leader else 60)
        yield Series("go_memstats_heap_inuse_bytes" + _labels(**base), value=21e6)
        yield Series("go_info" + _labels(**base, version="go1.24.4"), value=1)
        # kube-state-metrics and cAdvisor for the provider container of this pod.
        kube = {**common, "pod": pod, "container": p.container}
        yield Series("kube_pod_container_status_restarts_total" + _labels(**kube, job="kube-state-metrics"))
        for kind, resource, unit, value in (("requests", "cpu", "core", 0.1), ("limits", "cpu", "core", 1),
                                            ("requests", "memory", "byte", 64e6), ("limits", "memory", "byte", 512e6)):
            yield Series(f"kube_pod_container_resource_{kind}" + _labels(**kube, job="kube-state-metrics",
                                                                          resource=resource, unit=unit), value=value)
        yield Series("kube_pod_container_info" + _labels(**kube, job="kube-state-metrics",
                                                         image="xpkg.upbound.io/crossplane-contrib/provider-gitea:v0.3.0",
                                                         image_id="sha256:1", container_id=f"containerd://{pod}"),
                     value=1)
        yield Series("container_memory_working_set_bytes" + _labels(**kube, job="kubelet"), value=50e6)
        yield Series("container_cpu_usage_seconds_total" + _labels(**kube, job="kubelet"), rate=300, scale=0.001)
        yield Series("container_cpu_cfs_periods_total" + _labels(**kube, job="kubelet"), rate=300)
        yield Series("container_cpu_cfs_throttled_periods_total" + _labels(**kube, job="kubelet"), rate=1)
    # The exporter, a sidecar of the first pod: probes every 30 s, proxy mode on.
    e = config.exporter
    base = {**common, "job": e.job, "instance": f"10.{i // 250}.{i % 250}.10:9101", "pod": pods[0]}
    yield Series("up" + _labels(**base), value=1)
    for k, endpoint in enumerate(PROBE_ENDPOINTS):
        ep = {**base, "endpoint": endpoint}
        yield from _histogram("gitea_api_probe_duration_seconds", ep, 1, PROBE_DURATION_BUCKETS, _lognormal_cdf(0.05),
                              0.05, i * 10 + k)
        yield Series("gitea_api_probes_total" + _labels(**ep), rate=1, seed=k)
        for reason in REASONS:
            yield Series("gitea_api_probe_failures_total" + _labels(**ep, reason=reason))
        yield Series("gitea_api_last_status_code" + _labels(**ep), value=200)
        yield Series("gitea_api_last_probe_timestamp_seconds" + _labels(**ep), value=1.7e9)
    for name, value in (("gitea_api_up", 1), ("gitea_api_token_valid", 1), ("gitea_api_probe_backoff_seconds", 0)):
        yield Series(name + _labels(**base), value=value)
    yield Series("gitea_api_probe_backoffs_total" + _labels(**base))
    for state in TOKEN_STATES:
        yield Series("gitea_api_token_state" + _labels(**base, state=state), value=1 if state == "valid" else 0)
    for check in ("database_ping", "cache_ping"):
        yield Series("gitea_api_health_check_status" + _labels(**base, check=check), value=1)
    yield Series("gitea_api_info" + _labels(**base, version="1.26.3"), value=1)
    yield Series("gitea_api_exporter_build_info" + _labels(**base, version=__version__), value=1)
    for kind in PROXY_KINDS:
        for operation in PROXY_OPERATIONS:
            op = {**base, "kind": kind, "operation": operation}
            calls = 3 if operation == "observe" else 0
            yield Series("gitea_api_requests_total" + _labels(**op, code="200"), rate=calls, seed=i)
            yield from _histogram("gitea_api_request_duration_seconds", op, calls, PROBE_DURATION_BUCKETS,
                                  _lognormal_cdf(0.05), 0.05, i)


def _values(s: Series, k0: int, k1: int) -> list[str]:
    """Sample values for scrapes k0..k1-1 of a counter: rises by 1 .. 2*rate-1 every scrape, deterministic."""
    rate, offset, scale = s.rate, s.seed * 40503, s.scale
    if s.share != 1.0:
        share = s.share
        return [str(int((rate * k + (k * 2654435761 + offset) % rate) * share + 0.5)) for k in range(k0, k1)]
    if scale == 1.0:
        return [str(rate * k + (k * 2654435761 + offset) % rate) for k in range(k0, k1)]
    return [repr((rate * k + (k * 2654435761 + offset) % rate) * scale) for k in range(k0, k1)]


def write_block(path: Path, series: list[Series], start: int, k0: int, k1: int) -> int:
    """OpenMetrics text for scrapes k0..k1-1 of every series (series after series); returns sample count.

    Each line is `name{labels} value timestamp`; a series' lines are its prefix joined (in C) over
    `value timestamp` tails, and gauges share their tails."""
    stamps = [f" {start + k * SCRAPE}\n" for k in range(k0, k1)]
    gauge_tails: dict[str, str] = {}
    with path.open("w", buffering=1 << 22) as out:
        for s in series:
            head = s.prefix + " "
            if s.rate == 0:
                value = repr(float(s.value)) if s.value else "0"
                tails = gauge_tails.get(value)
                if tails is None:
                    tails = gauge_tails[value] = [value + t for t in stamps]
            else:
                tails = list(map(str.__add__, _values(s, k0, k1), stamps))
            out.write(head)
            out.write(head.join(tails))
        out.write("# EOF\n")
    return len(series) * (k1 - k0)


# ---------------------------------------------------------------------------------------------------------
# Processes


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(["nice", "-n", "19", *cmd], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({' '.join(cmd[:4])} ...): {(proc.stdout + proc.stderr)[-2000:]}")


def _finish(running: tuple[subprocess.Popen, Path] | None) -> None:
    """Wait for a promtool block run and remove its input."""
    if running is None:
        return
    proc, chunk = running
    output, _ = proc.communicate()
    chunk.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise RuntimeError(f"promtool tsdb create-blocks-from openmetrics {chunk} failed: {output[-2000:]}")


class Prometheus(PrometheusProcess):
    """A niced Prometheus serving `data_dir`; blocks stay 2 h (as backfilled) so no compaction runs mid-run."""

    def __init__(self, data_dir: Path, config: dict, log: Path, niceness: int = 19) -> None:
        super().__init__(
            str(tool("prometheus")), config, data_dir.parent / f"{data_dir.name}-prometheus.yml", data_dir, log,
            "--storage.tsdb.retention.time=30d", "--storage.tsdb.min-block-duration=2h",
            "--storage.tsdb.max-block-duration=2h", "--query.max-samples=200000000", "--query.timeout=10m",
            # The history reaches past now, so live rule results are discarded ("out of bounds"): only
            # their evaluation is measured; error level keeps those warnings from costing time.
            "--log.level=error",
            # niceness is absolute: the measuring Prometheus runs at 0 even when this script is niced, so rule
            # and query times are Prometheus' work, not the scheduler's (a few minutes per N).
            prefix=("nice", "-n", str(niceness - os.nice(0))), ready_timeout=600, stop_timeout=60)

    def metric(self, name: str) -> list[tuple[dict[str, str], float]]:
        """Samples of `name` on Prometheus' own /metrics."""
        out = []
        for line in requests.get(self.url + "/metrics", timeout=30).text.splitlines():
            m = re.match(rf"^{name}(?:\{{(.*)\}})? (\S+)$", line)
            if m:
                labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1) or ""))
                out.append((labels, float(m.group(2))))
        return out

    def query(self, expr: str, *, start: int | None = None, end: int, step: int | None = None
              ) -> tuple[float, int, float]:
        """Run one query; (seconds until the whole answer is read, series returned, seconds Prometheus' engine
        spent: stats evalTotalTime, without encoding and sending the answer)."""
        if start is None:
            params, path = {"query": expr, "time": end, "stats": "all"}, "/api/v1/query"
        else:
            params, path = {"query": expr, "start": start, "end": end, "step": step, "stats": "all"}, "/api/v1/query_range"
        t0 = time.perf_counter()
        r = requests.post(self.url + path, data=params, timeout=900)
        elapsed = time.perf_counter() - t0
        if r.status_code != 200:
            raise RuntimeError(f"query failed ({r.status_code}): {expr}\n{r.text[:500]}")
        data = r.json()["data"]
        return elapsed, len(data["result"]), float(data.get("stats", {}).get("timings", {}).get("evalTotalTime", 0.0))


def block_windows(data: Path) -> int:
    """Distinct 2 h windows of the blocks in `data`: the block count once overlapping blocks are merged."""
    return len({json.loads((d / "meta.json").read_text())["minTime"] // (BLOCK * 1000)
                for d in data.iterdir() if (d / "meta.json").is_file()})


def wait_blocks_settled(prom: Prometheus, windows: int, timeout: float = 3600) -> None:
    """Wait until Prometheus has merged the overlapping raw and recorded blocks (vertical compaction, about a
    minute after start) into one block per 2 h window."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        loaded = sum(v for _, v in prom.metric("prometheus_tsdb_blocks_loaded"))
        if loaded == windows:
            return
        time.sleep(5)
    raise TimeoutError(f"Prometheus did not merge its blocks into {windows} within {timeout:.0f}s")


# ---------------------------------------------------------------------------------------------------------
# Queries: panels as Grafana sends them, and the same panels from raw series


@dataclasses.dataclass
class PanelQuery:
    dashboard: str
    title: str
    exprs: list[tuple[str, bool]]  # (expr, instant)
    raw_exprs: list[tuple[str, bool]]
    recorded: bool  # a recording rule backs at least one of its queries


_SELECTOR = re.compile(r"([A-Za-z_:][\w:]*)\{")


def _inline_records(expr: str, records: dict[str, list], eval_interval: str) -> str:
    """`record{matchers}[range]` -> `(rule expr)[range:eval_interval]`, choosing the rule by its static labels
    (quantile="0.95") and pushing the panel's other matchers (cluster="c000") into the rule's selectors."""
    names = sorted(records, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w:])(" + "|".join(re.escape(n) for n in names) + r")(\{[^}]*\})?(\[[^\]]+\])?")
    bare = re.compile(r"(?<![\w:])(" + "|".join(re.escape(n) for n in names) + r")(?![\w:{])")  # record, no {}

    def replace(m: re.Match) -> str:
        found = re.findall(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"', m.group(2) or "")
        matchers = {k: v for k, op, v in found if op == "="}
        rules = [r for r in records[m.group(1)] if all(matchers.get(k, v) == v for k, v in r.labels.items())]
        static = {k for r in rules for k in r.labels}
        push = ", ".join(f'{k}{op}"{v}"' for k, op, v in found if k not in static and not (op == "=~" and v == ".*"))
        exprs = [_SELECTOR.sub(lambda s: f"{s.group(1)}{{{push}, ", bare.sub(r"\1{}", r.expr)) if push else r.expr
                 for r in rules]
        inner = " or ".join(f"({e})" for e in exprs)  # quantile not selected: every quantile rule
        if m.group(3):
            return f"({inner}){m.group(3)[:-1]}:{eval_interval}]"
        return f"({inner})"

    for _ in range(5):  # records of records (quantiles read recorded bucket rates)
        inlined = pattern.sub(replace, expr)
        if inlined == expr:
            break
        expr = inlined
    return expr


def raw_records(config: Config, model) -> dict[str, list]:
    """Recording rules by name, each SLO window defined by its raw error ratio (as written before the long
    windows averaged the 30m ratio), so the raw panel is what a dashboard without recording rules would run."""
    raw = {d.record(w): d.error_ratio(w) for d in slo.slo_defs(config) for w in (*slo.WINDOWS, config.slo.period)}
    records: dict[str, list] = {}
    for rf in model.rule_files:
        for r in rf.records():
            records.setdefault(r.record, []).append(dataclasses.replace(r, expr=raw.get(r.record, r.expr)))
    return records


def panel_queries(config: Config, model) -> list[PanelQuery]:
    records = raw_records(config, model)
    step, rate_interval = grafana_step(24 * 3600)
    ranges = {"__interval": f"{step}s", "__rate_interval": f"{rate_interval}s", "__range": "86400s"}

    def value(name: str) -> str:
        """The dashboards' defaults with multi_cluster: the first cluster, our namespace, every other "All"."""
        return {"namespace": config.provider.namespace, "cluster": cluster_name(0)}.get(name, ".*")

    out = []
    for dash_name, dashboard in sorted(model.dashboards.items()):
        stack = list(dashboard.get("panels", []))
        while stack:
            panel = stack.pop(0)
            stack[:0] = panel.get("panels", [])
            exprs = [(substitute_variables(t["expr"], value=value, ranges=ranges), bool(t.get("instant")))
                     for t in panel.get("targets", []) if t.get("expr")]
            if not exprs:
                continue
            raw = [(_inline_records(e, records, config.evaluation_interval), inst) for e, inst in exprs]
            out.append(PanelQuery(dash_name, panel.get("title", ""), exprs, raw, raw != exprs))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def time_panel(prom: Prometheus, exprs: list[tuple[str, bool]], start: int, end: int, step: int,
               repeats: int) -> tuple[float, float, int, float]:
    """(p50, p95, series, engine p95) of a panel: its queries one after another (Grafana sends them
    concurrently, so this is the upper bound), `repeats` times after one warm-up. The engine time leaves out
    encoding, sending and parsing the answer, which is the same for a panel and its raw version."""
    times, engine = [], []
    series = 0
    for attempt in range(repeats + 1):
        total = evaluated = 0.0
        series = 0
        for expr, instant in exprs:
            seconds, n, inner = prom.query(expr, start=None if instant else start, end=end, step=step)
            total += seconds
            evaluated += inner
            series += n
        if attempt:
            times.append(total)
            engine.append(evaluated)
    return statistics.median(times), percentile(times, 0.95), series, percentile(engine, 0.95)


# ---------------------------------------------------------------------------------------------------------
# One N


@dataclasses.dataclass
class Outcome:
    n: int
    hours: float
    series_raw: int
    samples: int
    seconds: dict[str, float]
    panels: list[tuple[PanelQuery, tuple[float, float, int], tuple[float, float, int] | None]]
    groups: dict[str, tuple[float, float]]  # group -> (last duration seconds, interval seconds)
    recorded_series: int
    rss_bytes: float
    rules: dict[str, float] = dataclasses.field(default_factory=dict)  # "group: rule" -> median eval seconds
    load: dict[str, tuple[float, float, float]] = dataclasses.field(default_factory=dict)  # step -> min/med/max
    queries: dict[str, float] = dataclasses.field(default_factory=dict)  # "group: rule" -> its query alone, median
    alerts: int = -1  # pending or firing after the live evaluations


def rule_levels(model, out: Path) -> list[Path]:
    """Our recording rules as rule files by dependency level: `promtool tsdb create-blocks-from rules` cannot
    evaluate a rule on another rule's output, so a record of records (quantiles of the recorded bucket rates,
    ratios of recorded rates, SLO windows of the 5m ratio) is back-filled in a later pass than every record it
    reads, from the earlier passes' blocks."""
    rules = [(g.name, r) for rf in model.rule_files for g in rf.groups for r in g.rules if hasattr(r, "record")]
    intervals = {g.name: g.interval for rf in model.rule_files for g in rf.groups if g.interval}
    names = {r.record for _, r in rules}
    reads = {r.record: set() for _, r in rules}
    for _, r in rules:
        reads[r.record] |= {n for n in names if n != r.record
                            and re.search(rf"(?<![\w:]){re.escape(n)}(?![\w:])", r.expr)}
    depth: dict[str, int] = {}

    def level(name: str, seen: tuple[str, ...] = ()) -> int:
        if name in seen:
            raise ValueError(f"recording rules read each other in a cycle: {' -> '.join((*seen, name))}")
        if name not in depth:
            depth[name] = 1 + max((level(n, (*seen, name)) for n in reads[name]), default=-1)
        return depth[name]

    levels: list[dict[str, list]] = []
    for group, r in rules:
        d = level(r.record)
        levels += [{} for _ in range(d + 1 - len(levels))]
        levels[d].setdefault(group, []).append(r.to_dict())
    files = []
    for i, groups in enumerate(levels):
        path = out / f"records-level{i + 1}.yaml"
        # A group's own interval (the SLOs' hourly samples) is the step promtool back-fills it at.
        path.write_text(yaml.safe_dump({"groups": [{"name": g, **({"interval": intervals[g]} if g in intervals else {}),
                                                    "rules": rules} for g, rules in groups.items()]}, sort_keys=False))
        files.append(path)
    return files


def existing_history(data: Path) -> tuple[int, int, int] | None:
    """(start, end, samples) of raw blocks a previous run left in `data` (`--reuse-history`), else None."""
    metas = [json.loads(m.read_text()) for m in data.glob("*/meta.json")]
    if not metas:
        return None
    return (min(m["minTime"] for m in metas) // 1000, (max(m["maxTime"] for m in metas) - 1) // 1000,
            sum(m["stats"]["numSamples"] for m in metas))


def backfill_chunks(start: int, end: int, jobs: int, step: int) -> list[tuple[int, int]]:
    """[start, end] cut into at most `jobs` (first, last) evaluation-time ranges on 2 h block boundaries; --end
    is inclusive in promtool, so a chunk ends one evaluation before the next one starts."""
    per = max(1, math.ceil((end + 1 - start // BLOCK * BLOCK) / BLOCK / max(1, jobs)))  # blocks per chunk
    cuts = [c for c in range(start // BLOCK * BLOCK + per * BLOCK, end, per * BLOCK) if c > start]
    edges = [start, *cuts, end + step]
    return [(a, b - step) for a, b in zip(edges, edges[1:], strict=False)]


def _backfill(prom: Prometheus, records_file: Path, start: int, end: int, out: Path, eval_interval: str,
              jobs: int) -> None:
    """`promtool tsdb create-blocks-from rules` over [start, end] split into `jobs` chunks (2 h aligned) run
    side by side: the querying Prometheus does the work, so chunks use the machine's cores."""
    procs = []
    for k, (a, b) in enumerate(backfill_chunks(start, end, jobs, int(duration_seconds(eval_interval)))):
        chunk_out = out / f"chunk{k}"
        procs.append((subprocess.Popen(
            ["nice", "-n", "19", tool("promtool"), "tsdb", "create-blocks-from", "rules", f"--start={a}",
             f"--end={b}", f"--url={prom.url}", f"--output-dir={chunk_out}", f"--eval-interval={eval_interval}",
             str(records_file)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True), chunk_out))
    failed = []
    for proc, chunk_out in procs:
        output, _ = proc.communicate()
        if proc.returncode != 0:
            failed.append(f"{chunk_out.name}: {output[-1500:]}")
    if failed:
        raise RuntimeError("promtool tsdb create-blocks-from rules failed: " + "\n".join(failed))


def _link_blocks(source: Path, target: Path) -> None:
    """Hard-link every block of `source` into `target`: Prometheus may compact and delete its copies, the
    originals stay for `--reuse-history`."""
    for block in source.iterdir():
        if (block / "meta.json").is_file():
            shutil.copytree(block, target / block.name, copy_function=os.link)


class LoadSampler:
    """The 1-minute load average (os.getloadavg) sampled while a step runs: the machine is shared, so every
    timing is printed next to the load it was taken under."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    def sample(self) -> None:
        self.samples.append(os.getloadavg()[0])

    def summary(self) -> tuple[float, float, float]:
        if not self.samples:
            self.sample()
        return min(self.samples), statistics.median(self.samples), max(self.samples)


def built_rules(config: Config, work: Path) -> tuple[object, list[str]]:
    """The model and the rule files built from it (once per --work directory): what both runs evaluate."""
    build_dir = work / "build"
    if not build_dir.exists():
        build(config, build_dir)
    return load_model(config), sorted(str(p) for p in (build_dir / "prometheus" / "rules").glob("*.yaml"))


def run_one(n: int, hours: float, repeats: int, config: Config, work: Path, lead_s: int, log,
            reuse: bool = False, backfill_jobs: int = 2, evaluations: int = 5) -> Outcome:
    seconds: dict[str, float] = {}
    t = time.monotonic()
    model, rule_files = built_rules(config, work)
    series = [s for i in range(n) for s in installation_series(i, config)]
    # `hours` of history up to now, then `lead_s` ahead of now, so the live rule evaluation (minutes from now)
    # sees fresh samples and at least `hours` behind it (the SLO windows read all of it).
    now = int(time.time()) // SCRAPE * SCRAPE
    start = now - int(hours * 3600) // SCRAPE * SCRAPE
    end = (now + lead_s) // SCRAPE * SCRAPE
    span = end - start
    raw = work / f"n{n}-raw"  # the raw blocks, kept while --work is: --reuse-history starts from them
    data = work / f"n{n}"  # what Prometheus serves: raw blocks (hard links) + recorded blocks
    previous = existing_history(raw) if reuse else None
    if previous:
        start, end, samples = previous
        span = (end - start) // SCRAPE * SCRAPE
        log(f"N={n}: reusing the history in {raw} (ends {(end - time.time()) / 60:.0f} min from now)")
    else:
        shutil.rmtree(raw, ignore_errors=True)
        raw.mkdir(parents=True)
        samples = 0
    running: tuple[subprocess.Popen, Path] | None = None  # promtool on the previous block while we write the next
    block_start = start // BLOCK * BLOCK
    while block_start < end and not previous:
        k0 = max(0, (block_start - start + SCRAPE - 1) // SCRAPE)
        k1 = min(span // SCRAPE + 1, (block_start + BLOCK - start + SCRAPE - 1) // SCRAPE)
        if k1 > k0:
            chunk = work / f"n{n}-{block_start}.om.txt"
            samples += write_block(chunk, series, start, k0, k1)
            _finish(running)
            running = (subprocess.Popen(["nice", "-n", "19", tool("promtool"), "tsdb", "create-blocks-from",
                                         "openmetrics", "--max-block-duration=2h", "--quiet", str(chunk), str(raw)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True), chunk)
        block_start += BLOCK
    _finish(running)
    seconds["history"] = time.monotonic() - t
    log(f"N={n}: {len(series)} raw series, {samples} samples in {seconds['history']:.0f}s")

    t = time.monotonic()
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    _link_blocks(raw, data)
    plain = {"global": {"scrape_interval": f"{SCRAPE}s", "evaluation_interval": config.evaluation_interval}}
    for level, records_file in enumerate(rule_levels(model, work), start=1):
        prom = Prometheus(data, plain, work / f"n{n}-backfill{level}.log")
        rules_out = work / f"n{n}-rules{level}"
        shutil.rmtree(rules_out, ignore_errors=True)
        try:
            _backfill(prom, records_file, start, end, rules_out, config.evaluation_interval, backfill_jobs)
        finally:
            prom.stop()
        for block in rules_out.glob("chunk*/*/meta.json"):
            block.parent.rename(data / block.parent.name)
        shutil.rmtree(rules_out, ignore_errors=True)
    seconds["rules backfill"] = time.monotonic() - t
    log(f"N={n}: recording rules back-filled in {seconds['rules backfill']:.0f}s ({backfill_jobs} jobs)")

    t = time.monotonic()
    windows = block_windows(data)
    prom = Prometheus(data, plain, work / f"n{n}.log", niceness=0)
    loads = {"rule evaluation": LoadSampler(), "panels": LoadSampler()}
    try:
        wait_blocks_settled(prom, windows)
        seconds["settle"] = time.monotonic() - t
        log(f"N={n}: blocks settled in {seconds['settle']:.0f}s")
        # Live rule evaluation first, while "now" is still inside the history; then the panels, rules off.
        needed = duration_seconds(config.evaluation_interval) * (evaluations + 3) + 60
        if time.time() + needed > end:
            raise RuntimeError(f"N={n}: the history ends {(end - time.time()) / 60:.0f} min from now, the live rule "
                               f"evaluation needs {needed / 60:.0f}: rules would run on stale data and look cheap; "
                               "write a new history (without --reuse-history) or a larger --lead-minutes")
        t = time.monotonic()
        prom.reload({**plain, "rule_files": rule_files})
        groups, rules = live_rule_durations(prom, config, model, evaluations, loads["rule evaluation"])
        alerts = active_alerts(prom)
        prom.reload(plain)
        queries = rule_query_times(prom, model, evaluations)
        seconds["rule evaluation"] = time.monotonic() - t
        log(f"N={n}: rule groups evaluated live in {seconds['rule evaluation']:.0f}s")
        t = time.monotonic()
        records = sorted({r.record for rf in model.rule_files for r in rf.records()})
        recorded = prom.query(f'count(last_over_time({{__name__=~"{"|".join(records)}"}}[{span}s]))',
                              end=end)
        recorded_series = _scalar(prom, f'count(last_over_time({{__name__=~"{"|".join(records)}"}}[{span}s]))',
                                  end) if recorded[1] else 0
        q_end = end
        q_start = q_end - 24 * 3600  # a 24 h dashboard, whatever history there is
        step, _ = grafana_step(24 * 3600)
        panels = []
        for pq in panel_queries(config, model):
            loads["panels"].sample()
            timed = time_panel(prom, pq.exprs, q_start, q_end, step, repeats)
            raw_timed = time_panel(prom, pq.raw_exprs, q_start, q_end, step, repeats) if pq.recorded else None
            panels.append((pq, timed, raw_timed))
        seconds["panels"] = time.monotonic() - t
        log(f"N={n}: panels timed in {seconds['panels']:.0f}s")

        rss = max(v for _, v in prom.metric("process_resident_memory_bytes"))
    finally:
        prom.stop()
    shutil.rmtree(data, ignore_errors=True)
    return Outcome(n, hours, len(series), samples, seconds, panels, groups, recorded_series, rss, rules,
                   {k: v.summary() for k, v in loads.items()}, queries, alerts)


def _scalar(prom: Prometheus, expr: str, at: int) -> int:
    r = requests.get(prom.url + "/api/v1/query", params={"query": expr, "time": at}, timeout=600)
    result = r.json()["data"]["result"]
    return int(float(result[0]["value"][1])) if result else 0


def active_alerts(prom: Prometheus) -> int:
    """Alerts pending or firing: the synthetic fleet is healthy, so any here means its data is off (and the rule
    manager's per-alert work, templates and ALERTS series, would be measured instead of the rules)."""
    return len(requests.get(prom.url + "/api/v1/alerts", timeout=30).json()["data"]["alerts"])


def rule_key(group: str, rule: dict) -> str:
    """`group: name{static labels}` for a rule of /api/v1/rules (the quantile rules share their name)."""
    labels = ",".join(f"{k}={v}" for k, v in sorted((rule.get("labels") or {}).items())
                      if k == "quantile" or rule.get("type") == "recording")
    return f"{group}: {rule['name']}" + (f"{{{labels}}}" if labels else "")


def model_rule_key(group: str, rule: dict) -> str:
    """rule_key for one of our rules as `to_dict()` writes it."""
    return rule_key(group, {"name": rule.get("record") or rule["alert"], "labels": rule.get("labels"),
                            "type": "recording" if "record" in rule else "alerting"})


def rule_query_times(prom: Prometheus, model, repeats: int) -> dict[str, float]:
    """Each rule's expression run alone as an instant query at now (median of `repeats`, after the rules are
    unloaded): what the query itself costs, next to what the rule manager reports for the rule."""
    out = {}
    now = time.time()
    for rf in model.rule_files:
        for g in rf.groups:
            for r in g.rules:
                d = r.to_dict()
                key = model_rule_key(g.name, d)
                out[key] = statistics.median(prom.query(d["expr"], end=now)[0] for _ in range(repeats))
    return out


def live_rule_durations(prom: Prometheus, config: Config, model, evaluations: int = 5,
                        load: LoadSampler | None = None) -> tuple[dict[str, tuple[float, float]], dict[str, float]]:
    """Per group, the median of `evaluations` readings of prometheus_rule_group_last_duration_seconds (one per
    evaluation); per rule, the median of its evaluationTime in /api/v1/rules over the same evaluations.

    A group with a longer interval than the wait (the SLOs' hourly samples) may not run in it: its rules' queries
    are run alone instead (after a warm-up, `evaluations` times at now, the median of Prometheus' engine time for
    each, summed), its rules get those times and its row says so."""
    interval = duration_seconds(config.evaluation_interval)
    wait = interval * (evaluations + 3) + 60
    groups_by_name = {g.name: g for rf in model.rule_files for g in rf.groups}
    slow = {n for n, g in groups_by_name.items() if duration_seconds(g.interval or config.evaluation_interval) > wait}
    names = set(groups_by_name) - slow
    seen: dict[str, list[float]] = {}
    per_rule: dict[str, list[float]] = {}
    last_eval: dict[str, float] = {}
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        stamps = {labels["rule_group"]: v for labels, v in prom.metric("prometheus_rule_group_last_evaluation_timestamp_seconds")}
        durations = {labels["rule_group"]: v for labels, v in prom.metric("prometheus_rule_group_last_duration_seconds")}
        api = requests.get(prom.url + "/api/v1/rules", timeout=30).json()["data"]["groups"]
        rules_by_group = {g["name"]: g["rules"] for g in api}
        for key, stamp in stamps.items():
            group = key.split(";", 1)[-1]
            if group in names and stamp > 0 and last_eval.get(group) != stamp:
                if group not in last_eval:
                    # The first evaluation seen may predate the reload (or straddle it): not counted.
                    last_eval[group] = stamp
                    continue
                last_eval[group] = stamp
                seen.setdefault(group, []).append(durations.get(key, 0.0))
                for rule in rules_by_group.get(group, []):
                    per_rule.setdefault(rule_key(group, rule), []).append(rule.get("evaluationTime", 0.0))
                if load:
                    load.sample()
        if seen and all(len(seen.get(g, [])) >= evaluations for g in names):
            break
        time.sleep(2)
    intervals = {labels["rule_group"].split(";", 1)[-1]: v
                 for labels, v in prom.metric("prometheus_rule_group_interval_seconds")}
    rules = {k: statistics.median(v) for k, v in per_rule.items()}
    for name in sorted(slow):
        g = groups_by_name[name]
        for r in g.rules:
            d = r.to_dict()
            key = model_rule_key(name, d)
            prom.query(d["expr"], end=time.time())  # warm-up
            rules[key] = statistics.median(prom.query(d["expr"], end=time.time())[2] for _ in range(evaluations))
        row = f"{name} (not run in the wait: its queries run alone)"
        seen[row] = [sum(v for k, v in rules.items() if k.startswith(name + ": "))]
        intervals[row] = duration_seconds(g.interval)
    groups = {g: (statistics.median(v), intervals.get(g, interval)) for g, v in sorted(seen.items())}
    return groups, rules


# ---------------------------------------------------------------------------------------------------------
# Live: the rule groups on the head, as a production Prometheus runs them


class SyntheticTargets:
    """The same series as the history, served over HTTP, one target per installation (/metrics/<i>), each scrape
    the next sample. Scraped, they land in the head (in memory), where a production Prometheus's rules read
    their 5m windows, and the rules' results are appended there; the back-filled history instead serves rules
    from persisted blocks and discards their results as out of bounds (see run_one)."""

    def __init__(self, installations: list[list[Series]]) -> None:
        self.installations = installations
        self.t0 = time.time()
        self.server = serve_exposition(lambda path: self.exposition(int(path.rsplit("/", 1)[-1])))
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def exposition(self, i: int) -> bytes:
        k = int((time.time() - self.t0) // SCRAPE)
        lines = []
        for s in self.installations[i]:
            value = (repr(float(s.value)) if s.value else "0") if s.rate == 0 else _values(s, k, k + 1)[0]
            lines.append(f"{s.prefix} {value}\n")
        return "".join(lines).encode()

    def scrape_config(self) -> dict:
        """honor_labels: the exposed job, instance, pod and cluster labels are the series' own, as in the history;
        the target's own instance label keeps each target's up and scrape_* series apart."""
        return {"job_name": "synthetic", "honor_labels": True, "scrape_timeout": "20s", "static_configs": [
            {"targets": [self.address], "labels": {"__metrics_path__": f"/metrics/{i}", "instance": f"installation-{i}"}}
            for i in range(len(self.installations))]}

    def stop(self) -> None:
        self.server.shutdown()


@dataclasses.dataclass
class LiveOutcome:
    n: int
    series_raw: int
    recorded_series: int
    groups: dict  # group -> (median seconds, interval seconds)
    rules: dict  # rule -> median evaluationTime seconds
    load: tuple
    rss_bytes: float
    seconds: float
    alerts: int = -1  # pending or firing after the evaluations


def run_live(n: int, config: Config, work: Path, log, evaluations: int = 5) -> LiveOutcome:
    """Scrape N installations live for the rate window, then read the rule groups' evaluation times."""
    t = time.monotonic()
    model, rule_files = built_rules(config, work)
    installations = [list(installation_series(i, config)) for i in range(n)]
    targets = SyntheticTargets(installations)
    data = work / f"live-n{n}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    plain = {"global": {"scrape_interval": f"{SCRAPE}s", "evaluation_interval": config.evaluation_interval},
             "scrape_configs": [targets.scrape_config()]}
    prom = Prometheus(data, plain, work / f"live-n{n}.log", niceness=0)
    load = LoadSampler()
    try:
        # Rules go in once the rate window holds full data, so no evaluation reads a partial window.
        warm = duration_seconds(config.rate_window) + 2 * SCRAPE
        log(f"N={n} live: {sum(map(len, installations))} series in {n} targets, rules after {warm:.0f}s of scrapes")
        time.sleep(warm)
        prom.reload({**plain, "rule_files": rule_files})
        groups, rules = live_rule_durations(prom, config, model, evaluations, load)
        alerts = active_alerts(prom)
        rss = max(v for _, v in prom.metric("process_resident_memory_bytes"))
        # The results were appended: every record has its series (so no rule looked cheap on empty input).
        records = sorted({r.record for rf in model.rule_files for r in rf.records()})
        recorded = _scalar(prom, f'count({{__name__=~"{"|".join(records)}"}})', int(time.time()))
    finally:
        prom.stop()
        targets.stop()
        shutil.rmtree(data, ignore_errors=True)
    outcome = LiveOutcome(n, sum(map(len, installations)), recorded, groups, rules, load.summary(), rss,
                          time.monotonic() - t, alerts)
    log(f"N={n} live: done in {outcome.seconds:.0f}s")
    return outcome


def group_rows(outcomes: list) -> list[str]:
    """The rule-group table (one column per N) and its total: shared by the history and the --live report."""
    ns = [o.n for o in outcomes]
    lines = ["| rule group | interval | " + " | ".join(f"N={n} eval ms (% of interval)" for n in ns) + " |",
             "|---|---|" + "---|" * len(ns)]
    for group in outcomes[-1].groups:
        cells = []
        for o in outcomes:
            d, iv = o.groups.get(group, (float("nan"), float("nan")))
            cells.append(f"{ms(d)} ({100 * d / iv:.2f}%)")
        lines.append(f"| {group} | {outcomes[-1].groups[group][1]:.0f}s | " + " | ".join(cells) + " |")
    lines.append("| all groups (sum of eval / interval) | | " + " | ".join(
        f"{100 * sum(d / iv for d, iv in o.groups.values()):.2f}%" for o in outcomes) + " |")
    lines.append("| alerts pending or firing after them (a healthy fleet: 0) | | "
                 + " | ".join(str(o.alerts) for o in outcomes) + " |")
    return lines


def live_report(outcomes: list[LiveOutcome]) -> str:
    ns = [o.n for o in outcomes]
    lines = ["Rule groups evaluated on live scrapes (the head), median of the live evaluations; the SLO groups'"
             " windows up to 6h hold only the minutes scraped and those of a day or more have no hourly sample yet, so"
             " their share is a lower bound here (bench/slo_windows.py measures those windows on 30 days).", "",
             *group_rows(outcomes)]
    lines.append("| 1-min load average during those evaluations (min/median/max) | | " + " | ".join(
        "/".join(f"{x:.1f}" for x in o.load) for o in outcomes) + " |")
    lines.append("| raw series; recorded series (per installation); Prometheus RSS | | " + " | ".join(
        f"{o.series_raw}; {o.recorded_series} ({o.recorded_series / o.n:.0f}); {o.rss_bytes / 2**20:.0f} MiB"
        for o in outcomes) + " |")
    top = sorted(outcomes[-1].rules, key=outcomes[-1].rules.get, reverse=True)[:10]
    if top:
        lines += ["", f"Most expensive rules at N={outcomes[-1].n} (median evaluationTime):", "",
                  "| rule | " + " | ".join(f"N={n} ms" for n in ns) + " |", "|---|" + "---|" * len(ns)]
        lines += [f"| {key} | " + " | ".join(ms(o.rules[key]) if key in o.rules else "-" for o in outcomes) + " |"
                  for key in top]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
# Report


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}" if seconds >= 0.01 else f"{seconds * 1000:.1f}"


def report(outcomes: list[Outcome]) -> str:
    ns = [o.n for o in outcomes]
    step, rate_interval = grafana_step(24 * 3600)
    lines = ["Panels over the last 24 h (history: " + ", ".join(f"N={o.n} {o.hours:g} h" for o in outcomes)
             + f"), step {step}s, $__rate_interval {rate_interval}s (Grafana, full-width panel), "
             f"cluster = {cluster_name(0)} (the dashboards' default with multi_cluster: one cluster); "
             "ms p50/p95 of the panel's queries run one after another; raw = recording rules inlined; "
             "x = raw p95 / p95; engine x = the same for Prometheus' evaluation alone (stats evalTotalTime: "
             "without encoding, sending and parsing the answer, the same points either way).", ""]
    head = "| dashboard | panel | " + " | ".join(f"N={n} p50/p95 | raw p95 | x | engine x" for n in ns) + " |"
    lines += [head, "|" + "---|" * (2 + 4 * len(ns))]
    for idx, (pq, _, _) in enumerate(outcomes[0].panels):
        cells = []
        for o in outcomes:
            _, (p50, p95, _, engine), raw = o.panels[idx]
            if raw:
                cells += [f"{ms(p50)}/{ms(p95)}", ms(raw[1]), f"{raw[1] / p95:.1f}",
                          f"{raw[3] / engine:.1f}" if engine else "-"]
            else:
                cells += [f"{ms(p50)}/{ms(p95)}", "-", "-", "-"]
        lines.append(f"| {pq.dashboard} | {pq.title} | " + " | ".join(cells) + " |")
    lines += ["", *group_rows(outcomes)]
    lines.append("| 1-min load average during those evaluations (min/median/max) | | "
                 + " | ".join("/".join(f"{x:.1f}" for x in o.load.get("rule evaluation", ())) for o in outcomes)
                 + " |")
    top = sorted(outcomes[-1].rules, key=outcomes[-1].rules.get, reverse=True)[:15]
    if top:
        lines += ["", f"Most expensive rules at N={outcomes[-1].n}: median evaluationTime in /api/v1/rules, and "
                      "(alone) its query run by itself at now, median, through the HTTP API:", "",
                  "| rule | " + " | ".join(f"N={n} ms | alone" for n in ns) + " |", "|---|" + "---|---|" * len(ns)]
        for key in top:
            lines.append(f"| {key} | " + " | ".join(
                (ms(o.rules[key]) if key in o.rules else "-") + " | " + (ms(o.queries[key]) if key in o.queries else "-")
                for o in outcomes) + " |")
    lines += ["", "| N | raw series | samples | recorded series | recorded per installation | Prometheus RSS | "
              "history | rules backfill | settle | panels | rule evaluation | load during panels |", "|" + "---|" * 12]
    for o in outcomes:
        s = o.seconds
        lines.append(f"| {o.n} | {o.series_raw} | {o.samples} | {o.recorded_series} | {o.recorded_series / o.n:.1f} | "
                     f"{o.rss_bytes / 2**20:.0f} MiB | {s.get('history', 0):.0f}s | {s.get('rules backfill', 0):.0f}s | "
                     f"{s.get('settle', 0):.0f}s | {s.get('panels', 0):.0f}s | {s.get('rule evaluation', 0):.0f}s | "
                     + "/".join(f"{x:.1f}" for x in o.load.get("panels", ())) + " |")
    worst = [max(((p95, pq.title) for pq, (_, p95, _, _), _ in o.panels), default=(0.0, "")) for o in outcomes]
    lines += ["", "Slowest panel p95: " + ", ".join(f"N={o.n} {ms(w[0])} ms ({w[1]})" for o, w in
                                                    zip(outcomes, worst, strict=True))]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/scale.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--installations", default=os.environ.get("SCALE_N", "1,10,100"),
                        help="comma-separated N, each optionally N:HOURS of history (default 1,10,100; env SCALE_N)")
    parser.add_argument("--hours", type=float, default=float(os.environ.get("SCALE_HOURS", "24")))
    parser.add_argument("--repeats", type=int, default=int(os.environ.get("SCALE_REPEATS", "10")),
                        help="timed runs per panel (after one warm-up)")
    parser.add_argument("--quick", action="store_true", help="N=1 over 2 h, 3 repeats (about 7 minutes)")
    parser.add_argument("--lead-minutes", type=float, default=None,
                        help="how far past now the history ends (default: grows with N x hours) so the live rule "
                             "evaluation, after every other step, still sees fresh samples")
    parser.add_argument("--reuse-history", action="store_true",
                        help="use the raw blocks an earlier run left in --work (skips writing the history)")
    parser.add_argument("--backfill-jobs", type=int, default=2,
                        help="promtool create-blocks-from rules runs side by side, each on a time chunk (default 2)")
    parser.add_argument("--evaluations", type=int, default=5,
                        help="live rule evaluations per group; the median is reported (default 5)")
    parser.add_argument("--work", help="working directory (default: a temporary one, removed; given, the raw "
                                       "blocks stay in it for --reuse-history)")
    parser.add_argument("--json", help="also write the results as JSON to this file")
    parser.add_argument("--live", action="store_true",
                        help="only the rule groups, on live scrapes of each N (the head, as in production; no "
                             "history, no panels): about rate window + evaluations + 3 minutes per N")
    args = parser.parse_args(argv)
    if args.quick:
        args.installations, args.hours, args.repeats = "1", 2.0, 3
    if not (tool("prometheus") and tool("promtool")):
        print("bench/scale.py: prometheus/promtool not found: run `make tools`", file=sys.stderr)
        return 2
    runs = [(int(x.split(":")[0]), float(x.split(":")[1]) if ":" in x else args.hours)
            for x in args.installations.split(",") if x]
    config = Config(multi_cluster=True)
    work = Path(args.work or tempfile.mkdtemp(prefix="gitea-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    def log(msg: str) -> None:
        print(f"[{time.monotonic() - started:6.0f}s] {msg}", file=sys.stderr, flush=True)

    if args.live:
        try:
            live = [run_live(n, config, work, log, args.evaluations) for n, _ in runs]
        finally:
            if not args.work:
                shutil.rmtree(work, ignore_errors=True)
        print(live_report(live))
        print(f"\nbench/scale.py --live --installations {args.installations}: {time.monotonic() - started:.0f}s wall; "
              f"1-min load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        return 0
    outcomes = []
    try:
        for n, hours in runs:
            # The lead covers the steps between writing the history and the live rule evaluation.
            lead = int(args.lead_minutes * 60) if args.lead_minutes is not None else int(1200 + 60 * n * hours / 24)
            outcomes.append(run_one(n, hours, args.repeats, config, work, lead, log, reuse=args.reuse_history,
                                   backfill_jobs=args.backfill_jobs, evaluations=args.evaluations))
            log("so far:\n" + report(outcomes))  # partial results survive an interrupted long run
            if args.json:
                Path(args.json).write_text(json.dumps([dataclasses.asdict(o) for o in outcomes], default=str))
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(report(outcomes))
    version = subprocess.run([tool("prometheus"), "--version"], capture_output=True, text=True, check=False)
    print(f"\n{(version.stdout or version.stderr).splitlines()[0]} ({tool('prometheus')}); "
          f"1-min load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"\nbench/scale.py --installations {args.installations} --hours {args.hours:g} --repeats {args.repeats}: "
          f"{time.monotonic() - started:.0f}s wall")
    if args.json:
        Path(args.json).write_text(json.dumps([dataclasses.asdict(o) for o in outcomes], default=str, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
