"""The real stack with two provider replicas, leader election on, and the leader killed.

    sudo .venv/bin/python -m tests.realstack.failover            # about 21 minutes with the default config

The provider binds :8080 on every interface (no flag changes it), so each replica runs in a network namespace of
its own, joined by a veth pair to a "hub" namespace that holds etcd, the API server, Gitea, the exporter,
kube-state-metrics, Prometheus and Alertmanager (tests/realstack/stack.py). The API server and Gitea listen on a
service address on the hub's loopback that both replicas reach through their link (a default route via the hub).
Every address is in namespaces this module creates; nothing outside them receives traffic, and every namespace
(with its veth ends) and every process in it is removed on every exit, signals included.

Scenario: the project's default config with `provider.leader_election: true` and `provider.replicas: 2`; both
replicas get the args our build's DeploymentRuntimeConfig gives (`--leader-election`). The base resources
(tests/realstack/record.py BASE) are created and Ready before Prometheus starts (a fresh install's creates are
`requeue`s and burn the reconcile SLO; that is the burst scenario's subject, not this one's), then a healthy
period in which nothing may fire, then the leader is SIGKILLed: how long until the standby holds the lease, do
reconciles go on, which alerts fire (GiteaProviderReplicaDown to chat; GiteaProviderNoLeader must not, the lease
expires long before its `for`), then the killed replica is started again and everything must resolve.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from gitea_provider_monitoring.model import provider_facts as facts
from gitea_provider_monitoring.model.config import Config, duration_seconds, load_config
from gitea_provider_monitoring.model.config_schema import example_pods
from gitea_provider_monitoring.render.alertmanager import RECEIVERS
from gitea_provider_monitoring.render.compiler import load_model
from tests.e2e.harness import Result, detection_bound, table
from tests.realstack.record import BASE, conditions
from tests.realstack.stack import NETNS_ENV, PROVIDER_NAMESPACE, Stack, kill_netns_processes, runtime_provider_args
from tests.realstack.tools import Tools, locate

TOPOLOGY_ENV = "REALSTACK_FAILOVER_TOPOLOGY"  # the plan, as JSON, for the process inside the hub
PREFIX = "10.213"  # private; only inside our namespaces (a hub and one per replica)
METRICS_PORT = 8080  # controller-runtime's default, which the provider does not change
EXPECTED = {"GiteaProviderReplicaDown": RECEIVERS["warning"]}
SCENARIO = "provider: leader of 2 replicas killed (SIGKILL), leader election on"
HEALTHY_SECONDS = 180.0
# With --leader-election the provider exits unless it finds its pod's namespace where Kubernetes mounts it:
# "unable to find leader election namespace: not running in-cluster, please specify LeaderElectionNamespace"
# (controller-runtime pkg/leaderelection reads /var/run/secrets/kubernetes.io/serviceaccount/namespace; the provider,
# b5b30da cmd/provider/main.go, sets no LeaderElectionNamespace and POD_NAMESPACE does not count). So each replica
# runs in a mount namespace of its own (inside the one `ip netns exec` makes) with a tmpfs on /run holding that file,
# as a pod's service-account mount would: nothing is written outside it. unshare execs, so the pid is the provider's.
SA_DIR = "/run/secrets/kubernetes.io/serviceaccount"  # /var/run is /run
POD_MOUNTS = ("unshare", "--mount", "--propagation", "private", "sh", "-c",
              f'mount -t tmpfs tmpfs /run && mkdir -p {SA_DIR} && printf %s "$POD_NAMESPACE" > {SA_DIR}/namespace '
              '&& exec "$@"', "sh")


# -- topology (pure) -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    """One replica's namespace and the veth pair joining it to the hub (both ends inside our namespaces)."""

    netns: str
    hub_if: str
    replica_if: str
    hub_addr: str  # with prefix length
    replica_addr: str

    @property
    def ip(self) -> str:
        return self.replica_addr.split("/")[0]

    @property
    def metrics_url(self) -> str:
        return f"http://{self.ip}:{METRICS_PORT}/metrics"


