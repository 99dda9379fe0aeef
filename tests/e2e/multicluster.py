"""Multi-cluster end-to-end: three clusters remote-write into one central Prometheus that runs our rules.

Each cluster has its own provider simulator (3 replicas), Gitea simulator and exporter (probes and proxy),
scraped by a Prometheus in agent mode (`--enable-feature=agent`) that adds `cluster=<name>` as an external
label and remote-writes to the central Prometheus (`--web.enable-remote-write-receiver`). The central
Prometheus evaluates the rules built with `multi_cluster: true` and sends alerts to one Alertmanager
(our generated config: grouped by cluster, and `inhibit_rules[].equal` must include the cluster label).

A scenario injects the single-cluster scenarios' faults (tests/e2e/harness.py SCENARIOS) into chosen
clusters; each expected alert must fire with that cluster's label and reach its receiver, warnings under a
critical of the same cluster are inhibited, and nothing fires in the other clusters. The detection bound
adds the agent's remote-write batch deadline to the single-cluster bound.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml

from gitea_provider_monitoring.model.config import duration_seconds, load_config
from gitea_provider_monitoring.render.compiler import build, load_model
from tests.e2e.harness import (
    E2E_CONFIG,
    INHIBITED,
    SCENARIOS,
    TOKEN,
    Environment,
    ProviderCalls,
    Receiver,
    Result,
    Scenario,
    _panels,
    _substitute,
    detection_bound,
    panel_report,
)
from tests.sim.gitea import GiteaSimulator
from tests.sim.openapi import spec_file
from tests.sim.processes import ExporterProcess, PrometheusProcess, ServerProcess, free_port, stop_all, tool_path
from tests.sim.provider import ProviderSimulator

CLUSTERS = ("alpha", "beta", "gamma")
REMOTE_WRITE_DEADLINE = 0.5  # seconds: the agents' batch_send_deadline


class Cluster:
    """One cluster's workloads and its agent; has what a Scenario's inject/recover use (gitea, provider,
    stop_exporter, start_exporter), so the single-cluster faults apply unchanged."""

    def __init__(self, name: str, env: MultiClusterEnvironment) -> None:
        self.name, self.env, self.config = name, env, env.config
        self.tmp = env.tmp / name  # this cluster's logs
        self.tmp.mkdir()
        self.gitea = GiteaSimulator(spec_file("gitea-swagger.json"), TOKEN)  # validates when the specs are present
        p = self.config.provider
        self.provider = ProviderSimulator(replicas=3, controllers=p.controllers, namespace=p.namespace,
                                          container=p.container, leader_election=p.leader_election)
        self.exporter_port, self.proxy_port = free_port(), free_port()
        self.exporter: ExporterProcess | None = None
        self.start_exporter()
        self.calls = ProviderCalls(f"http://127.0.0.1:{self.proxy_port}", TOKEN, period=0.5)
        self.agent_url = self._start_agent()

    start_exporter = Environment.start_exporter
    stop_exporter = Environment.stop_exporter

    def _start_agent(self) -> str:
        """Prometheus in agent mode: scrapes this cluster, labels it, remote-writes to the central one."""
        c = self.config
        ns = {"namespace": c.provider.namespace}
        pod0 = self.provider.targets[0][1]
        agent = {
            "global": {"scrape_interval": c.scrape_interval, "scrape_timeout": "900ms",
                       "external_labels": {c.cluster_label: self.name}},
            "scrape_configs": [
                {"job_name": c.provider.job, "static_configs": [
                    {"targets": [target], "labels": {**ns, "pod": pod}} for target, pod in self.provider.targets]},
                {"job_name": c.exporter.job, "static_configs": [
                    {"targets": [f"127.0.0.1:{self.exporter_port}"], "labels": {**ns, "pod": pod0}}]},
                {"job_name": "kube-state-metrics", "honor_labels": True, "static_configs": [
                    {"targets": [self.provider.cluster_target]}]},
            ],
            "remote_write": [{"url": f"{self.env.prom_url}/api/v1/write", "queue_config": {
                "batch_send_deadline": f"{int(REMOTE_WRITE_DEADLINE * 1000)}ms", "min_backoff": "100ms",
                "max_backoff": "1s"}}],
        }
        tmp = self.env.tmp
        prom = PrometheusProcess(self.env.prometheus_bin, agent, tmp / f"agent-{self.name}.yml", tmp / f"agent-{self.name}",
                                 tmp / f"agent-{self.name}.log", agent=True)
        self.env.servers.append(prom)
        return prom.url

    def close(self) -> None:
        self.calls.stop()
        self.stop_exporter()
        self.provider.close()
        self.gitea.stop()


class MultiClusterEnvironment:
    """Central Prometheus + Alertmanager, and one `Cluster` per name."""

    def __init__(self, clusters: tuple[str, ...] = CLUSTERS) -> None:
        # The default tools (.tools/bin, Debian's): agent mode and the remote-write receiver exist since 2.32.
        self.prometheus_bin, self.alertmanager_bin = tool_path("prometheus"), tool_path("alertmanager")
        self.tmp = Path(tempfile.mkdtemp(prefix="gitea-e2e-mc-"))
        base = load_config(E2E_CONFIG)
        self.receiver = Receiver(base.cluster_label)
        # No multi-cluster scenario slows Gitea (the single-cluster "gitea slow" proves the latency alerts).
        # Probes that time out (1.5 s) while Gitea is down or reconnecting land in the 1-2.5 s bucket; with
        # three clusters' processes on a shared 2-core machine the e2e config's 0.5 s is crossed on CPU
        # starvation alone. 3 s is above what timeouts can interpolate to.
        thresholds = dataclasses.replace(base.thresholds, gitea_latency_seconds=3.0, proxy_latency_seconds=3.0)
        self.config = dataclasses.replace(base, multi_cluster=True, thresholds=thresholds, alertmanager=dataclasses.replace(
            base.alertmanager, page_url=f"{self.receiver.url}/page", chat_url=f"{self.receiver.url}/chat",
            ticket_url=f"{self.receiver.url}/ticket"))
        self.build_dir = self.tmp / "build"
        build(self.config, self.build_dir)
        self.model = load_model(self.config)
        self.servers: list[ServerProcess] = []
        self.clusters: dict[str, Cluster] = {}
        try:
            self.am_url = self._start_alertmanager()
            self.prom_url = self._start_central()
            for name in clusters:
                self.clusters[name] = Cluster(name, self)
        except BaseException:
            self.close()
            raise

    _start_alertmanager = Environment._start_alertmanager

    def inhibit_equal(self) -> list[list[str]]:
        """`equal` of every inhibition rule of the generated Alertmanager config."""
        am = yaml.safe_load((self.build_dir / "alertmanager" / "alertmanager.yml").read_text())
        return [rule.get("equal", []) for rule in am.get("inhibit_rules", [])]

    def _start_central(self) -> str:
        """The global Prometheus: no scrapes, only remote-written series, our rules and the Alertmanager."""
        central = {
            "global": {"evaluation_interval": self.config.evaluation_interval},
            "rule_files": [str(p) for p in sorted((self.build_dir / "prometheus" / "rules").glob("*.yaml"))],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [self.am_url.removeprefix("http://")]}]}]},
        }
        prom = PrometheusProcess(self.prometheus_bin, central, self.tmp / "central.yml", self.tmp / "tsdb",
                                 self.tmp / "central.log", "--web.enable-remote-write-receiver",
                                 "--rules.alert.resend-delay=1s")
        self.servers.append(prom)
        return prom.url

    def close(self) -> None:
        for cluster in self.clusters.values():
            cluster.close()
        stop_all(self.servers)
        self.receiver.server.shutdown()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- queries (the names panel_report and the bounds use) --------------------------------------------
    query = Environment.query

    def alerts(self) -> dict[tuple[str, str], str]:
        """(cluster, alertname) -> pending or firing, for the alerts the central Prometheus holds now."""
        r = requests.get(self.prom_url + "/api/v1/alerts", timeout=10)
        out: dict[tuple[str, str], str] = {}
        for a in r.json()["data"]["alerts"]:
            key = (a["labels"].get(self.config.cluster_label, ""), a["labels"]["alertname"])
            if out.get(key) != "firing":
                out[key] = a["state"]
        return out

    def firing(self) -> list[tuple[str, str]]:
        return sorted(k for k, state in self.alerts().items() if state == "firing")


# -- scenarios -------------------------------------------------------------------------------------------
@dataclass
class MultiScenario:
    """Single-cluster scenarios (by name in SCENARIOS) injected into the given clusters at once."""

    name: str
    faults: tuple[tuple[str, str], ...]  # (cluster, single-cluster scenario name)

    def parts(self) -> list[tuple[str, Scenario]]:
        by_name = {s.name: s for s in SCENARIOS}
        return [(cluster, by_name[scenario]) for cluster, scenario in self.faults]

    def expected(self) -> dict[tuple[str, str], str]:
        return {(cluster, alert): receiver for cluster, sc in self.parts() for alert, receiver in sc.expected.items()}


MULTI_SCENARIOS = [
    MultiScenario("gitea down in one cluster", (("beta", "gitea down"),)),
    # A critical in beta must not inhibit alpha's warning: inhibit_rules[].equal holds the cluster label.
    MultiScenario("gitea down in one cluster, writes failing in another",
                  (("beta", "gitea down"), ("alpha", "gitea fails the provider's writes (500)"))),
    MultiScenario("provider down in one cluster", (("gamma", "provider: all replicas down"),)),
    MultiScenario("reconcile requeue storm in one cluster", (("alpha", "reconcile requeue storm"),)),
]


def warm_up(env: MultiClusterEnvironment, timeout: float = 90) -> None:
    """Every cluster's targets are up in the central Prometheus and its rate windows hold data."""
    c = env.config
    cl = c.cluster_label
    checks = []
    for name, cluster in env.clusters.items():
        checks += [f'count(up{{job="{c.provider.job}", {cl}="{name}"}} == 1) == {len(cluster.provider.replicas)}',
                   f'gitea_api_up{{{cl}="{name}"}} == 1',
                   f'count(rate(controller_runtime_reconcile_total{{{cl}="{name}"}}[{c.rate_window}]) > 0) > 0',
                   f'count(rate(gitea_api_probes_total{{{cl}="{name}"}}[{c.rate_window}]) > 0) > 0']
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(env.query(q) for q in checks):
            time.sleep(duration_seconds(c.rate_window))
            return
        time.sleep(0.5)
    raise TimeoutError("the multi-cluster environment did not warm up: "
                       + ", ".join(q for q in checks if not env.query(q)))


