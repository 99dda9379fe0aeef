"""The configuration's schema: every field a definition may read, with its default and what it means.

Defaults suit a stock install of the provider in `crossplane-system`. A YAML file overrides any
field (config_loader.py reads it, config_checks.py checks it); config.py is the one import for all three.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from gitea_provider_monitoring import __version__
from gitea_provider_monitoring.model import provider_facts
from gitea_provider_monitoring.model.overrides import Overrides

DEFAULT_CONTROLLERS = provider_facts.CONTROLLERS


@dataclass(frozen=True)
class ProviderConfig:
    """How the provider's own metrics are found."""

    job: str = "provider-gitea"
    namespace: str = "crossplane-system"
    # Pods and container as kube-state-metrics and cAdvisor name them (Crossplane names the
    # provider Deployment after the package and the container `package-runtime`).
    pod_regex: str = "provider-gitea-.*"
    container: str = "package-runtime"
    metrics_port: int = 8080
    controllers: tuple[str, ...] = DEFAULT_CONTROLLERS
    # Off by default, as in the provider (`--leader-election`, cmd/provider/main.go): no replica then exports
    # leader_election_master_status. On: GiteaProviderNoLeader exists and the runtime config passes the flag.
    leader_election: bool = provider_facts.LEADER_ELECTION_DEFAULT
    # Provider pods the exporter component's DeploymentRuntimeConfig asks for (Crossplane's default is 1).
    # More than one without leader_election: every replica reconciles every resource (the build warns).
    replicas: int = 1
    package_name: str = "provider-gitea"  # the Provider object's name (pods carry pkg.crossplane.io/provider=<it>)
    package_ref: str = "ghcr.io/rossigee/provider-gitea:v0.15.9"  # the package the example Provider installs


_POD_SUFFIXES = ("5f7c9d8b7-aaaaa", "5f7c9d8b7-bbbbb", "5f7c9d8b7-ccccc")


def example_pods(provider: ProviderConfig) -> tuple[str, ...] | None:
    """Three pod names that `provider.pod_regex` matches, for test inputs: the package's pods as Crossplane names
    them, or the regex's literal prefix with a pod suffix. None when it matches neither."""
    literal = re.split(r"[.\[\](){}*+?|^$\\]", provider.pod_regex, maxsplit=1)[0]
    for prefix in (f"{provider.package_name}-1a2b3c4d5e6f-", f"{provider.package_name}-", literal, f"{literal}-"):
        names = tuple(f"{prefix}{s}" for s in _POD_SUFFIXES)
        try:
            if all(re.fullmatch(provider.pod_regex, n) for n in names):
                return names
        except re.error:
            return None
    return None


@dataclass(frozen=True)
class ExporterConfig:
    """The gitea-api-exporter sidecar: how it is scraped and deployed."""

    job: str = "gitea-api-exporter"
    port: int = 9523
    # Published by .github/workflows/release.yml on each version tag (ghcr.io/<owner>/<repository>/...).
    image: str = f"ghcr.io/gitea-provider-monitoring/gitea-provider-monitoring/gitea-api-exporter:{__version__}"
    gitea_url: str = "http://gitea-http.gitea.svc:3000"
    interval: str = "15s"
    timeout: str = "10s"
    token_secret_name: str = "gitea-credentials"
    token_secret_key: str = "token"
    # The DeploymentRuntimeConfig adding the sidecar. If the Provider already has one, name it here and apply
    # the exporter component server-side: the sidecar is merged into it (docs/install.md).
    runtime_config_name: str = "provider-gitea-monitoring"
    # probe (default), or proxy / both: the sidecar also forwards the provider's Gitea calls (point the
    # ProviderConfig's base URL at http://127.0.0.1:<proxy_port>) and measures them per kind.
    mode: str = "probe"
    proxy_port: int = 9524


