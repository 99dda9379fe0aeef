"""The metric catalog: every metric a rule or panel may use, with its type, labels and source.

The build refuses an expression that names a metric outside this catalog (or a recording rule we
define), which is how a rule on a metric the provider does not expose is caught before it ships.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# One list of each: the exporter sets them. The exporter's histograms: their bucket bounds and how it writes
# one in `le` ("1.0", as client_python does); definitions read them here (they import the model, not the exporter).
from gitea_provider_monitoring.exporters.gitea_api.metrics import (  # noqa: F401
    PROBE_DURATION_BUCKETS,
    PROXY_REFUSAL_REASONS,
    TOKEN_STATES,
    le,
)
from gitea_provider_monitoring.model import managed as _managed

COUNTER, GAUGE, HISTOGRAM, SUMMARY, INFO = "counter", "gauge", "histogram", "summary", "info"

# Sources
PROVIDER = "provider (controller-runtime, :8080/metrics)"
CROSSPLANE_RUNTIME = "provider (crossplane-runtime managed-resource metrics; not enabled yet)"
EXPORTER = "gitea-api-exporter"
EXPORTER_PROXY = "gitea-api-exporter (proxy mode)"
KUBE_STATE_METRICS = "kube-state-metrics"
CADVISOR = "cAdvisor (kubelet)"
PROMETHEUS = "Prometheus (synthetic)"

# Labels that the scrape adds to every series of a target.
TARGET_LABELS = frozenset({"job", "instance", "namespace", "pod", "container", "cluster", "endpoint_name"})


@dataclass(frozen=True)
class Metric:
    name: str
    type: str
    labels: tuple[str, ...]
    source: str
    help: str
    optional: bool = False  # may be absent on a healthy install; never depend on it
    label_values: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def series_names(self) -> tuple[str, ...]:
        if self.type == HISTOGRAM:
            return (f"{self.name}_bucket", f"{self.name}_sum", f"{self.name}_count")
        if self.type == SUMMARY:
            return (self.name, f"{self.name}_sum", f"{self.name}_count")
        return (self.name,)


RECONCILE_RESULTS = ("success", "error", "requeue", "requeue_after")
PROBE_FAILURE_REASONS = ("timeout", "connection", "tls", "rate_limited", "http_4xx", "http_5xx", "invalid_response")
OPERATIONS = ("observe", "create", "update", "delete")
KINDS = ("Repository", "Organization", "User", "Webhook", "other")

_C = "controller"
_CR = (_managed.GROUP_LABEL, _managed.KIND_LABEL, _managed.VERSION_LABEL)

METRICS: tuple[Metric, ...] = (
    # controller-runtime, served by the provider.
    Metric("controller_runtime_reconcile_total", COUNTER, (_C, "result"), PROVIDER,
           "Reconciles per controller and result.", label_values={"result": RECONCILE_RESULTS}),
    Metric("controller_runtime_reconcile_errors_total", COUNTER, (_C,), PROVIDER,
           "Reconciles that returned an error (a failed Gitea call is usually a requeue instead)."),
    Metric("controller_runtime_terminal_reconcile_errors_total", COUNTER, (_C,), PROVIDER,
           "Reconciles that returned a terminal error (not retried)."),
    Metric("controller_runtime_reconcile_panics_total", COUNTER, (_C,), PROVIDER, "Reconciles that panicked."),
    Metric("controller_runtime_reconcile_timeouts_total", COUNTER, (_C,), PROVIDER,
           "Reconciles that hit the controller's reconcile timeout (controller-runtime 0.22+; recorded, #27)."),
    Metric("controller_runtime_reconcile_time_seconds", HISTOGRAM, (_C,), PROVIDER, "Time per reconcile."),
    Metric("controller_runtime_active_workers", GAUGE, (_C,), PROVIDER, "Workers reconciling now."),
    Metric("controller_runtime_max_concurrent_reconciles", GAUGE, (_C,), PROVIDER, "Worker pool size."),
    Metric("workqueue_depth", GAUGE, ("name", _C, "priority"), PROVIDER,
           "Items waiting in the work queue, per priority (controller-runtime 0.24's priority queue; items waiting "
           "out a back-off are not counted)."),
    Metric("workqueue_adds_total", COUNTER, ("name", _C), PROVIDER, "Items added to the work queue."),
    Metric("workqueue_retries_total", COUNTER, ("name", _C), PROVIDER,
           "Items added with a delay: every requeue, healthy polls (RequeueAfter) included (recorded, #27)."),
    Metric("workqueue_queue_duration_seconds", HISTOGRAM, ("name", _C), PROVIDER,
           "Time an item waits in the queue before it is processed."),
    Metric("workqueue_work_duration_seconds", HISTOGRAM, ("name", _C), PROVIDER, "Time processing an item."),
    Metric("workqueue_unfinished_work_seconds", GAUGE, ("name", _C), PROVIDER,
           "Seconds of work in progress not yet observed by work_duration (stuck workers grow it)."),
    Metric("workqueue_longest_running_processor_seconds", GAUGE, ("name", _C), PROVIDER,
           "Age of the longest running worker."),
    Metric("rest_client_requests_total", COUNTER, ("code", "method", "host"), PROVIDER,
           "Kubernetes API requests by status code."),
    Metric("leader_election_master_status", GAUGE, ("name",), PROVIDER,
           "1 on the replica that holds the leader lease."),
    Metric("process_cpu_seconds_total", COUNTER, (), PROVIDER, "CPU time of the process."),
    Metric("process_resident_memory_bytes", GAUGE, (), PROVIDER, "Resident memory of the process."),
    Metric("process_start_time_seconds", GAUGE, (), PROVIDER, "Start time of the process (unix seconds)."),
    Metric("process_open_fds", GAUGE, (), PROVIDER, "Open file descriptors."),
    Metric("process_max_fds", GAUGE, (), PROVIDER, "File descriptor limit."),
    Metric("go_goroutines", GAUGE, (), PROVIDER, "Goroutines."),
    Metric("go_memstats_heap_inuse_bytes", GAUGE, (), PROVIDER, "Heap in use."),
    Metric("go_info", GAUGE, ("version",), PROVIDER, "Go version the binary was built with."),
    # crossplane-runtime managed-resource metrics: supported, never required.
    Metric("crossplane_managed_resource_exists", GAUGE, ("gvk",), CROSSPLANE_RUNTIME,
           "Managed resources that exist.", optional=True),
    Metric("crossplane_managed_resource_ready", GAUGE, ("gvk",), CROSSPLANE_RUNTIME,
           "Managed resources that are Ready.", optional=True),
    Metric("crossplane_managed_resource_synced", GAUGE, ("gvk",), CROSSPLANE_RUNTIME,
           "Managed resources that are Synced.", optional=True),
    Metric("crossplane_managed_resource_first_time_to_readiness_seconds", HISTOGRAM, ("gvk",),
           CROSSPLANE_RUNTIME, "Time from creation to first Ready.", optional=True),
    Metric("crossplane_managed_resource_first_time_to_reconcile_seconds", HISTOGRAM, ("gvk",),
           CROSSPLANE_RUNTIME, "Time from creation to first reconcile.", optional=True),
    Metric("crossplane_managed_resource_drift_seconds", HISTOGRAM, ("gvk",), CROSSPLANE_RUNTIME,
           "Time since the last reconcile when a drift is found.", optional=True),
    # gitea-api-exporter (probe mode).
    Metric("gitea_api_probe_duration_seconds", HISTOGRAM, ("endpoint",), EXPORTER,
           "Duration of each Gitea API probe."),
    Metric("gitea_api_probes_total", COUNTER, ("endpoint",), EXPORTER, "Probes sent."),
    Metric("gitea_api_probe_failures_total", COUNTER, ("endpoint", "reason"), EXPORTER, "Probes that failed.",
           label_values={"reason": PROBE_FAILURE_REASONS}),
    Metric("gitea_api_up", GAUGE, (), EXPORTER, "1 when the last health probe succeeded."),
    Metric("gitea_api_last_status_code", GAUGE, ("endpoint",), EXPORTER, "HTTP status of the last probe."),
    Metric("gitea_api_health_check_status", GAUGE, ("check",), EXPORTER,
           "Gitea /api/healthz checks: 1 pass, 0 fail."),
    Metric("gitea_api_token_valid", GAUGE, (), EXPORTER, "1 when Gitea accepts the provider's token."),
    Metric("gitea_api_token_state", GAUGE, ("state",), EXPORTER, "The token's state: 1 for the current one.",
           label_values={"state": TOKEN_STATES}),
    Metric("gitea_api_tls_cert_expiry_timestamp_seconds", GAUGE, (), EXPORTER,
           "Expiry of Gitea's TLS certificate (https only).", optional=True),
    Metric("gitea_api_info", GAUGE, ("version",), EXPORTER, "Gitea server version."),
    Metric("gitea_api_exporter_build_info", GAUGE, ("version",), EXPORTER, "Exporter version."),
    Metric("gitea_api_probe_backoff_seconds", GAUGE, (), EXPORTER,
           "Seconds the prober still waits after a 429 answer (0: not backing off)."),
    Metric("gitea_api_probe_backoffs_total", COUNTER, (), EXPORTER, "Back-offs after a 429 answer."),
    # gitea-api-exporter (proxy mode, opt-in).
    Metric("gitea_api_requests_total", COUNTER, ("kind", "operation", "code"), EXPORTER_PROXY,
           "Provider calls to Gitea through the proxy.", optional=True,
           label_values={"operation": OPERATIONS, "kind": KINDS}),
    Metric("gitea_api_request_duration_seconds", HISTOGRAM, ("kind", "operation"), EXPORTER_PROXY,
           "Time to response headers of provider calls to Gitea.", optional=True,
           label_values={"operation": OPERATIONS, "kind": KINDS}),
    Metric("gitea_api_proxy_refused_total", COUNTER, ("reason",), EXPORTER_PROXY,
           "Requests the proxy refused and never forwarded (not an API call, not origin-form, no Host, bad framing).",
           optional=True, label_values={"reason": PROXY_REFUSAL_REASONS}),
    # kube-state-metrics and cAdvisor: restarts and container resources.
    Metric("kube_pod_container_status_restarts_total", COUNTER, (), KUBE_STATE_METRICS, "Container restarts."),
    Metric("kube_pod_container_resource_limits", GAUGE, ("resource", "unit"), KUBE_STATE_METRICS,
           "Container limits."),
    Metric("kube_pod_container_resource_requests", GAUGE, ("resource", "unit"), KUBE_STATE_METRICS,
           "Container requests."),
    Metric("kube_pod_container_info", GAUGE, ("image", "image_id", "container_id"), KUBE_STATE_METRICS,
           "Container image."),
    Metric("container_memory_working_set_bytes", GAUGE, (), CADVISOR, "Working set memory."),
    Metric("container_cpu_usage_seconds_total", COUNTER, (), CADVISOR, "CPU time."),
    Metric("container_cpu_cfs_periods_total", COUNTER, (), CADVISOR, "CFS periods."),
    Metric("container_cpu_cfs_throttled_periods_total", COUNTER, (), CADVISOR, "Throttled CFS periods."),
    # cAdvisor per pod network (the pod's sandbox: container="" or "POD", not the provider's container).
    Metric("container_network_receive_bytes_total", COUNTER, ("interface",), CADVISOR, "Bytes received."),
    Metric("container_network_transmit_bytes_total", COUNTER, ("interface",), CADVISOR, "Bytes sent."),
    Metric("container_network_receive_errors_total", COUNTER, ("interface",), CADVISOR, "Errors receiving."),
    Metric("container_network_transmit_errors_total", COUNTER, ("interface",), CADVISOR, "Errors sending."),
    Metric("container_network_receive_packets_dropped_total", COUNTER, ("interface",), CADVISOR,
           "Received packets dropped."),
    Metric("container_network_transmit_packets_dropped_total", COUNTER, ("interface",), CADVISOR,
           "Sent packets dropped."),
    # kube-state-metrics custom-resource-state, with the config this project generates
    # (monitoring/render/resource_state.py; names in monitoring/model/managed.py).
    Metric(_managed.metric(_managed.CONDITION), GAUGE, (*_CR, "name", "type", "status", "reason"), KUBE_STATE_METRICS,
           "A managed resource's condition; value: its lastTransitionTime.",
           label_values={"type": _managed.CONDITION_TYPES, "status": ("True", "False", "Unknown")}),
    Metric(_managed.metric(_managed.INFO), INFO, (*_CR, "name", "created", "deletion_timestamp", "external_name"),
           KUBE_STATE_METRICS, "A managed resource: created, deletion timestamp, external name."),
    Metric(_managed.metric(_managed.PROVIDER_CONFIG_GENERATION), GAUGE, (*_CR, "name"), KUBE_STATE_METRICS,
           "metadata.generation of a ProviderConfig."),
    Metric(_managed.metric(_managed.PACKAGE_CONDITION), GAUGE,
           (*_CR, "name", "type", "status", "reason", "package", "desired_state"), KUBE_STATE_METRICS,
           "A condition of Crossplane's Provider / ProviderRevision; value: its lastTransitionTime.",
           label_values={"status": ("True", "False", "Unknown")}),
    # Prometheus itself.
    Metric("up", GAUGE, (), PROMETHEUS, "1 when the last scrape of the target succeeded."),
    Metric("ALERTS", GAUGE, ("alertname", "alertstate", "severity"), PROMETHEUS, "Pending and firing alerts."),
)

def by_series(metrics: Iterable[Metric]) -> dict[str, Metric]:
    """Series name -> metric (`foo_bucket`, `foo_sum`, `foo_count` -> histogram `foo`)."""
    return {s: m for m in metrics for s in m.series_names()}


_BY_SERIES: dict[str, Metric] = by_series(METRICS)


def lookup(series_name: str, extra: Mapping[str, Metric] | None = None) -> Metric | None:
    """The catalog entry for a series name (`foo_bucket` finds histogram `foo`).

    `extra`: the metrics extensions declared (`by_series(...)` of them), looked up after ours.
    """
    return _BY_SERIES.get(series_name) or (extra or {}).get(series_name)


def metric(name: str) -> Metric:
    """The catalog entry for a metric name; KeyError names the metric when it is unknown."""
    found = lookup(name)
    if found is None:
        raise KeyError(f"metric {name!r} is not in the catalog (monitoring/model/catalog.py)")
    return found
