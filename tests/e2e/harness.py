"""End-to-end harness: simulators -> exporter -> real Prometheus -> real Alertmanager -> webhook receiver.

Detection bound per alert: scrape interval + evaluation interval + `for`, plus the exporter's probe
interval and timeout for alerts on probe results, plus one rate window for alerts on a windowed ratio or
quantile (the window must fill with enough bad samples to cross the threshold). "at" in the receiver
column adds Alertmanager's group_wait and the webhook delivery.

Everything listens on 127.0.0.1 on free ports and is torn down by `Environment.close()`. The rules and
the Alertmanager configuration are the project's own, built with tests/e2e/e2e-config.yaml (short
windows and `for`s) with the receivers pointed at the local webhook receiver.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from gitea_provider_monitoring.check.promtool import Toolset
from gitea_provider_monitoring.model import catalog
from gitea_provider_monitoring.model.config import Config, duration_seconds, load_config
from gitea_provider_monitoring.model.dashboard import substitute_variables
from gitea_provider_monitoring.model.promql import metric_names
from gitea_provider_monitoring.render.alertmanager import RECEIVERS
from gitea_provider_monitoring.render.compiler import Model, build, load_model
from tests.sim.gitea import PROBE_PATHS, GiteaSimulator
from tests.sim.openapi import spec_file
from tests.sim.processes import (
    AlertmanagerProcess,
    ExporterProcess,
    PrometheusProcess,
    ServerProcess,
    alert_states,
    free_port,
    stop_all,
    tool_path,
)
from tests.sim.provider import ProviderSimulator

E2E_CONFIG = Path(__file__).resolve().parent / "e2e-config.yaml"
TOKEN = "e2e-token"
INHIBITED = "(inhibited)"


class ProviderCalls:
    """The provider's Gitea calls, made through the exporter's proxy a few times a second: observe, create,
    update, delete of repositories, webhooks and users, as reconciles would."""

    CALLS = (
        ("GET", "/api/v1/repos/platform/site", None),
        ("POST", "/api/v1/orgs/platform/repos", {"name": "site"}),
        ("PATCH", "/api/v1/repos/platform/site/hooks/9", {"active": True}),
        ("DELETE", "/api/v1/admin/users/alice", None),
    )
    WRITE_PATHS = ("/api/v1/orgs/platform/repos", "/api/v1/repos/platform/site/hooks/9", "/api/v1/admin/users/alice")

    def __init__(self, proxy_url: str, token: str, period: float = 0.25) -> None:
        self.proxy_url, self.period = proxy_url, period
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"
        self._stop = threading.Event()
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            for method, path, body in self.CALLS:
                try:
                    self.session.request(method, self.proxy_url + path, json=body, timeout=10)
                except requests.RequestException:
                    pass  # the proxy is down in the exporter-down scenario: the provider would requeue

    def stop(self) -> None:
        self._stop.set()


class Receiver:
    """A webhook receiver that records every notified alert: (arrival time, receiver, status, alertname), plus
    the alert's cluster when `cluster_label` is given (the multi-cluster run)."""

    def __init__(self, cluster_label: str | None = None) -> None:
        self.events: list[tuple] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                now = time.monotonic()
                with receiver._lock:
                    for a in body.get("alerts", []):
                        labels = a.get("labels", {})
                        cluster = (labels.get(cluster_label, ""),) if cluster_label else ()
                        receiver.events.append((now, body.get("receiver", ""), a.get("status", ""),
                                                labels.get("alertname", ""), *cluster))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def since(self, t0: float) -> list[tuple]:
        with self._lock:
            return [e for e in self.events if e[0] >= t0]