@dataclass(frozen=True)
class Topology:
    hub: str
    service: str  # the API server's and Gitea's address, on the hub's loopback
    links: tuple[Link, ...]

    @property
    def namespaces(self) -> tuple[str, ...]:
        return (self.hub, *(link.netns for link in self.links))

    def setup_commands(self) -> list[list[str]]:
        """`ip` commands that create the namespaces, the links and the addresses; none touches the caller's namespace."""
        cmds = [["ip", "netns", "add", ns] for ns in self.namespaces]
        cmds += [["ip", "-n", ns, "link", "set", "lo", "up"] for ns in self.namespaces]
        cmds.append(["ip", "-n", self.hub, "addr", "add", f"{self.service}/32", "dev", "lo"])
        for link in self.links:
            gateway = link.hub_addr.split("/")[0]
            cmds += [["ip", "-n", self.hub, "link", "add", link.hub_if, "type", "veth", "peer", "name", link.replica_if,
                      "netns", link.netns],
                     ["ip", "-n", self.hub, "addr", "add", link.hub_addr, "dev", link.hub_if],
                     ["ip", "-n", link.netns, "addr", "add", link.replica_addr, "dev", link.replica_if],
                     ["ip", "-n", self.hub, "link", "set", link.hub_if, "up"],
                     ["ip", "-n", link.netns, "link", "set", link.replica_if, "up"],
                     ["ip", "-n", link.netns, "route", "add", "default", "via", gateway]]
        return cmds

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Topology:
        raw = json.loads(text)
        return cls(raw["hub"], raw["service"], tuple(Link(**link) for link in raw["links"]))


def plan(tag: str, replicas: int = 2, prefix: str = PREFIX) -> Topology:
    """Namespaces `fo-hub-<tag>` and `fo-r<i>-<tag>`; the service address <prefix>.0.1 on the hub's loopback;
    replica i on <prefix>.<i+1>.2/24 behind the hub's <prefix>.<i+1>.1."""
    if not 1 <= replicas <= 254:
        raise ValueError(f"replicas must be 1..254, not {replicas}")
    net = ipaddress.ip_network(f"{prefix}.0.0/16")
    if not net.is_private:
        raise ValueError(f"{net} is not a private network: pick a prefix in 10/8, 172.16/12 or 192.168/16")
    links = tuple(Link(f"fo-r{i}-{tag}", f"to-r{i}", "to-hub", f"{prefix}.{i + 1}.1/24", f"{prefix}.{i + 1}.2/24")
                  for i in range(replicas))
    return Topology(f"fo-hub-{tag}", f"{prefix}.0.1", links)


# -- reading the provider (pure) ---------------------------------------------------------------------------------
def _samples(text: str, name: str):  # noqa: ANN202
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name:
                yield s


def leaders(metrics: dict[str, str], lease: str = facts.LEASE_NAME) -> list[str]:
    """The replicas (keys of `metrics`, each one's /metrics text; "" when it did not answer) whose
    leader_election_master_status for `lease` is 1. The standby exports no such series until it leads."""
    return [r for r, text in metrics.items()
            if any(s.labels.get("name") == lease and s.value == 1 for s in _samples(text, "leader_election_master_status"))]


def reconciles(text: str) -> float:
    """All reconciles a replica has counted (controller_runtime_reconcile_total over every controller and result)."""
    return sum(s.value for s in _samples(text, "controller_runtime_reconcile_total"))


def lease_holder(lease: dict | None) -> str:
    """The Lease's holderIdentity ("" when absent or released)."""
    return ((lease or {}).get("spec") or {}).get("holderIdentity") or ""


def takeover_bound(config: Config) -> float:
    """Seconds within which Prometheus sees the standby lead after the leader is killed: the lease runs out
    LeaseDuration after the standby last saw it renewed (client-go counts from its own observation, up to one
    RetryPeriod late), the standby's next try (another RetryPeriod), and a scrape."""
    return (facts.LEASE_DURATION_SECONDS + 2 * facts.LEASE_RETRY_SECONDS
            + duration_seconds(config.scrape_interval))