@dataclass(frozen=True)
class Thresholds:
    """Every alert threshold and `for` duration. Dashboards draw the same numbers."""

    provider_down_for: str = "5m"
    replica_down_for: str = "10m"
    no_leader_for: str = "5m"
    gitea_down_for: str = "3m"
    token_rejected_for: str = "5m"
    token_missing_for: str = "5m"  # the sidecar has no token to send (Secret missing or empty)
    token_scope_for: str = "15m"  # the token is valid but lacks a scope a probe needs
    reconcile_failure_ratio: float = 0.25
    reconcile_failure_for: str = "15m"
    # Long enough to hold every failing resource's next attempt: the provider backs a failing resource off up to
    # 1000 s (provider_facts.BACKOFF_CAP_SECONDS), so a 5m window can hold no reconcile at all during an outage.
    reconcile_failure_window: str = "30m"
    reconcile_latency_quantile: float = 0.99
    reconcile_latency_seconds: float = 10.0
    reconcile_latency_for: str = "15m"
    workqueue_depth: float = 100.0
    workqueue_depth_for: str = "15m"
    workqueue_wait_quantile: float = 0.99
    workqueue_wait_seconds: float = 60.0
    workqueue_wait_for: str = "15m"
    workqueue_unfinished_seconds: float = 300.0
    workqueue_unfinished_for: str = "15m"
    workers_saturation_ratio: float = 0.9
    workers_saturation_for: str = "15m"
    gitea_latency_quantile: float = 0.95
    gitea_latency_seconds: float = 2.0
    gitea_latency_for: str = "10m"
    gitea_error_ratio: float = 0.05
    gitea_error_for: str = "10m"
    gitea_health_check_for: str = "5m"
    gitea_rate_limited_ratio: float = 0.05  # share of probes (or of proxied calls per kind) answered 429
    gitea_rate_limited_for: str = "10m"
    proxy_error_ratio: float = 0.1  # proxy mode: failed creates/updates/deletes per kind
    proxy_error_for: str = "15m"
    proxy_latency_quantile: float = 0.95
    proxy_latency_seconds: float = 5.0
    proxy_latency_for: str = "15m"
    restarts_window: str = "1h"
    restarts_count: float = 3.0
    memory_limit_ratio: float = 0.9
    memory_for: str = "15m"
    cpu_throttling_ratio: float = 0.25
    cpu_throttling_for: str = "15m"
    kube_api_error_ratio: float = 0.05
    kube_api_error_for: str = "15m"
    panics_window: str = "10m"
    terminal_errors_window: str = "10m"
    exporter_down_for: str = "5m"
    tls_expiry_days: float = 14.0
    tls_expiry_for: str = "1h"
    change_window: str = "1h"
    replicas_changed_for: str = "10m"
    # Managed resources' conditions, read by kube-state-metrics (alerts/resources.py, docs/resource-state.md).
    resource_not_synced_for: str = "10m"  # critical: a resource's Synced condition is not True
    resource_not_ready_for: str = "30m"  # a resource is not Ready (Creating, Unavailable): longer than a create takes
    resource_deleting_for: str = "30m"  # a resource has a deletion timestamp but is still there
    resource_unserved_for: str = "15m"  # a resource no controller ever reconciled (no Synced condition)
    provider_package_unhealthy_for: str = "10m"  # Provider / ProviderRevision not Installed or not Healthy


@dataclass(frozen=True)
class ResourceStateConfig:
    """kube-state-metrics reading the managed resources' Synced/Ready conditions (docs/resource-state.md).

    The provider does not export them itself; kube-state-metrics' custom-resource-state config, generated
    for every managed kind (monitoring/model/managed.py), turns them into series. `job` is the job label of
    the scrape that reads them: kube-prometheus-stack's own kube-state-metrics, or the ServiceMonitor of the
    resource-state component for one you run (`namespace`, `service_account`, `service_labels`, `port_name`).
    """

    job: str = "kube-state-metrics"
    namespace: str = "monitoring"  # where that kube-state-metrics runs (its ConfigMap and ServiceMonitor go there)
    service_account: str = "kube-state-metrics"  # its ServiceAccount: the component's ClusterRoleBinding names it
    service_labels: dict[str, str] = field(default_factory=lambda: {"app.kubernetes.io/name": "kube-state-metrics"})
    port_name: str = "http"  # the Service port serving /metrics (the kube-state-metrics chart calls it http)
    config_map_name: str = "gitea-provider-resource-state"


@dataclass(frozen=True)
class AlertmanagerConfig:
    """Routing in build/alertmanager/alertmanager.yml: one receiver per severity, webhooks by default."""

    page_url: str = "http://alert-receiver.monitoring.svc/page"  # critical: wake someone up
    chat_url: str = "http://alert-receiver.monitoring.svc/chat"  # warning: the team's channel
    ticket_url: str = "http://alert-receiver.monitoring.svc/ticket"  # info: a ticket queue
    group_wait: str = "30s"
    group_interval: str = "5m"
    repeat_interval: str = "4h"
    # A critical alert silences warnings that share these labels (same cluster and namespace).
    inhibit_equal: tuple[str, ...] = ("namespace",)