class Environment:
    """All components of one end-to-end run."""

    def __init__(self, replicas: int = 3, prometheus: Toolset | None = None,
                 alertmanager: Toolset | None = None) -> None:
        """`prometheus`/`alertmanager`: the versions to run (default: .tools/bin, Debian's, then PATH)."""
        self.prometheus_bin = (prometheus and prometheus.server) or tool_path("prometheus")
        self.alertmanager_bin = (alertmanager and alertmanager.server) or tool_path("alertmanager")
        self.tmp = Path(tempfile.mkdtemp(prefix="gitea-e2e-"))
        self.receiver = Receiver()
        base = load_config(E2E_CONFIG)
        self.config = dataclasses.replace(base, alertmanager=dataclasses.replace(
            base.alertmanager, page_url=f"{self.receiver.url}/page", chat_url=f"{self.receiver.url}/chat",
            ticket_url=f"{self.receiver.url}/ticket"))
        self.build_dir = self.tmp / "build"
        build(self.config, self.build_dir)
        self.model = load_model(self.config)
        self.gitea = GiteaSimulator(spec_file("gitea-swagger.json"), TOKEN)  # validates when the specs are present
        self.provider = ProviderSimulator(replicas=replicas, controllers=self.config.provider.controllers,
                                          namespace=self.config.provider.namespace,
                                          container=self.config.provider.container,
                                          leader_election=self.config.provider.leader_election)
        self.exporter_port, self.proxy_port = free_port(), free_port()
        self.exporter: ExporterProcess | None = None
        self.start_exporter()
        self.calls = ProviderCalls(f"http://127.0.0.1:{self.proxy_port}", TOKEN) \
            if self.config.exporter.mode != "probe" else None
        self.servers: list[ServerProcess] = []
        self.am_url = self._start_alertmanager()
        self.prom_url = self._start_prometheus()

    # -- components --------------------------------------------------------------------------------
    def start_exporter(self) -> None:
        e = self.config.exporter
        self.exporter = ExporterProcess(self.gitea.url, self.tmp / "exporter.log", "--interval", e.interval,
                                        "--timeout", e.timeout, "--mode", e.mode, "--proxy-listen-address",
                                        f"127.0.0.1:{self.proxy_port}", "--proxy-timeout", "5s",
                                        env={"GITEA_TOKEN": TOKEN}, port=self.exporter_port)

    def stop_exporter(self) -> None:
        if self.exporter:
            self.exporter.stop()
            self.exporter = None

    def _start_alertmanager(self) -> str:
        """The build's Alertmanager config, as generated; its URL."""
        am = AlertmanagerProcess(self.alertmanager_bin, self.build_dir / "alertmanager" / "alertmanager.yml",
                                 self.tmp / "am-data", self.tmp / "alertmanager.log")
        self.servers.append(am)
        return am.url

    def _start_prometheus(self) -> str:
        c, ns = self.config, self.config.provider.namespace
        common = {"namespace": ns, c.cluster_label: "e2e"}
        scrape = {
            "global": {"scrape_interval": c.scrape_interval, "evaluation_interval": c.evaluation_interval,
                       "scrape_timeout": "900ms"},
            "rule_files": [str(p) for p in sorted((self.build_dir / "prometheus" / "rules").glob("*.yaml"))],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [self.am_url.removeprefix("http://")]}]}]},
            "scrape_configs": [
                {"job_name": c.provider.job, "static_configs": [
                    {"targets": [target], "labels": {**common, "pod": pod}} for target, pod in self.provider.targets]},
                {"job_name": c.exporter.job, "static_configs": [
                    {"targets": [f"127.0.0.1:{self.exporter_port}"],
                     "labels": {**common, "pod": self.provider.targets[0][1]}}]},
                {"job_name": "kube-state-metrics", "honor_labels": True, "static_configs": [
                    {"targets": [self.provider.cluster_target], "labels": {c.cluster_label: "e2e"}}]},
            ],
        }
        prom = PrometheusProcess(self.prometheus_bin, scrape, self.tmp / "prometheus.yml", self.tmp / "tsdb",
                                 self.tmp / "prometheus.log", "--rules.alert.resend-delay=1s")
        self.servers.append(prom)
        return prom.url

    def close(self) -> None:
        if self.calls:
            self.calls.stop()
        self.stop_exporter()
        stop_all(self.servers)
        self.provider.close()
        self.gitea.stop()
        self.receiver.server.shutdown()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- queries -----------------------------------------------------------------------------------
    def query(self, expr: str) -> list[dict]:
        r = requests.get(self.prom_url + "/api/v1/query", params={"query": expr}, timeout=10)
        r.raise_for_status()
        return r.json()["data"]["result"]

    def alerts(self) -> dict[str, str]:
        """alertname -> state (pending or firing) of the alerts Prometheus holds now."""
        return alert_states(self.prom_url)

    def severity(self, name: str) -> str:
        return next(a.severity for rf in self.model.rule_files for a in rf.alerts() if a.alert == name)