def resolve_bound(config: Config) -> float:
    """Seconds within which a resolved notification arrives once the cause is gone: a scrape, an evaluation, and
    Alertmanager's group_interval (a group's resolved alerts wait for its next flush)."""
    return (duration_seconds(config.scrape_interval) + duration_seconds(config.evaluation_interval)
            + duration_seconds(config.alertmanager.group_interval))


def failover_config(path: str | None = None) -> Config:
    """The config file's (default: the project's defaults) with leader election on and two replicas."""
    base = load_config(path)
    return dataclasses.replace(base, provider=dataclasses.replace(base.provider, leader_election=True, replicas=2))


# -- the scenario (root, inside the hub) -----------------------------------------------------------------------
@dataclass
class FailoverResult(Result):
    measured: dict[str, str] = field(default_factory=dict)  # what the table has no column for


def _scrape(url: str) -> str:
    try:
        r = requests.get(url, timeout=5)
        return r.text if r.ok else ""
    except requests.RequestException:
        return ""


def run(tools: Tools, log=print, config: Config | None = None,  # noqa: ANN001
        healthy_seconds: float = HEALTHY_SECONDS) -> Result:
    """The scenario, inside the hub namespace that `in_topology` made (its plan in $REALSTACK_FAILOVER_TOPOLOGY)."""
    if not os.environ.get(TOPOLOGY_ENV) or not os.environ.get(NETNS_ENV):
        raise RuntimeError("run inside the failover namespaces: sudo .venv/bin/python -m tests.realstack.failover")
    topo = Topology.from_json(os.environ[TOPOLOGY_ENV])
    config = config or failover_config()
    if config.exporter.mode != "probe":  # the proxy listens on the hub's loopback, which the replicas do not reach
        raise ValueError(f"exporter.mode {config.exporter.mode!r}: the failover scenario runs the exporter in probe mode")
    model = load_model(config)
    args = runtime_provider_args(config)
    pods = example_pods(config.provider) or tuple(f"{config.provider.package_name}-{i}" for i in range(3))
    names = [f"provider-{pods[i][-5:]}" for i in range(len(topo.links))]
    res = FailoverResult(SCENARIO, dict(EXPECTED), cluster="realstack")
    res.bounds = {n: detection_bound(model, config, n) for n in EXPECTED}
    severity = {a.alert: a.severity for rf in model.rule_files for a in rf.alerts()}
    stack = Stack(tools, log=log, host=topo.service)

    def start_replica(i: int) -> None:
        link = topo.links[i]
        stack._spawn(names[i], ["ip", "netns", "exec", link.netns, *POD_MOUNTS, str(tools.provider), *args],
                     env={"KUBECONFIG": str(stack.tmp / "kubeconfig-provider"), "POD_NAMESPACE": PROVIDER_NAMESPACE})
        stack._wait(names[i], lambda: requests.get(link.metrics_url, timeout=2).ok, 120)

    def metrics() -> dict[str, str]:
        return {names[i]: _scrape(link.metrics_url) for i, link in enumerate(topo.links)}

    def lease() -> dict | None:
        r = stack.kube.request("GET", f"{stack.kube.url}/apis/coordination.k8s.io/v1/namespaces/{PROVIDER_NAMESPACE}"
                                      f"/leases/{facts.LEASE_NAME}")
        return r.json() if r.status_code == 200 else None

    def not_synced() -> list[str]:
        return sorted(r for r, c in conditions(stack).items()
                      if c.get("Synced", ("",))[0] != "True" or c.get("Ready", ("",))[0] != "True")

    def wait_for(check, timeout: float, what: str) -> float:  # noqa: ANN001
        t = time.monotonic()
        while time.monotonic() - t < timeout:
            if check():
                return time.monotonic() - t
            time.sleep(1)
        raise TimeoutError(f"{what} not within {timeout:.0f}s")

    try:
        stack._certs()
        stack.start_kube()
        stack.apply_crds()
        stack.start_gitea()
        e = config.exporter
        stack.provider_config(stack.start_exporter(e.mode, e.interval, e.timeout))
        for i in range(len(topo.links)):
            start_replica(i)
        log(f"replicas {', '.join(names)} up with args {args}")
        wait_for(lambda: len(leaders(metrics())) == 1, facts.LEASE_DURATION_SECONDS * 2, "a leader")
        stack.start_kube_state_metrics(config)
        t_created = time.monotonic()
        for obj in BASE:
            stack.kube.create(obj)
        took = (time.monotonic() - t_created) + wait_for(lambda: len(conditions(stack)) >= len(BASE) and not not_synced(), 600,
                        f"{len(BASE)} resources Synced and Ready")
        kinds = sorted({o["kind"] for o in BASE})
        log(f"{len(BASE)} resources of {len(kinds)} kinds Synced and Ready {took:.0f}s after the first create")
        stack.start_monitoring(config, [(f"{link.ip}:{METRICS_PORT}", pods[i]) for i, link in enumerate(topo.links)])
        up = f'count(up{{job="{config.provider.job}"}} == 1) == {len(topo.links)}'
        wait_for(lambda: _query(stack, up), 180, "Prometheus scraping both replicas")

        # Healthy: nothing may fire (pending is allowed: NoLeader is pending until the first leader scrape).
        t_h = time.monotonic()
        seen: set[str] = set()
        while time.monotonic() - t_h < healthy_seconds:
            seen |= {n for n, s in stack.alerts().items() if s == "firing"}
            time.sleep(5)
        if seen:
            res.problems.append(f"fired while healthy: {', '.join(sorted(seen))}")
        res.measured["healthy"] = f"{healthy_seconds:.0f}s, fired: {', '.join(sorted(seen)) or 'nothing'}"

        # Kill the leader.
        now = metrics()
        if len(leaders(now)) != 1:
            res.problems.append(f"not exactly one leader before the kill: {leaders(now)}")
            return res
        leader = leaders(now)[0]
        k = names.index(leader)
        survivor = names[1 - k] if len(names) == 2 else ""
        before = {n: reconciles(now[n]) for n in names}
        holder0 = lease_holder(lease())
        res.measured["leader before"] = f"{leader} ({pods[k]}), lease holder {holder0}"
        t0 = time.monotonic()
        stack.procs.pop(leader).kill()  # SIGKILL: the lease is not released; it must run out
        log(f"killed the leader {leader} (SIGKILL)")
        takeover = lease_at = prom_at = None
        at_takeover = 0.0
        bad: set[str] = set()
        pending: dict[str, float] = {}
        # The harness's margin, plus what its bound leaves out here: the alert reads a recording rule of another
        # group (job:up:sum; up to one more evaluation) and the notification waits group_wait.
        timeout = (max(res.bounds.values()) + duration_seconds(config.evaluation_interval)
                   + duration_seconds(config.alertmanager.group_wait) + 45)
        done_at = None
        last_check = 0.0
        while time.monotonic() - t0 < timeout:
            now_t = time.monotonic() - t0
            text = _scrape(topo.links[1 - k].metrics_url)
            if takeover is None and leaders({survivor: text}):
                takeover, at_takeover = now_t, reconciles(text)
                log(f"{survivor} leads {takeover:.1f}s after the kill")
            if lease_at is None and lease_holder(lease()) not in ("", holder0):
                lease_at = now_t
            if prom_at is None and takeover is not None and _query(
                    stack, f'leader_election_master_status{{pod="{pods[1 - k]}"}} == 1'):
                prom_at = now_t
            for name, state in stack.alerts().items():
                if state == "firing" and name not in res.fired:
                    res.fired[name] = now_t
                    log(f"{name} firing at {now_t:.0f}s")
                if state == "pending":
                    pending.setdefault(name, now_t)
            for at, receiver, status, name in stack.receiver.since(t0):
                if status == "firing" and name not in res.notified:
                    res.notified[name] = (receiver, at - t0)
            if now_t - last_check >= 15:
                bad |= set(not_synced())
                last_check = now_t
            complete = all(n in res.fired for n in EXPECTED) and all(n in res.notified for n in EXPECTED)
            if complete and done_at is None:
                done_at = now_t
            if done_at is not None and now_t - done_at >= 4:
                break
            time.sleep(1)
        end_text = _scrape(topo.links[1 - k].metrics_url)
        grew = reconciles(end_text) - at_takeover if takeover is not None else 0.0
        window = time.monotonic() - t0 - (takeover or 0)
        res.measured.update({
            "takeover (standby's leader_election_master_status 1, scraped directly)":
                f"{takeover:.1f}s (lease {facts.LEASE_DURATION_SECONDS:.0f}s + up to 2 x retry "
                f"{facts.LEASE_RETRY_SECONDS:.0f}s)" if takeover is not None else "NEVER",
            "lease holderIdentity changed": f"{lease_at:.1f}s" if lease_at is not None else "NEVER",
            "Prometheus sees the new leader": (f"{prom_at:.1f}s (bound: + a scrape = {takeover_bound(config):.0f}s)"
                                               if prom_at is not None else "NEVER"),
            "reconciles on the new leader after takeover": f"+{grew:.0f} in {window:.0f}s "
                                                           f"(it had {before[survivor]:.0f} before the kill)",
            "resources not Synced/Ready after the kill": ", ".join(sorted(bad)) or f"none of {len(BASE)}",
            "pending after the kill": ", ".join(f"{n} from {t:.0f}s" for n, t in sorted(pending.items())) or "nothing",
        })
        if takeover is None or prom_at is None:
            res.problems.append(f"{survivor} never took the lease (or Prometheus never saw it)")
        elif prom_at > takeover_bound(config):
            res.problems.append(f"Prometheus saw the new leader after {prom_at:.0f}s, beyond its bound "
                                f"{takeover_bound(config):.0f}s")
        if grew < len(BASE):  # every resource is polled once a minute; the window is minutes long
            res.problems.append(f"reconciles did not go on: +{grew:.0f} on {survivor} after takeover")
        if bad:
            res.problems.append(f"not Synced/Ready after the kill: {', '.join(sorted(bad))}")
        for name in EXPECTED:
            if name not in res.fired:
                res.problems.append(f"{name} did not fire within {timeout:.0f}s")
            elif res.notified.get(name, ("",))[0] != EXPECTED[name]:
                res.problems.append(f"{name} reached {res.notified.get(name, ('nobody',))[0]}, expected {EXPECTED[name]}")
        res.unexpected = sorted(set(res.fired) - set(EXPECTED))
        if res.unexpected:
            critical = [n for n in res.unexpected if severity.get(n) == "critical"]
            res.problems.append("unexpected alerts fired: " + ", ".join(res.unexpected)
                                + (f" (critical: {', '.join(critical)})" if critical else ""))

        # Restart it: everything resolves.
        t1 = time.monotonic()
        start_replica(k)
        log(f"{leader} started again")
        limit = resolve_bound(config) + 60
        while time.monotonic() - t1 < limit:
            got = {name for _, _, status, name in stack.receiver.since(t1) if status == "resolved"}
            if not any(s == "firing" for s in stack.alerts().values()) and set(EXPECTED) <= got:
                res.resolved, res.resolve_seconds = True, time.monotonic() - t1
                break
            time.sleep(1)
        if not res.resolved:
            still = sorted(n for n, s in stack.alerts().items() if s == "firing")
            res.problems.append(f"not resolved within {limit:.0f}s after the restart (still firing: {', '.join(still)})")
        after = leaders(metrics())
        res.measured["after the restart"] = (f"leader {', '.join(after) or 'none'}; {leader} is the standby"
                                            if after == [survivor] else f"leaders: {after}")
        if after != [survivor]:
            res.problems.append(f"after the restart the leaders are {after}, expected {survivor} alone")
        res.measured["resolve bound"] = f"{resolve_bound(config):.0f}s (scrape + evaluation + group_interval)"
        return res
    finally:
        if res.problems:
            for name in names:
                log(f"--- {name} log tail ---\n{stack.logs(name, tail=15)}")
        stack.close()