def wait_quiet(env: MultiClusterEnvironment, timeout: float = 90) -> list[tuple[str, str]]:
    """Wait until no alert is pending or firing (a pending one from the last recovery would fire during the
    next scenario and be blamed on it); returns what is still active on timeout."""
    deadline = time.monotonic() + timeout
    active: list[tuple[str, str]] = []
    while time.monotonic() < deadline:
        active = sorted(env.alerts())
        if not active:
            return []
        time.sleep(0.5)
    return active


def cluster_variable(env: MultiClusterEnvironment) -> list[str]:
    """The values Grafana lists for the dashboards' `cluster` variable (its label_values query)."""
    dashboard = next(iter(env.model.dashboards.values()))
    var = next(v for v in dashboard["templating"]["list"] if v["name"] == "cluster")
    query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
    selector, label = query.removeprefix("label_values(").removesuffix(")").rsplit(",", 1)
    return sorted({r["metric"].get(label.strip(), "") for r in env.query(f"group by ({label}) ({selector})")})


def alert_panels_leak(env: MultiClusterEnvironment) -> list[str]:
    """Panels listing firing alerts that, with one cluster selected, show another cluster's alerts."""
    label = env.config.cluster_label
    leaks = []
    for cluster in sorted(env.clusters):
        for dash_name, dashboard in sorted(env.model.dashboards.items()):
            for panel in _panels(dashboard):
                for t in panel.get("targets", []):
                    expr = t.get("expr", "")
                    if "ALERTS" not in expr or "count(" in expr:
                        continue
                    shown = {r["metric"].get(label, "") for r in env.query(_substitute(expr, env.config, cluster))}
                    if shown - {cluster}:
                        leaks.append(f"{dash_name}: {panel.get('title')} with cluster {cluster} shows "
                                     + ", ".join(sorted(shown - {cluster})))
    return leaks


