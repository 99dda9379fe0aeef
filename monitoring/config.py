"""The one configuration every definition reads: selectors, thresholds, SLOs, URLs.

Defaults suit a stock install of the provider in `crossplane-system`. A YAML file overrides any
field (`gitea-monitoring build --config FILE`); unknown keys are errors so that a typo never
silently leaves a default in place.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from monitoring import __version__, bounded_load
from monitoring.errors import ConfigError, ConfigFileError
from monitoring.overrides import Overrides

DURATION_RE = re.compile(r"^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$")
_UNIT_SECONDS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}


def duration_seconds(value: str) -> float:
    """Seconds in a Prometheus duration such as `1h30m` or `800ms`."""
    if not value or not DURATION_RE.match(value):
        raise ValueError(f"{value!r} is not a Prometheus duration (like 30s, 5m, 1h30m)")
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in re.findall(r"(\d+)(ms|y|w|d|h|m|s)", value))


DEFAULT_CONTROLLERS = (
    "managed/repository",
    "managed/organization",
    "managed/user",
    "managed/webhook",
    "providerconfig.gitea.crossplane.io",
)


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
    leader_election: bool = True
    package_name: str = "provider-gitea"  # the Provider object's name (pods carry pkg.crossplane.io/provider=<it>)
    package_ref: str = "ghcr.io/rossigee/provider-gitea:v0.15.9"  # the package the example Provider installs


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
    # the exporter component server-side: the sidecar is merged into it (README "Install on kube-prometheus-stack").
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
    # The oldest Grafana the dashboards must load in: "10.4", "11.0", "12.0" or "12.1" (README, "Push to
    # Grafana"); the build writes that version's schemaVersion (monitoring/grafana/convert.py).
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
    def provider_pod_selector(self) -> str:
        """kube-state-metrics / cAdvisor series of the provider container."""
        p = self.provider
        return f'namespace="{p.namespace}", pod=~"{p.pod_regex}", container="{p.container}"'

    def by(self, *labels: str) -> str:
        """`cluster, namespace, ...`: the aggregation labels, always keeping the cluster label."""
        return ", ".join((self.cluster_label, "namespace", *labels))

    def runbook_url(self, alert: str) -> str:
        return f"{self.runbook_base_url}#{alert.lower()}"


# ---------------------------------------------------------------------------------------------
# Loading overrides


CONFIG_MAX_BYTES = 1024 * 1024


def load_config(path: str | Path | None) -> Config:
    """Defaults, overridden by the YAML file at `path` when given."""
    if path is None:
        return Config()
    path = Path(path)
    try:  # bounded: an alias bomb, deep nesting or non-UTF-8 bytes are one error (exit 2), not a traceback
        raw = bounded_load.load_yaml(bounded_load.read_text(path, CONFIG_MAX_BYTES), str(path))
    except OSError as exc:
        raise ConfigFileError(str(path), "<file>", f"cannot read: {exc.strerror}") from None
    except bounded_load.InputTooLarge as exc:
        raise ConfigFileError(str(path), "<file>", f"line {exc.line}: {exc.problem}" if exc.line else exc.problem
                              ) from None
    if raw is None:
        return Config()
    if not isinstance(raw, dict):
        raise ConfigError(str(path), "<file>", "must be a mapping of settings", "see README 'Configuration'")
    config = _override(Config(), raw, str(path), "")
    validate_config(config, str(path))
    return config


def _override(obj: Any, raw: dict, path: str, prefix: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(path, dotted, "unknown key", f"known keys here: {known}")
        current = getattr(obj, key)
        if hasattr(current, "from_config"):  # a section that parses itself (overrides:)
            changes[key] = current.from_config(value, path, dotted)
        elif dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(path, dotted, f"expected a mapping, got {type(value).__name__}")
            changes[key] = _override(current, value, path, dotted + ".")
        else:
            changes[key] = _coerce(current, value, path, dotted)
    return dataclasses.replace(obj, **changes)


def _coerce(current: Any, value: Any, path: str, key: str) -> Any:
    """Check `value` against the type of the default it replaces."""
    if isinstance(current, Decimal):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ConfigError(path, key, f"expected a number, got {value!r}")
        return Decimal(str(value))
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise ConfigError(path, key, f"expected true or false, got {value!r}")
        return value
    if isinstance(current, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(path, key, f"expected a number, got {value!r}")
        return float(value)
    if isinstance(current, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(path, key, f"expected an integer, got {value!r}")
        return value
    if isinstance(current, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(path, key, f"expected a list of strings, got {value!r}")
        return tuple(value)
    if isinstance(current, dict):
        if not isinstance(value, dict):
            raise ConfigError(path, key, f"expected a mapping, got {value!r}")
        return {str(k): str(v) for k, v in value.items()}
    if current is None:  # optional numbers such as slo.gitea_latency.latency_seconds
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(path, key, f"expected a number, got {value!r}")
        return float(value)
    if isinstance(current, str):
        if not isinstance(value, str):
            raise ConfigError(path, key, f"expected a string, got {value!r}", "quote the value")
        return value
    raise ConfigError(path, key, "cannot be overridden")  # pragma: no cover


def validate_config(config: Config, path: str = "<config>") -> None:
    """Semantic checks that types alone cannot express."""
    for section_name in ("thresholds", "slo", "exporter", "alertmanager"):
        section = getattr(config, section_name)
        for f in dataclasses.fields(section):
            value = getattr(section, f.name)
            if f.name.endswith(("_for", "_window", "interval", "timeout", "period")) and isinstance(value, str):
                try:
                    duration_seconds(value)
                except ValueError as exc:
                    raise ConfigError(path, f"{section_name}.{f.name}", str(exc)) from None
    for key in ("scrape_interval", "evaluation_interval", "rate_window"):
        try:
            duration_seconds(getattr(config, key))
        except ValueError as exc:
            raise ConfigError(path, key, str(exc)) from None
    if duration_seconds(config.rate_window) < 4 * duration_seconds(config.scrape_interval):
        raise ConfigError(path, "rate_window", f"{config.rate_window} spans fewer than 4 scrapes of {config.scrape_interval}",
                          "make it at least 4x scrape_interval")
    for name in ("reconcile", "gitea_availability", "gitea_latency"):
        slo = getattr(config.slo, name)
        if not Decimal("0") < slo.objective < Decimal("1"):
            raise ConfigError(path, f"slo.{name}.objective", f"{slo.objective} is not between 0 and 1",
                              "use a fraction such as 0.99")
    for f in dataclasses.fields(config.thresholds):
        if f.name.endswith(("_ratio", "_quantile")):
            value = getattr(config.thresholds, f.name)
            if not 0 < value <= 1:
                raise ConfigError(path, f"thresholds.{f.name}", f"{value} is not a fraction in (0, 1]")
    if config.exporter.mode not in ("probe", "proxy", "both"):
        raise ConfigError(path, "exporter.mode", f"{config.exporter.mode!r} is not probe, proxy or both")
    if not config.provider.controllers:
        raise ConfigError(path, "provider.controllers", "must list at least one controller")