def rule_for(model: Model, name: str) -> float:
    """Seconds of the alert's `for` (0 without one)."""
    rule = next(a for rf in model.rule_files for a in rf.alerts() if a.alert == name)
    return duration_seconds(rule.for_) if rule.for_ and rule.for_ != "0m" else 0.0


def alert_window(model: Model, config: Config, name: str) -> float:
    """Seconds of the window the alert's ratio or quantile is computed over (the rate window, or the reconcile
    failure window), read directly or through a recording rule; 0 when it reads none. The windowed value needs
    up to one window to cross the threshold."""
    records = {r.record: r.expr for rf in model.rule_files for r in rf.records()}
    rule = next(a for rf in model.rule_files for a in rf.alerts() if a.alert == name)
    windows = (config.rate_window, config.thresholds.reconcile_failure_window)

    def reads(window: str, expr: str, depth: int = 0) -> bool:  # through records of records (bucket rates)
        return f"[{window}]" in expr or depth < 3 and any(reads(window, e, depth + 1) for rec, e in records.items()
                                                           if rec in expr)
    return max([duration_seconds(w) for w in windows if reads(w, rule.expr)], default=0.0)


def reads_record(model: Model, name: str) -> bool:
    """Whether the alert reads a recording rule: that rule is evaluated in its own group, at its own offset, so one
    more evaluation interval can pass between the scrape and the alert seeing it (measured on the real stack:
    GiteaProviderReplicaDown, docs/real-stack.md)."""
    rule = next(a for rf in model.rule_files for a in rf.alerts() if a.alert == name)
    return any(r.record in rule.expr for rf in model.rule_files for r in rf.records())


def detection_bound(model: Model, config: Config, name: str, *, probe: float = 0.0, lead: float = 0.0) -> float:
    """Seconds within which `name` fires once its fault starts: a scrape, an evaluation (two when it reads a recording
    rule), its `for`, the window it reads, a probe round for alerts on probe results, and the fault's own lead."""
    evaluation = duration_seconds(config.evaluation_interval)
    return (duration_seconds(config.scrape_interval) + evaluation * (2 if reads_record(model, name) else 1)
            + rule_for(model, name) + alert_window(model, config, name) + probe + lead)


# -- scenarios -----------------------------------------------------------------------------------------
@dataclass
class Scenario:
    name: str
    inject: Callable[[Environment], None]
    recover: Callable[[Environment], None]
    expected: dict[str, str]  # alertname -> receiver that must get it, or INHIBITED (fires, never notified)
    exporter_based: bool = False  # detection also waits for a probe round
    measure_probe_rate: bool = False  # report the prober's request rate before and during the fault


def _gitea_fault(fault: str, *paths: str) -> Callable[[Environment], None]:
    return lambda env: env.gitea.set_fault(fault, *paths)


def _latency(seconds: float) -> Callable[[Environment], None]:
    def apply(env: Environment) -> None:
        env.gitea.latency = seconds
    return apply


def _throttle(share: float, retry_after: str | None) -> Callable[[Environment], None]:
    """Gitea's ingress answers 429 to `share` of all requests (probes and the provider's calls)."""
    def apply(env: Environment) -> None:
        env.gitea.throttle_share, env.gitea.retry_after = share, retry_after
        env.gitea.set_fault("rate_limited")
    return apply


def probe_rate(env: Environment, since: float, until: float) -> float:
    """Probe requests per second that reached Gitea (or its ingress) between two perf_counter times."""
    times = env.gitea.request_times(*PROBE_PATHS)
    return sum(since <= t < until for t in times) / max(until - since, 1e-9)