def run(env: MultiClusterEnvironment, sc: MultiScenario, settle: float = 4.0) -> list[Result]:
    """Inject, wait for every expected (cluster, alert) and its notification, recover; one Result per cluster."""
    c = env.config
    expected = sc.expected()
    parts = sc.parts()
    results = {cluster: Result(f"{sc.name}: {single.name}", dict(single.expected), cluster=cluster)
               for cluster, single in parts}
    leftover = wait_quiet(env)
    if leftover:
        for r in results.values():
            r.problems.append("not quiet before the scenario: " + ", ".join(f"{a}{{{k}}}" for k, a in leftover))
    for cluster, single in parts:
        probe = duration_seconds(c.exporter.interval) + duration_seconds(c.exporter.timeout) \
            if single.exporter_based else 0
        for name in single.expected:
            results[cluster].bounds[name] = detection_bound(env.model, c, name, probe=probe, lead=REMOTE_WRITE_DEADLINE)
    timeout = max(b for r in results.values() for b in r.bounds.values()) + 45
    t0 = time.monotonic()
    for cluster, single in parts:
        single.inject(env.clusters[cluster])
    done_at: float | None = None
    unexpected: set[tuple[str, str]] = set()
    leaks: list[str] = []
    while time.monotonic() - t0 < timeout:
        now = time.monotonic()
        for (cluster, name), state in env.alerts().items():
            if state != "firing":
                continue
            if (cluster, name) not in expected:
                unexpected.add((cluster, name))
            elif name not in results[cluster].fired:
                results[cluster].fired[name] = now - t0
        for at, receiver, status, name, cluster in env.receiver.since(t0):
            if status == "firing" and cluster in results and name not in results[cluster].notified:
                results[cluster].notified[name] = (receiver, at - t0)
            elif status == "firing" and cluster not in results:
                unexpected.add((cluster, name))
        complete = all(n in results[cl].fired for cl, n in expected) and all(
            n in results[cl].notified for (cl, n), r in expected.items() if r != INHIBITED)
        if complete and done_at is None:
            done_at = now
            leaks = alert_panels_leak(env)
        if done_at is not None and now - done_at >= settle:
            break
        time.sleep(0.25)
    for cluster, res in results.items():
        for name, receiver in res.expected.items():
            if name not in res.fired:
                res.problems.append(f"{name} did not fire in {cluster} within {timeout:.0f}s")
            elif receiver == INHIBITED:
                if name in res.notified:
                    res.problems.append(f"{name} should be inhibited but reached {res.notified[name][0]}")
            elif res.notified.get(name, ("",))[0] != receiver:
                res.problems.append(f"{name} reached {res.notified.get(name, ('nobody',))[0]}, expected {receiver}")
        res.unexpected = sorted(n for cl, n in unexpected if cl == cluster)
    others = sorted(f"{n}{{{cl}}}" for cl, n in unexpected if cl not in results)
    first = next(iter(results.values()))
    if others:
        first.problems.append("fired in a cluster without a fault: " + ", ".join(others))
    for res in results.values():
        if res.unexpected:
            res.problems.append("unexpected alerts fired: " + ", ".join(res.unexpected))
    if leaks:
        first.problems.append("alert panels show another cluster's alerts: " + "; ".join(leaks))
    t1 = time.monotonic()
    for cluster, single in parts:
        single.recover(env.clusters[cluster])
    want = {(cl, n) for (cl, n), r in expected.items() if r != INHIBITED}
    resolved_at = None
    while time.monotonic() - t1 < 120:
        got = {(cl, name) for _, _, status, name, cl in env.receiver.since(t1) if status == "resolved"}
        if not env.firing() and want <= got:
            resolved_at = time.monotonic() - t1
            break
        time.sleep(0.5)
    for res in results.values():
        if resolved_at is None:
            res.problems.append("not resolved within 120s after recovery (still firing: "
                                + ", ".join(f"{n}{{{cl}}}" for cl, n in env.firing()) + ")")
        else:
            res.resolved, res.resolve_seconds = True, resolved_at
    return list(results.values())


def healthy_checks(env: MultiClusterEnvironment) -> list[str]:
    """Problems in the healthy state: the cluster variable, per-cluster panel data, the inhibition's equal."""
    problems = []
    listed = cluster_variable(env)
    if listed != sorted(env.clusters):
        problems.append(f"cluster variable lists {listed}, expected {sorted(env.clusters)}")
    for equal in env.inhibit_equal():
        if env.config.cluster_label not in equal:
            problems.append(f"Alertmanager inhibit_rules equal {equal} lacks {env.config.cluster_label!r}")
    for cluster in sorted(env.clusters):
        empty, _, _ = panel_report(env, cluster=cluster)
        if empty:
            problems.append(f"panels without data for cluster {cluster}: {', '.join(empty)}")
    return problems