def _query(stack: Stack, expr: str) -> list:
    try:
        r = requests.get(stack.prom_url + "/api/v1/query", params={"query": expr}, timeout=10)
        return r.json()["data"]["result"] if r.ok else []
    except requests.RequestException:
        return []


def summary(res: Result) -> str:
    """The table plus what it has no column for."""
    lines = [table([res]), ""]
    lines += [f"- {k}: {v}" for k, v in getattr(res, "measured", {}).items()]
    return "\n".join(lines)


# -- namespaces (root, in the caller's namespace) ----------------------------------------------------------------
def remove(topo: Topology) -> None:
    """End every process left in our namespaces (by the pids `ip netns pids` lists: only ours live there), then
    delete them; their veth ends go with them."""
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    for ns in topo.namespaces:
        if ns in {line.split()[0] for line in listed.splitlines() if line.strip()}:
            kill_netns_processes(ns)
            subprocess.run(["ip", "netns", "del", ns], check=False)


def in_topology(argv: list[str], topo: Topology) -> int:
    """Run `argv` inside the hub of `topo` (created here); remove everything on every exit, signals included."""
    if os.geteuid() != 0:
        raise PermissionError("the failover scenario needs root for `ip netns add` (network namespaces and veth pairs)")
    child: subprocess.Popen | None = None

    def forward(signum: int, _frame: object) -> None:
        if child and child.poll() is None:
            child.send_signal(signal.SIGTERM)  # the child closes its stack; remove() kills what is left
        raise KeyboardInterrupt

    old = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        for cmd in topo.setup_commands():
            subprocess.run(cmd, check=True, capture_output=True)
        child = subprocess.Popen(["ip", "netns", "exec", topo.hub, *argv],
                                 env={**os.environ, NETNS_ENV: topo.hub, TOPOLOGY_ENV: topo.to_json()})
        return child.wait()
    except KeyboardInterrupt:
        if child and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        return 130
    finally:
        remove(topo)
        for s, handler in old.items():
            signal.signal(s, handler)