def _mode(mode: str) -> Callable[[Environment], None]:
    return lambda env: env.provider.set_mode(mode)


def _stop_replicas(*indexes: int) -> Callable[[Environment], None]:
    def apply(env: Environment) -> None:
        for i in indexes:
            env.provider.stop(i)
    return apply


def _start_replicas(*indexes: int) -> Callable[[Environment], None]:
    def apply(env: Environment) -> None:
        for i in indexes:
            env.provider.start(i)
    return apply


PAGE, CHAT, TICKET = RECEIVERS["critical"], RECEIVERS["warning"], RECEIVERS["info"]

SCENARIOS = [
    Scenario("gitea down", lambda env: env.gitea.stop(), lambda env: env.gitea.start(),
             {"GiteaAPIDown": PAGE, "GiteaAPIErrorRatioHigh": INHIBITED, "GiteaAPIWriteErrorsHigh": INHIBITED},
             exporter_based=True),
    Scenario("gitea slow (1s answers)", _latency(1.0), _latency(0.0),
             {"GiteaAPILatencyHigh": CHAT, "GiteaAPIWriteLatencyHigh": CHAT}, exporter_based=True),
    Scenario("gitea fails the provider's writes (500)", _gitea_fault("http_500", *ProviderCalls.WRITE_PATHS),
             _gitea_fault("none"), {"GiteaAPIWriteErrorsHigh": CHAT}),
    Scenario("token revoked (401)", _gitea_fault("http_401", "/api/v1/user", "/api/v1/repos/search"),
             # A refused token is an answer, not a Gitea failure: no error ratio, no availability burn (the real
             # stack showed both; exporters/gitea_api/probes.py about_token).
             _gitea_fault("none"), {"GiteaAPITokenRejected": PAGE}, exporter_based=True),
    Scenario("provider: 1 of 3 replicas down", _stop_replicas(1), _start_replicas(1), {"GiteaProviderReplicaDown": CHAT}),
    Scenario("provider: all replicas down", _stop_replicas(0, 1, 2), _start_replicas(0, 1, 2),
             {"GiteaProviderDown": PAGE, "GiteaProviderReplicaDown": INHIBITED}),
    Scenario("reconcile requeue storm", _mode("requeue"), _mode("healthy"), {"GiteaProviderReconcileFailureRatioHigh": CHAT}),
    Scenario("reconcile error storm", _mode("error_storm"), _mode("healthy"),
             {"GiteaProviderReconcileFailureRatioHigh": CHAT}),
    Scenario("reconcile panics", _mode("panic"), _mode("healthy"), {"GiteaProviderReconcilePanics": CHAT}),
    Scenario("work queue backlog", _mode("backlog"), _mode("healthy"),
             {"GiteaProviderWorkQueueDepthHigh": CHAT, "GiteaProviderWorkQueueWaitHigh": CHAT,
              "GiteaProviderWorkersSaturated": CHAT}),
    Scenario("exporter down", lambda env: env.stop_exporter(), lambda env: env.start_exporter(),
             {"GiteaAPIExporterDown": CHAT}),
    Scenario("gitea throttles half the requests (429, Retry-After 5)", _throttle(0.5, "5"), _gitea_fault("none"),
             {"GiteaAPIRateLimited": CHAT}, exporter_based=True, measure_probe_rate=True),
]


@dataclass
class Result:
    scenario: str
    expected: dict[str, str]
    fired: dict[str, float] = field(default_factory=dict)  # alertname -> seconds to firing in Prometheus
    notified: dict[str, tuple[str, float]] = field(default_factory=dict)  # alertname -> (receiver, seconds)
    bounds: dict[str, float] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    resolved: bool = False
    resolve_seconds: float = 0.0
    probe_rates: tuple[float, float] | None = None  # probe requests/s reaching Gitea: before, during the fault
    problems: list[str] = field(default_factory=list)
    cluster: str = "e2e"  # the cluster label of the alerts (multi-cluster scenarios: the faulted cluster)

    @property
    def ok(self) -> bool:
        return not self.problems