@dataclass(frozen=True)
class KubernetesConfig:
    """Labels that make the user's stack pick up each kind of object, and what the optional components need.

    kube-prometheus-stack's Prometheus selects PrometheusRules and PodMonitors by `release: <helm release>`:
    `prometheus_rule_labels: {release: kube-prometheus-stack}` and the same for `pod_monitor_labels`.
    """

    labels: dict[str, str] = field(default_factory=dict)  # on every generated object
    prometheus_rule_labels: dict[str, str] = field(default_factory=dict)
    pod_monitor_labels: dict[str, str] = field(default_factory=dict)
    dashboard_configmap_labels: dict[str, str] = field(default_factory=dict)  # Grafana sidecar component
    grafana_dashboard_labels: dict[str, str] = field(default_factory=dict)  # grafana-operator component (+ folder)
    alertmanager_config_labels: dict[str, str] = field(default_factory=dict)
    network_policy_labels: dict[str, str] = field(default_factory=dict)
    runtime_config_labels: dict[str, str] = field(default_factory=dict)
    # grafana-operator: let Grafana instances in other namespaces (matched by grafana_instance_selector) import
    # the GrafanaFolder and GrafanaDashboards, which live in kubernetes_namespace.
    grafana_allow_cross_namespace_import: bool = True
    # NetworkPolicy component: the only pods admitted to the exporter's metrics port.
    prometheus_namespace: str = "monitoring"
    prometheus_pod_labels: dict[str, str] = field(default_factory=lambda: {"app.kubernetes.io/name": "prometheus"})


@dataclass(frozen=True)
class SLO:
    """One service-level objective: the objective and, for latency SLOs, the threshold."""

    objective: Decimal
    latency_seconds: float | None = None


@dataclass(frozen=True)
class SLOConfig:
    period: str = "30d"
    reconcile: SLO = SLO(objective=Decimal("0.99"))
    gitea_availability: SLO = SLO(objective=Decimal("0.995"))
    # The latency threshold must be a bucket boundary of gitea_api_probe_duration_seconds.
    gitea_latency: SLO = SLO(objective=Decimal("0.99"), latency_seconds=1.0)
    fast_burn_for: str = "2m"
    slow_burn_for: str = "15m"


@dataclass(frozen=True)
class Config:
    """Everything a definition may read. Renderers get model objects, never this."""

    cluster_label: str = "cluster"
    # The rate() window of recording rules and ratio alerts (names keep saying 5m, the default).
    rate_window: str = "5m"
    multi_cluster: bool = False  # show the cluster variable on dashboards
    scrape_interval: str = "30s"
    evaluation_interval: str = "1m"
    runbook_base_url: str = (
        "https://github.com/gitea-provider-monitoring/gitea-provider-monitoring/blob/main/docs/runbooks.md"
    )
    kubernetes_namespace: str = "crossplane-system"
    grafana_folder: str = "Crossplane Gitea Provider"
    # The oldest Grafana the dashboards must load in: "10.4", "11.0", "12.0" or "12.1" (docs/push.md, "Which
    # schemaVersion the build writes"); the build writes that version's schemaVersion (monitoring/model/grafana_model.py).
    grafana_min_version: str = "10.4"
    grafana_instance_selector: dict[str, str] = field(default_factory=lambda: {"dashboards": "grafana"})
    # One label on every alert saying it is ours: Alertmanager routes and inhibits on it (and severity).
    project_label_name: str = "part_of"
    project_label_value: str = "gitea-provider-monitoring"
    kubernetes: KubernetesConfig = field(default_factory=KubernetesConfig)
    provider: ProviderConfig = ProviderConfig()
    exporter: ExporterConfig = ExporterConfig()
    thresholds: Thresholds = Thresholds()
    slo: SLOConfig = SLOConfig()
    alertmanager: AlertmanagerConfig = AlertmanagerConfig()
    resource_state: ResourceStateConfig = field(default_factory=ResourceStateConfig)
    # Your own definitions: Python modules to load (see docs/extending.md), plus any installed package
    # registering one in the `gitea_monitoring.extensions` entry-point group unless switched off.
    extensions: tuple[str, ...] = ()
    entry_point_extensions: bool = True
    overrides: Overrides = Overrides()  # disable alerts, change severity/for/thresholds, add labels
    settings: dict[str, str] = field(default_factory=dict)  # numbers and durations extensions read (api.setting)

    # Selectors, written once and used by every rule and panel.
    @property
    def provider_selector(self) -> str:
        return f'job="{self.provider.job}", namespace="{self.provider.namespace}"'

    @property
    def exporter_selector(self) -> str:
        return f'job="{self.exporter.job}", namespace="{self.provider.namespace}"'

    @property
    def resource_state_selector(self) -> str:
        """kube-state-metrics series of the managed resources, ProviderConfigs and the provider package."""
        return f'job="{self.resource_state.job}"'

    @property
    def provider_pod_selector(self) -> str:
        """kube-state-metrics / cAdvisor series of the provider container."""
        p = self.provider
        return f'namespace="{p.namespace}", pod=~"{p.pod_regex}", container="{p.container}"'

    def by(self, *labels: str) -> str:
        """`cluster, namespace, ...`: the aggregation labels, always keeping the cluster label."""
        return ", ".join((self.cluster_label, "namespace", *labels))

    def runbook_url(self, alert: str) -> str:
        return f"{self.runbook_base_url}#{alert.lower()}"
