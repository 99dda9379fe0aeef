"""Capacity Planning: resources against requests and limits, saturation and trends."""

from __future__ import annotations

from gitea_provider_monitoring.alerts import measure
from gitea_provider_monitoring.alerts import recording as rec
from gitea_provider_monitoring.model import panels as p
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.dashboard import DashboardDef

UID = "gitea-provider-capacity"


def dashboard(config: Config) -> DashboardDef:
    pod = p.pod_sel(config)
    prov = p.provider_sel(config, 'pod=~"$pod"')
    g = p.Grid()
    g.row("CPU and memory")
    g.add(p.timeseries("CPU usage vs request and limit", "Cores used per pod against the container's request and limit.",
                       "short", [(f"sum by (pod) (rate(container_cpu_usage_seconds_total{{{pod}}}[$__rate_interval]))",
                                  "{{pod}} used"),
                                 (f'max by (pod) (kube_pod_container_resource_requests{{{pod}, resource="cpu"}})',
                                  "{{pod}} request"),
                                 (f'max by (pod) (kube_pod_container_resource_limits{{{pod}, resource="cpu"}})',
                                  "{{pod}} limit")]), w=12)
    g.add(p.timeseries("Memory vs request and limit", "Working-set memory per pod against request and limit.",
                       "bytes", [(f"max by (pod) (container_memory_working_set_bytes{{{pod}}})", "{{pod}} working set"),
                                 (f'max by (pod) (kube_pod_container_resource_requests{{{pod}, resource="memory"}})',
                                  "{{pod}} request"),
                                 (f'max by (pod) (kube_pod_container_resource_limits{{{pod}, resource="memory"}})',
                                  "{{pod}} limit")],
                       links=p.runbook_links(config, "GiteaProviderMemoryNearLimit")), w=12)
    throttling = measure(config, "GiteaProviderCPUThrottled")
    g.add(p.timeseries("CPU throttling", "Share of CFS periods in which the container was throttled.", "percentunit",
                       [(throttling.query(pod, "$__rate_interval"), "{{pod}}")], steps=p.alert_steps(throttling),
                       links=p.runbook_links(config, throttling)), w=8)
    g.add(p.timeseries("Goroutines", "Goroutines per replica (a steady climb suggests a leak).", "short",
                       [(f"go_goroutines{{{prov}}}", "{{pod}}")]), w=8)
    g.add(p.gauge("Open file descriptors", "Open fds against the process limit, worst replica.", "percentunit",
                  [(f"max(process_open_fds{{{prov}}} / process_max_fds{{{prov}}})", "fds")],
                  steps=p.thresholds((None, p.GREEN), (0.8, p.YELLOW), (0.9, p.RED))), w=8)
    g.row("Network")
    net = p.pod_network_sel(config)
    rate = lambda m: f"sum by (pod) (rate({m}{{{net}}}[$__rate_interval]))"  # noqa: E731
    g.add(p.timeseries("Network receive / transmit", "Bytes per second the provider's pods receive and send, all "
                       "interfaces (cAdvisor counts per pod: the provider and the exporter sidecar together).", "Bps",
                       [(rate("container_network_receive_bytes_total"), "{{pod}} receive"),
                        (rate("container_network_transmit_bytes_total"), "{{pod}} transmit")]), w=12)
    g.add(p.timeseries("Network errors and drops", "Receive and transmit errors and dropped packets per second of "
                       "the provider's pods; anything but 0 points at the node or the CNI.", "pps",
                       [(rate("container_network_receive_errors_total"), "{{pod}} receive errors"),
                        (rate("container_network_transmit_errors_total"), "{{pod}} transmit errors"),
                        (rate("container_network_receive_packets_dropped_total"), "{{pod}} receive drops"),
                        (rate("container_network_transmit_packets_dropped_total"), "{{pod}} transmit drops")]), w=12)
    g.row("Throughput and saturation")
    all_prov = p.provider_sel(config)
    workers = measure(config, "GiteaProviderWorkersSaturated")
    g.add(p.bargauge("Worker saturation", "Busy workers / pool size per controller on the leader.", "percentunit",
                     [(workers.query(all_prov, ""), "{{controller}}")], steps=p.alert_steps(workers)), w=8)
    g.add(p.timeseries("Reconcile throughput vs capacity", "Reconciles per second against what the worker pool can "
                       "do at the current mean reconcile time (workers / mean seconds per reconcile).", "ops",
                       [(rec.reconcile_rate("", all_prov, "$__rate_interval"), "throughput"),
                        (f"sum(max by (controller) (controller_runtime_max_concurrent_reconciles{{{all_prov}}}) / "
                         "(sum by (controller) (rate(controller_runtime_reconcile_time_seconds_sum"
                         f"{{{all_prov}}}[$__rate_interval])) / sum by (controller) (rate("
                         f"controller_runtime_reconcile_time_seconds_count{{{all_prov}}}[$__rate_interval]))))",
                         "capacity")]), w=16)
    g.row("Trends")
    g.add(p.timeseries("Memory forecast (24h)", "Working set predicted 24h ahead from the last 6h, against the limit.",
                       "bytes", [(f"max by (pod) (predict_linear(container_memory_working_set_bytes{{{pod}}}[6h], 86400))",
                                  "{{pod}} in 24h"),
                                 (f'max by (pod) (kube_pod_container_resource_limits{{{pod}, resource="memory"}})',
                                  "{{pod}} limit")]), w=12)
    depth = measure(config, "GiteaProviderWorkQueueDepthHigh")
    g.add(p.timeseries("Queue depth forecast (1h)", "Work queue depth predicted 1h ahead from the last 30m.", "short",
                       # A subquery of the alert's sum: per-pod fits would keep projecting a replaced leader's queue.
                       [(f"predict_linear(({depth.query(all_prov, '')})[30m:], 3600)", "{{name}} in 1h")],
                       steps=p.alert_steps(depth)), w=12)
    return DashboardDef("capacity-planning", p.dashboard(
        config, uid=UID, title="Gitea Provider / Capacity Planning",
        description="CPU and memory against requests and limits, throttling, goroutines, fds, network, worker saturation, "
                    "throughput against capacity and forecasts.",
        grid=g, templating=p.variables(config), time_from="now-7d", refresh="5m"))
