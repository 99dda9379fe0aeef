"""A provider simulator: the controller-runtime exposition of the Crossplane Gitea provider, 1 or 3 replicas.

Metric names, label names and values, histogram buckets and the `process_*` series follow what the
provider serves on :8080/metrics (controller-runtime 0.19+ default buckets). Only the leader runs its
controllers, so only the leader serves controller_runtime_* and workqueue_* series: controller-runtime starts
controllers as leader-election runnables once the lease is won (pkg/manager/internal.go,
startLeaderElectionRunnables), and a controller creates its metric children in Start -> initMetrics and its
work queue's in startEventSourcesAndQueueLocked (pkg/internal/controller/controller.go); the reconcile-time
histogram child appears with the first reconcile (updateMetrics). A standby serves up, rest_client_*,
leader_election_master_status 0, process_* and go_*. (A replica that loses the lease exits in
controller-runtime; here a stopped replica keeps its registry when started again.)

Modes (`sim.mode`): healthy (steady state: requeue_after polls), requeue (failing Gitea calls at a constant
share of the poll rate: NOT what the real provider does, kept for the simulated e2e scenarios), error_storm
(reconcile errors), panic (reconcile panics), backlog (work queue depth and waiting time grow), gitea_down and
recovered (each resource on its own schedule with controller-runtime's per-item back-off, `ItemSchedule`: what the
real provider does, recorded in tests/recordings/gitea-down and checked by tests/test_realstack.py).
`leader_election=False` (the provider's default): no leader series, every replica reconciles. `stop(i)` /
`start(i)` take a replica down and up; the leader lease moves to a running replica after `lease_seconds`.

A second exposition (`cluster_url`) stands in for kube-state-metrics and cAdvisor for the same pods.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from gitea_provider_monitoring.model import managed, provider_facts
from gitea_provider_monitoring.model.config import DEFAULT_CONTROLLERS

try:  # controller-runtime exposes no *_created series
    from prometheus_client import disable_created_metrics

    disable_created_metrics()
except ImportError:  # pragma: no cover (prometheus-client < 0.17)
    pass

MODES = ("healthy", "requeue", "error_storm", "panic", "backlog", "gitea_down", "recovered")
SCHEDULED_ITEMS = 120  # per managed controller in the scheduled modes: 2 reconciles/s at the 60 s poll, as healthy
# controller-runtime pkg/internal/controller/metrics/metrics.go, ReconcileTime (40 bounds + +Inf).
RECONCILE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9,
                     1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60)
# controller-runtime pkg/internal/metrics/workqueue.go: queue and work duration buckets are
# prometheus.ExponentialBuckets(10e-9, 10, 12), i.e. 1e-8 .. 1e3 s (12 buckets, x10).
QUEUE_BUCKETS = tuple(10.0 ** e for e in range(-8, 4))
# The lease the provider takes with --leader-election (provider b5b30da cmd/provider/main.go, LeaderElectionID).
LEASE_NAME = provider_facts.LEASE_NAME
# One worker per controller: the provider's controllers are built with ctrl.NewControllerManagedBy(...).Complete
# without WithOptions (b5b30da internal/controller/*/ Setup; main.go's controller.Options never reach them), so
# controller-runtime v0.24.1 pkg/controller/controller.go defaults MaxConcurrentReconciles to 1.
# --max-reconcile-rate changes nothing. Recorded: tests/recordings/*/ (controller_runtime_max_concurrent_reconciles).
MAX_WORKERS = provider_facts.WORKERS_PER_CONTROLLER
# The priority queue is on by default in controller-runtime 0.24 (pkg/controller/controller.go, UsePriorityQueue):
# its depth gauge has a `priority` label (pkg/internal/metrics/workqueue.go), one child per priority an item was
# queued with, created with the first such item: "0", and "-100" (handler.LowPriority, pkg/handler/eventhandler.go)
# for objects of the informer's initial list (recorded: the ProviderConfig that existed when the provider started).
DEPTH_PRIORITIES = ("0", "-100")
KUBE_HOST = "10.96.0.1:443"


def serve_exposition(body: Callable[[str], bytes], port: int = 0) -> ThreadingHTTPServer:
    """A text-exposition endpoint on 127.0.0.1, served from a thread; `body` gets the request path (a server
    may answer several targets, one per path)."""

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802
            data = body(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Replica:
    def __init__(self, index: int, controllers: tuple[str, ...], leader_election: bool = True) -> None:
        """`leader_election`: whether the provider runs with --leader-election (off by default in the provider, b5b30da
        cmd/provider/main.go); without it no leader_election_master_status is exported (recorded) and every replica
        runs its controllers."""
        self.index, self.controllers, self.leader_election = index, controllers, leader_election
        self.pod = f"provider-gitea-7d9f8b6c5-{'abcdefghij'[index]}x{index}z"
        r = self.registry = CollectorRegistry()
        self.reconcile = Counter("controller_runtime_reconcile", "Total number of reconciliations per controller",
                                 ["controller", "result"], registry=r)
        self.errors = Counter("controller_runtime_reconcile_errors", "Total number of reconciliation errors per "
                              "controller", ["controller"], registry=r)
        self.terminal = Counter("controller_runtime_terminal_reconcile_errors", "Total number of terminal "
                                "reconciliation errors per controller", ["controller"], registry=r)
        self.timeouts = Counter("controller_runtime_reconcile_timeouts", "Total number of reconciliation timeouts per "
                                "controller", ["controller"], registry=r)
        self.panics = Counter("controller_runtime_reconcile_panics", "Total number of reconciliation panics per "
                              "controller", ["controller"], registry=r)
        self.time = Histogram("controller_runtime_reconcile_time_seconds", "Length of time per reconciliation per "
                              "controller", ["controller"], buckets=RECONCILE_BUCKETS, registry=r)
        self.active = Gauge("controller_runtime_active_workers", "Number of currently used workers per controller",
                            ["controller"], registry=r)
        self.max_workers = Gauge("controller_runtime_max_concurrent_reconciles", "Maximum number of concurrent "
                                 "reconciles per controller", ["controller"], registry=r)
        q = ["name", "controller"]
        self.depth = Gauge("workqueue_depth", "Current depth of workqueue by workqueue and priority", [*q, "priority"],
                           registry=r)
        self.adds = Counter("workqueue_adds", "Total number of adds handled by workqueue", q, registry=r)
        self.retries = Counter("workqueue_retries", "Total number of retries handled by workqueue", q, registry=r)
        self.queue_duration = Histogram("workqueue_queue_duration_seconds", "How long in seconds an item stays in "
                                        "workqueue before being requested", q, buckets=QUEUE_BUCKETS, registry=r)
        self.work_duration = Histogram("workqueue_work_duration_seconds", "How long in seconds processing an item "
                                       "from workqueue takes", q, buckets=QUEUE_BUCKETS, registry=r)
        self.unfinished = Gauge("workqueue_unfinished_work_seconds", "How many seconds of work has been done that "
                                "is in progress", q, registry=r)
        self.longest = Gauge("workqueue_longest_running_processor_seconds", "How many seconds has the longest "
                             "running processor for workqueue been running", q, registry=r)
        self.rest = Counter("rest_client_requests", "Number of HTTP requests, partitioned by status code, method, "
                            "and host", ["code", "method", "host"], registry=r)
        self.leader = Gauge("leader_election_master_status", "Gauge of if the reporting system is master of the "
                            "relevant lease, 0 indicates backup, 1 indicates master", ["name"],
                            registry=r if leader_election else None)
        self.cpu = Counter("process_cpu_seconds", "Total user and system CPU time spent in seconds", registry=r)
        self.rss = Gauge("process_resident_memory_bytes", "Resident memory size in bytes", registry=r)
        self.start_time = Gauge("process_start_time_seconds", "Start time of the process since unix epoch in "
                                "seconds", registry=r)
        self.fds = Gauge("process_open_fds", "Number of open file descriptors", registry=r)
        self.max_fds = Gauge("process_max_fds", "Maximum number of open file descriptors", registry=r)
        self.goroutines = Gauge("go_goroutines", "Number of goroutines that currently exist", registry=r)
        self.heap = Gauge("go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use", registry=r)
        Gauge("go_info", "Information about the Go environment", ["version"], registry=r).labels("go1.24.4").set(1)
        if leader_election:
            self.leader.labels(LEASE_NAME).set(0)
        self.start_time.set(time.time())
        self.max_fds.set(1048576)
        self.server: ThreadingHTTPServer | None = None
        self.port = 0
        self.controllers_started = False
        self.clock = 0.0  # seconds of ticks, for the per-item schedules
        self.schedules: dict[str, ItemSchedule] = {}

    def start_controllers(self) -> None:
        """What controller-runtime does when this replica wins the lease: per controller, initMetrics' children
        (controller.go) and the work queue's (pkg/internal/metrics/workqueue.go, New*Metric)."""
        for c in self.controllers:
            for result in ("success", "error", "requeue", "requeue_after"):
                self.reconcile.labels(c, result)
            for m in (self.errors, self.terminal, self.panics, self.timeouts):
                m.labels(c)
            self.max_workers.labels(c).set(MAX_WORKERS)
            self.active.labels(c).set(0)
            for m in (self.unfinished, self.longest):
                m.labels(c, c).set(0)
            for m in (self.adds, self.retries):
                m.labels(c, c)
            self.queue_duration.labels(c, c)
            self.work_duration.labels(c, c)
        self.controllers_started = True

    def tick(self, mode: str, leader: bool, dt: float) -> None:
        """Advance the replica's counters by `dt` seconds of work in `mode`."""
        if self.leader_election:
            self.leader.labels(LEASE_NAME).set(1 if leader else 0)
        else:
            leader = True  # no lease: every replica reconciles every resource
        self.cpu.inc(0.01 * dt)
        self.rss.set(48e6 + random.uniform(0, 4e6))
        self.fds.set(12)
        self.goroutines.set(140 if leader else 60)
        self.heap.set(21e6)
        self.rest.labels("200", "GET", KUBE_HOST).inc(2 * dt)
        # crossplane-runtime writes status and annotations with Update (PUT), recorded.
        self.rest.labels("200", "PUT", KUBE_HOST).inc(0.2 * dt if leader else 0)
        if not leader:
            return
        if not self.controllers_started:
            self.start_controllers()
        self.clock += dt
        for c in self.controllers:
            managed = c.startswith("managed/")
            if managed and mode in ("gitea_down", "recovered"):
                self._scheduled(c, mode == "gitea_down")
                continue
            rate = 2.0 * dt  # reconciles per second per controller, sped up from 1/min per resource
            failing = managed and mode in ("requeue", "error_storm")
            if not managed:
                # The providerconfig controller returns an empty Result: `success`, and only when a ProviderConfig
                # changes (b5b30da internal/controller/providerconfig; recorded: no reconcile while healthy).
                if int(self.clock / 10) != int((self.clock - dt) / 10):  # one every 10 s of ticks
                    self.reconcile.labels(c, "success").inc()
                    self.adds.labels(c, c).inc()
                    self.time.labels(c).observe(random.uniform(0.001, 0.01))
                    self.work_duration.labels(c, c).observe(random.uniform(0.001, 0.01))
                    self.queue_duration.labels(c, c).observe(random.uniform(1e-5, 1e-4))
                self.depth.labels(c, c, DEPTH_PRIORITIES[0]).set(0)
                self.depth.labels(c, c, DEPTH_PRIORITIES[1]).set(0)
                self.active.labels(c).set(0)
                continue
            # A healthy managed resource's reconcile ends in RequeueAfter (the poll): `requeue_after`, never
            # `success` (crossplane-runtime pkg/reconciler/managed/reconciler.go; recorded, healthy phase).
            self.reconcile.labels(c, "requeue_after").inc(rate * (0.4 if failing else 1.0))
            # Every requeue is a delayed add, counted by workqueue_retries_total too (controller-runtime v0.24.1
            # pkg/internal/metrics/workqueue.go): healthy polls included.
            self.retries.labels(c, c).inc(rate * (0.4 if failing else 1.0))
            if failing and mode == "requeue":
                self.reconcile.labels(c, "requeue").inc(rate * 0.6)
                self.retries.labels(c, c).inc(rate * 0.6)
            if failing and mode == "error_storm":
                self.reconcile.labels(c, "error").inc(rate * 0.6)
                self.errors.labels(c).inc(rate * 0.6)
                self.retries.labels(c, c).inc(rate * 0.6)
            if managed and mode == "panic":
                self.panics.labels(c).inc(1)
                self.reconcile.labels(c, "error").inc(1)
                self.errors.labels(c).inc(1)
            self.adds.labels(c, c).inc(rate)
            slow = mode == "requeue" and managed
            for _ in range(max(1, int(rate))):
                self.time.labels(c).observe(random.uniform(0.05, 0.4) if not slow else random.uniform(0.5, 2.0))
                self.work_duration.labels(c, c).observe(random.uniform(0.05, 0.4))
                self.queue_duration.labels(c, c).observe(random.uniform(0.0005, 0.005) if mode != "backlog"
                                                         else random.uniform(5, 9))
            backlog = mode == "backlog" and managed
            self.depth.labels(c, c, DEPTH_PRIORITIES[0]).set(800 if backlog else random.choice((0, 0, 1)))
            self.depth.labels(c, c, DEPTH_PRIORITIES[1]).set(0)
            # The one worker is idle in almost every scrape of the healthy real provider (recorded: 0 in every
            # healthy scrape; a 10 ms reconcile a minute per resource): busy in about one scrape out of ten here.
            self.active.labels(c).set(MAX_WORKERS if backlog else int(random.random() < 0.1))
            self.unfinished.labels(c, c).set(0)
            self.longest.labels(c, c).set(0)

    def _scheduled(self, c: str, down: bool) -> None:
        """gitea_down / recovered: every resource reconciled on its own schedule (ItemSchedule), as the real
        provider does: polls while Gitea answers, per-item back-off while it does not, and after it is back each
        resource waits out its remaining back-off (up to the 1000 s cap) before it is reconciled again."""
        sched = self.schedules.setdefault(c, ItemSchedule(SCHEDULED_ITEMS))
        counts = sched.advance(self.clock, lambda _i: down)
        for result, n in counts.items():
            self.reconcile.labels(c, result).inc(n)
            # Every requeue is a delayed add: workqueue_retries_total counts them all (controller-runtime v0.24.1
            # pkg/internal/metrics/workqueue.go, retries' help text), healthy polls included.
            self.adds.labels(c, c).inc(n)
            self.retries.labels(c, c).inc(n)
        for _ in range(sum(counts.values())):
            self.time.labels(c).observe(random.uniform(0.005, 0.05))
            self.work_duration.labels(c, c).observe(random.uniform(0.005, 0.05))
            self.queue_duration.labels(c, c).observe(random.uniform(1e-5, 1e-4))
        # Items waiting out their back-off are not in the queue: depth stays 0 (recorded, gitea-down).
        for p in DEPTH_PRIORITIES:
            self.depth.labels(c, c, p).set(0)
        self.active.labels(c).set(0)

    def serve(self, port: int = 0) -> None:
        self.server = serve_exposition(lambda _path: generate_latest(self.registry), port or self.port)
        self.port = self.server.server_address[1]

    def shutdown(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def resource_state_lines(namespace: str = "team-a") -> list[str]:
    """What kube-state-metrics exports with the generated custom-resource-state config for a healthy install:
    three Repositories and an Organization (Synced and Ready), a ProviderConfig, the Provider and its revision
    (names and labels as tests/test_resource_state.py sees the real kube-state-metrics export them)."""
    def labels(k: managed.ManagedKind | managed.CustomKind, name: str, **extra: str) -> str:
        out = {managed.GROUP_LABEL: k.group, managed.KIND_LABEL: k.kind, managed.VERSION_LABEL: k.version, "name": name,
               **({"namespace": namespace} if k.namespaced else {}), **extra}
        return ",".join(f'{key}="{value}"' for key, value in out.items())

    cond, info = managed.metric(managed.CONDITION), managed.metric(managed.INFO)
    served = {k.kind: k for k in managed.MANAGED_KINDS if k.served}
    lines = []
    for kind, name in (("Repository", "repo-0"), ("Repository", "repo-1"), ("Repository", "repo-2"),
                       ("Organization", "org-0")):
        k = served[kind]
        lines += [f'{cond}{{{labels(k, name, type="Synced", status="True", reason="ReconcileSuccess")}}} 1767229200',
                  f'{cond}{{{labels(k, name, type="Ready", status="True", reason="Available")}}} 1767229200',
                  f'{info}{{{labels(k, name, created="2026-01-01T00:00:00Z", external_name=name)}}} 1']
    lines.append(f"{managed.metric(managed.PROVIDER_CONFIG_GENERATION)}{{{labels(managed.PROVIDER_CONFIG, 'default')}}} 1")
    pkg = managed.metric(managed.PACKAGE_CONDITION)
    lines += [f'{pkg}{{{labels(managed.PROVIDER, "provider-gitea", type=t, status="True", reason=r)}}} 1767229200'
              for t, r in (("Installed", "ActivePackageRevision"), ("Healthy", "HealthyPackageRevision"))]
    revision = labels(managed.PROVIDER_REVISION, "provider-gitea-1a2b3c", package="provider-gitea", desired_state="Active",
                      type="Healthy", status="True", reason="HealthyPackageRevision")
    lines.append(f"{pkg}{{{revision}}} 1767229200")
    return lines


# --poll default 1m (provider b5b30da cmd/provider/main.go): a healthy resource's RequeueAfter.
# controller-runtime v0.24.1 pkg/controller/controller.go: with the priority queue (the default) the rate limiter is
# workqueue.NewTypedItemExponentialFailureRateLimiter(5ms, 1000s): per item, 5 ms doubling to a 1000 s cap, reset
# when a reconcile of the item does not ask for a rate-limited requeue (Forget). Written once, in the model's facts.
POLL_SECONDS = provider_facts.POLL_SECONDS
BACKOFF_BASE_SECONDS, BACKOFF_CAP_SECONDS = provider_facts.BACKOFF_BASE_SECONDS, provider_facts.BACKOFF_CAP_SECONDS


class ItemSchedule:
    """When each managed resource of one controller is reconciled, and with which result, in virtual time.

    What the real provider does (recorded in tests/recordings/): a healthy resource is observed once per poll
    interval (crossplane-runtime's managed reconciler returns RequeueAfter: result `requeue_after`); a resource
    whose Gitea call fails returns Requeue: true (result `requeue`, crossplane-runtime pkg/reconciler/managed/
    reconciler.go) and is requeued after its own exponential back-off, so failures thin out instead of repeating at
    the poll rate. `attempts_per_failure` reconciles happen per back-off step: 1 for a failing observe (Gitea down),
    2 for a failing create, which rewrites the external-create annotations and so is reconciled again at once;
    both reconciles are rate-limited requeues, so its delay grows x4 per step (recorded, one-failing).
    """

    def __init__(self, items: int, poll: float = POLL_SECONDS, base: float = BACKOFF_BASE_SECONDS,
                 cap: float = BACKOFF_CAP_SECONDS, attempts_per_failure: int = 1) -> None:
        self.poll, self.base, self.cap, self.attempts = poll, base, cap, attempts_per_failure
        self.due = [poll * i / max(items, 1) for i in range(items)]  # spread over one poll interval
        self.failures = [0] * items
        self.now = 0.0

    def advance(self, until: float, failing: Callable[[int], bool]) -> dict[str, int]:
        """Run every reconcile due up to `until`; `failing(i)` says whether item i's Gitea call fails now.
        Returns the results counted (controller_runtime_reconcile_total increments)."""
        counts = {"requeue_after": 0, "requeue": 0}
        while True:
            i = min(range(len(self.due)), key=self.due.__getitem__, default=None)
            if i is None or self.due[i] > until:
                break
            self.now = self.due[i]
            if failing(i):
                # Each of the step's reconciles is a rate-limited requeue: the item's failure count grows by all.
                self.failures[i] += self.attempts
                counts["requeue"] += self.attempts
                self.due[i] = self.now + min(self.base * 2 ** (self.failures[i] - 1), self.cap)
            else:
                self.failures[i] = 0
                counts["requeue_after"] += 1
                self.due[i] = self.now + self.poll
        self.now = until
        return counts


class ClusterMetrics:
    """kube-state-metrics and cAdvisor series for the provider pods (container package-runtime), and the
    managed resources' state (resource_state_lines)."""

    def __init__(self, replicas: list[Replica], namespace: str, container: str) -> None:
        self.replicas, self.namespace, self.container = replicas, namespace, container
        self.cpu: dict[str, float] = {}
        self.periods: dict[str, float] = {}
        self.server: ThreadingHTTPServer | None = None
        self.port = 0

    def exposition(self) -> bytes:
        lines = []
        for r in self.replicas:
            base = f'namespace="{self.namespace}",pod="{r.pod}",container="{self.container}"'
            self.cpu[r.pod] = self.cpu.get(r.pod, 0) + 0.02
            self.periods[r.pod] = self.periods.get(r.pod, 0) + 10
            lines += [
                f"kube_pod_container_status_restarts_total{{{base},uid=\"{r.index}\"}} 0",
                f'kube_pod_container_resource_limits{{{base},resource="memory",unit="byte"}} 536870912',
                f'kube_pod_container_resource_requests{{{base},resource="memory",unit="byte"}} 268435456',
                f'kube_pod_container_resource_limits{{{base},resource="cpu",unit="core"}} 1',
                f'kube_pod_container_resource_requests{{{base},resource="cpu",unit="core"}} 0.1',
                f'kube_pod_container_info{{{base},image="ghcr.io/rossigee/provider-gitea:v0.15.9",'
                f'image_id="sha256:0",container_id="containerd://{r.index}"}} 1',
                f"container_memory_working_set_bytes{{{base}}} {5.2e7 + r.index * 1e6:.0f}",
                f"container_cpu_usage_seconds_total{{{base}}} {self.cpu[r.pod]:.3f}",
                f"container_cpu_cfs_periods_total{{{base}}} {self.periods[r.pod]:.0f}",
                f"container_cpu_cfs_throttled_periods_total{{{base}}} 0",
            ]
            # cAdvisor counts network per pod (its sandbox), without the container label.
            net = f'namespace="{self.namespace}",pod="{r.pod}",interface="eth0"'
            lines += [f"container_network_receive_bytes_total{{{net}}} {self.periods[r.pod] * 300:.0f}",
                      f"container_network_transmit_bytes_total{{{net}}} {self.periods[r.pod] * 200:.0f}",
                      f"container_network_receive_errors_total{{{net}}} 0",
                      f"container_network_transmit_errors_total{{{net}}} 0",
                      f"container_network_receive_packets_dropped_total{{{net}}} 0",
                      f"container_network_transmit_packets_dropped_total{{{net}}} 0"]
        lines += resource_state_lines()
        return ("\n".join(lines) + "\n").encode()

    def serve(self) -> None:
        self.server = serve_exposition(lambda _path: self.exposition())
        self.port = self.server.server_address[1]


class ProviderSimulator:
    def __init__(self, replicas: int = 3, controllers: tuple[str, ...] = DEFAULT_CONTROLLERS,
                 namespace: str = "crossplane-system", container: str = "package-runtime",
                 tick_seconds: float = 0.5, lease_seconds: float = 3.0, leader_election: bool = True) -> None:
        self.replicas = [Replica(i, controllers, leader_election) for i in range(replicas)]
        self.mode = "healthy"
        self.leader = 0
        self.replicas[self.leader].start_controllers()  # replica 0 holds the lease from the start
        self.tick_seconds, self.lease_seconds = tick_seconds, lease_seconds
        self._leader_lost_at: float | None = None
        self._stop = threading.Event()
        for r in self.replicas:
            r.serve()
        self.cluster = ClusterMetrics(self.replicas, namespace, container)
        self.cluster.serve()
        threading.Thread(target=self._loop, daemon=True).start()

    @property
    def targets(self) -> list[tuple[str, str]]:
        """(host:port, pod) per replica."""
        return [(f"127.0.0.1:{r.port}", r.pod) for r in self.replicas]

    @property
    def cluster_target(self) -> str:
        return f"127.0.0.1:{self.cluster.port}"

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        self.mode = mode

    def stop(self, index: int) -> None:
        self.replicas[index].shutdown()

    def start(self, index: int) -> None:
        self.replicas[index].serve(self.replicas[index].port)

    def running(self, index: int) -> bool:
        return self.replicas[index].server is not None

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            if not self.running(self.leader):
                # The lease expires, then a running replica takes it.
                now = time.monotonic()
                self._leader_lost_at = self._leader_lost_at or now
                alive = [r.index for r in self.replicas if r.server]
                if alive and now - self._leader_lost_at >= self.lease_seconds:
                    self.leader, self._leader_lost_at = alive[0], None
            for r in self.replicas:
                r.tick(self.mode, r.index == self.leader and r.server is not None, self.tick_seconds)

    def close(self) -> None:
        self._stop.set()
        for r in self.replicas:
            r.shutdown()
        if self.cluster.server:
            self.cluster.server.shutdown()