def _terminate(signum: int, _frame: object) -> None:
    """The first SIGINT/SIGTERM unwinds run() (its finally closes the stack); later ones must not cut that short."""
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", help="our config file (default: the project's defaults); leader election and two "
                                    "replicas are set on top of it. Shorter `for`s only for smoke runs")
    p.add_argument("--healthy", type=float, default=HEALTHY_SECONDS, help="seconds of the healthy period")
    p.add_argument("--json", type=Path, help="also write the result there (tests/realstack/e2e.py collects it)")
    a = p.parse_args(argv)
    if not os.environ.get(TOPOLOGY_ENV):
        return in_topology([sys.executable, "-m", "tests.realstack.failover", *(argv or sys.argv[1:])],
                           plan(str(os.getpid())))
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, _terminate)
    found, why = locate()
    if not found:
        print(why)
        return 0
    try:
        res = run(found, log=lambda m: print(f"[failover] {m}", flush=True), config=failover_config(a.config),
                  healthy_seconds=a.healthy)
    except KeyboardInterrupt:
        print("[failover] interrupted: the stack is closed; the namespaces are removed next", flush=True)
        return 130
    print(summary(res), flush=True)
    if a.json:
        result = dataclasses.asdict(res)
        measured = result.pop("measured", {})
        a.json.write_text(json.dumps({"result": result, "notes": [f"{k}: {v}" for k, v in measured.items()]}, indent=1))
    return 0 if res.ok else 1


if __name__ == "__main__":
    sys.exit(main())