def warm_up(env: Environment, timeout: float = 60) -> None:
    """Wait until every target is up and rate windows hold enough samples for every panel and rule."""
    c = env.config
    window = duration_seconds(c.rate_window)
    checks = [f'count(up{{job="{c.provider.job}"}} == 1) == {len(env.provider.replicas)}',
              "gitea_api_up == 1",
              f"count(rate(controller_runtime_reconcile_total[{c.rate_window}]) > 0) > 0",
              f"count(rate(gitea_api_probes_total[{c.rate_window}]) > 0) > 0"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(env.query(q) for q in checks):
            time.sleep(window)  # one full window of data
            return
        time.sleep(0.5)
    raise TimeoutError("the e2e environment did not warm up: " + ", ".join(q for q in checks if not env.query(q)))


def firing(env: Environment) -> list[str]:
    return sorted(n for n, state in env.alerts().items() if state == "firing")


def wait_quiet(env: Environment, timeout: float = 90) -> list[str]:
    """Wait until no alert fires; returns what still fires on timeout."""
    deadline = time.monotonic() + timeout
    active: list[str] = []
    while time.monotonic() < deadline:
        active = firing(env)
        if not active:
            return []
        time.sleep(0.5)
    return active


def run(env: Environment, sc: Scenario, settle: float = 4.0) -> Result:
    res = Result(sc.name, sc.expected)
    leftover = wait_quiet(env)
    if leftover:
        res.problems.append(f"not quiet before the scenario: {', '.join(leftover)}")
    c = env.config
    probe = duration_seconds(c.exporter.interval) + duration_seconds(c.exporter.timeout) if sc.exporter_based else 0
    for name in sc.expected:
        res.bounds[name] = detection_bound(env.model, c, name, probe=probe)
    timeout = max(res.bounds.values()) + 45
    t0 = time.monotonic()
    p0 = time.perf_counter()
    sc.inject(env)
    done_at: float | None = None
    while time.monotonic() - t0 < timeout:
        now = time.monotonic()
        for name, state in env.alerts().items():
            if state == "firing" and name not in res.fired:
                res.fired[name] = now - t0
        for at, receiver, status, name in env.receiver.since(t0):
            if status == "firing" and name not in res.notified:
                res.notified[name] = (receiver, at - t0)
        complete = all(n in res.fired for n in sc.expected) and all(
            n in res.notified for n, r in sc.expected.items() if r != INHIBITED)
        if complete and done_at is None:
            done_at = now
        if done_at is not None and now - done_at >= settle:  # a few more seconds to catch extra alerts
            break
        time.sleep(0.25)
    for name, receiver in sc.expected.items():
        if name not in res.fired:
            res.problems.append(f"{name} did not fire within {timeout:.0f}s")
        elif receiver == INHIBITED:
            if name in res.notified:
                res.problems.append(f"{name} should be inhibited but reached {res.notified[name][0]}")
        elif res.notified.get(name, ("",))[0] != receiver:
            res.problems.append(f"{name} reached {res.notified.get(name, ('nobody',))[0]}, expected {receiver}")
    if sc.measure_probe_rate:
        # Before: the last rounds before the fault (a longer window could reach back into an earlier scenario that
        # stopped the exporter). During: the fault's window after its first second (the round that met the 429).
        p1 = time.perf_counter()
        before = 3 * duration_seconds(c.exporter.interval)
        res.probe_rates = (probe_rate(env, p0 - before, p0), probe_rate(env, p0 + 1.0, p1))
        if not res.probe_rates[1] < res.probe_rates[0] / 2:
            res.problems.append(f"the prober did not back off: {res.probe_rates[0]:.2f} -> {res.probe_rates[1]:.2f} "
                                "probe requests/s")
    res.unexpected = sorted(set(res.fired) - set(sc.expected))
    if res.unexpected:
        res.problems.append("unexpected alerts fired: " + ", ".join(res.unexpected))
    t1 = time.monotonic()
    sc.recover(env)
    resolved_names = {n for n, r in sc.expected.items() if r != INHIBITED}
    while time.monotonic() - t1 < 120:
        got = {name for _, _, status, name in env.receiver.since(t1) if status == "resolved"}
        if not firing(env) and resolved_names <= got:
            res.resolved, res.resolve_seconds = True, time.monotonic() - t1
            break
        time.sleep(0.5)
    if not res.resolved:
        res.problems.append(f"not resolved within 120s after recovery (still firing: {', '.join(firing(env))})")
    return res


def table(results: list[Result]) -> str:
    lines = ["| scenario | cluster | expected alerts | fired (Prometheus) | receiver | detection vs bound | resolved | ok |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        names = sorted(r.expected)
        fired = ", ".join(f"{n} {r.fired[n]:.1f}s" for n in names if n in r.fired) or "none"
        if r.unexpected:
            fired += "; unexpected: " + ", ".join(r.unexpected)
        receivers = ", ".join(f"{n}: " + (f"{r.notified[n][0]} at {r.notified[n][1]:.1f}s" if n in r.notified else "none")
                              + (" (inhibited, as expected)" if r.expected[n] == INHIBITED and n not in r.notified
                                 else "") for n in names)
        detection = ", ".join(f"{r.fired[n]:.1f}s / {r.bounds[n]:.1f}s" for n in names if n in r.fired)
        resolved = f"yes, {r.resolve_seconds:.0f}s" if r.resolved else "NO"
        if r.probe_rates:
            detection += f"; probes {r.probe_rates[0]:.2f}/s -> {r.probe_rates[1]:.2f}/s while throttled"
        ok = "yes" if r.ok else "NO: " + "; ".join(r.problems)
        lines.append(f"| {r.scenario} | {r.cluster} | {', '.join(names)} | {fired} | {receivers} | {detection} "
                     f"| {resolved} | {ok} |")
    return "\n".join(lines)


# -- dashboards against real data ------------------------------------------------------------------
# Grafana's $__rate_interval is at least 4 scrape intervals; the others as a 1h dashboard would use them.
PANEL_RANGES = {"__rate_interval": "20s", "__interval": "5s", "__range": "1h"}


def _substitute(expr: str, config: Config, cluster: str = ".*") -> str:
    """Panel variables as a user would set them: the provider's namespace, the given cluster (default
    "All"), every other variable "All"."""
    def value(name: str) -> str:
        return config.provider.namespace if name == "namespace" else cluster if name == "cluster" else ".*"
    return substitute_variables(expr, value=value, ranges=PANEL_RANGES)


def _panels(dashboard: dict) -> list[dict]:
    out = []
    for panel in dashboard.get("panels", []):
        out.append(panel)
        out += panel.get("panels", [])
    return out


def panel_report(env: Environment, cluster: str = ".*") -> tuple[list[str], list[str], list[str]]:
    """Panels without data in the healthy state: (unexpected, optional metrics only, empty by design), with
    the dashboards' cluster variable at `cluster` (default "All").

    "Empty by design" are panels that list firing alerts, or tables that list problems (failing resources),
    and say so with their noValue text (e.g. "no alert firing", "none failing") instead of Grafana's "No data"."""
    records = {r.record: r for rf in env.model.rule_files for r in rf.records()}

    def optional(name: str) -> bool:
        if name in records:
            return all(optional(m) for m in metric_names(records[name].expr))
        m = catalog.lookup(name)
        return bool(m and m.optional)

    empty, allowed, by_design = [], [], []
    for dash_name, dashboard in sorted(env.model.dashboards.items()):
        for panel in _panels(dashboard):
            exprs = [t["expr"] for t in panel.get("targets", []) if t.get("expr")]
            if not exprs or any(env.query(_substitute(e, env.config, cluster)) for e in exprs):
                continue
            names = {n for e in exprs for n in metric_names(_substitute(e, env.config, cluster))}
            label = f"{dash_name}: {panel.get('title')}"
            no_value = panel.get("fieldConfig", {}).get("defaults", {}).get("noValue")
            if names and all(optional(n) for n in names):
                allowed.append(label)
            elif no_value and (names == {"ALERTS"} or panel.get("type") == "table"):
                by_design.append(f'{label} (shows "{no_value}")')
            else:
                empty.append(label)
    return empty, allowed, by_design
