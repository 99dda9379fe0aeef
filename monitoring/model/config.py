"""The one configuration every definition reads: selectors, thresholds, SLOs, URLs.

Defaults suit a stock install of the provider in `crossplane-system`. A YAML file overrides any
field (`gitea-monitoring build --config FILE`); unknown keys are errors so that a typo never
silently leaves a default in place.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import math
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from gitea_provider_monitoring import __version__
from gitea_provider_monitoring.exporters.gitea_api.durations import duration_seconds, flag_seconds, fmt_duration
from gitea_provider_monitoring.model import bounded_load, provider_facts
from gitea_provider_monitoring.model.errors import ConfigError, ConfigFileError
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
        raise ConfigError(str(path), "<file>", "must be a mapping of settings", "see docs/user-guide.md, 'Configuration'")
    config = _override(Config(), raw, str(path), "")
    validate_config(config, str(path))
    return config


def _override(obj: Any, raw: dict, path: str, prefix: str) -> Any:
    """`obj` with the values of `raw` (one section of the YAML file), each checked against its declared type."""
    fields = {f.name: f for f in dataclasses.fields(obj)}
    hints = typing.get_type_hints(type(obj))
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if not isinstance(key, str) or key not in fields:
            raise ConfigError(path, dotted, "unknown key", _did_you_mean(str(key), list(fields), prefix))
        current = getattr(obj, key)
        if hasattr(current, "from_config"):  # a section that parses itself (overrides:)
            changes[key] = current.from_config(value, path, dotted)
        elif dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(path, dotted, f"expected a mapping, got {_shown(value)}")
            changes[key] = _override(current, value, path, dotted + ".")
        else:
            changes[key] = _coerce(current, value, path, dotted, hints.get(key))
    return dataclasses.replace(obj, **changes)


def _did_you_mean(key: str, known: list[str], prefix: str) -> str:
    """The closest known key of this section, or where else that key lives, or the list of known keys."""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"did you mean {prefix}{close[0]}?"
    elsewhere = [k for k in _all_keys(Config()) if k.rsplit(".", 1)[-1] == key]
    if elsewhere:
        return f"did you mean {elsewhere[0]}?"
    return f"known keys{' under ' + prefix.rstrip('.') if prefix else ''}: {', '.join(sorted(known))}"


def _all_keys(obj: Any, prefix: str = "") -> list[str]:
    out = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        out += _all_keys(value, f"{prefix}{f.name}.") if dataclasses.is_dataclass(value) else [prefix + f.name]
    return out


def _shown(value: Any) -> str:
    """A value as the user wrote it, kept short for a one-line error."""
    text = repr(value) if not isinstance(value, bool) else str(value).lower()
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


_NUMBER_TYPES = (int, float)


def _coerce(current: Any, value: Any, path: str, key: str, hint: Any = None) -> Any:
    """Check `value` against the declared type of the field (or, lacking one, the type of its default)."""
    if hint is None:
        hint = type(current) if current is not None else float | None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        others = [a for a in args if a is not type(None)]
        return _coerce(current, value, path, key, others[0] if len(others) == 1 else None)
    if hint is Decimal:
        if isinstance(value, bool) or not isinstance(value, (*_NUMBER_TYPES, str)):
            raise ConfigError(path, key, f"expected a number, got {_shown(value)}")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ConfigError(path, key, f"expected a number, got {_shown(value)}", "write a fraction such as 0.99")\
                from None
        if not number.is_finite():
            raise ConfigError(path, key, f"expected a finite number, got {_shown(value)}")
        return number
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(path, key, f"expected true or false, got {_shown(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, _NUMBER_TYPES):
            raise ConfigError(path, key, f"expected a number, got {_shown(value)}")
        if not math.isfinite(value):
            raise ConfigError(path, key, f"expected a finite number, got {_shown(value)}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(path, key, f"expected an integer, got {_shown(value)}")
        return value
    if hint is str:
        if not isinstance(value, str):
            duration = fnmatch.fnmatchcase(key, "*_for") or key.endswith(("_window", "interval", "timeout", "period"))
            raise ConfigError(path, key, f"expected a {'duration' if duration else 'string'}, got {_shown(value)}",
                              "write it with a unit, such as 5m or 90s" if duration else "quote the value")
        return value
    if origin in (tuple, list):
        item = args[0] if args else str
        if not isinstance(value, list):
            raise ConfigError(path, key, f"expected a list, got {_shown(value)}")
        items = [_coerce(None, v, path, f"{key}[{i}]", item) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        key_type, value_type = args if args else (str, str)
        if not isinstance(value, dict):
            raise ConfigError(path, key, f"expected a mapping, got {_shown(value)}")
        return {_coerce(None, k, path, f"{key}.<key>", key_type): _coerce(None, v, path, f"{key}.{k}", value_type)
                for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(path, key, f"expected a mapping, got {_shown(value)}")
        base = current if dataclasses.is_dataclass(current) else None
        if base is None:
            missing = [f.name for f in dataclasses.fields(hint)
                       if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                       and f.name not in value]
            if missing:
                raise ConfigError(path, f"{key}.{missing[0]}", "required")
            base = hint(**{f.name: value[f.name] for f in dataclasses.fields(hint)
                           if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING})
        return _override(base, value, path, key + ".")
    if isinstance(current, _NUMBER_TYPES | str | bool | tuple | dict | Decimal):
        return _coerce(current, value, path, key, type(current))
    raise ConfigError(path, key, "cannot be overridden")  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Range checks: a small table of (key pattern, check). A new field is covered by its name: a
# `*_ratio` is a fraction, a `*_for` a duration, a `*port` a port, and so on. Every check that
# matches a key applies; a check returns the problem (and optionally the fix), or None.

Check = Callable[[Any], "str | tuple[str, str] | None"]


def _duration(minimum: float = 0.0, strictly: bool = True) -> Check:
    def check(value: Any) -> str | tuple[str, str] | None:
        if not isinstance(value, str):
            return None
        try:
            seconds = duration_seconds(value)
        except ValueError as exc:
            return str(exc)
        if seconds < minimum or (strictly and seconds == minimum):
            bound = "more than" if strictly else "at least"
            return f"{value} is not {bound} {fmt_duration(minimum)}"
        return None
    return check


def _exporter_duration(value: Any) -> str | tuple[str, str] | None:
    """The exporter reads single-unit durations only (durations.flag_seconds): 15s, 800ms, 1m, not 1m30s or 1d."""
    if not isinstance(value, str):
        return None  # the type check reports it
    try:
        if flag_seconds(value) <= 0:
            return f"{value!r} must be above zero"
    except ValueError as exc:
        return str(exc), "the exporter reads one unit: 15s, 800ms, 1m"
    return None


_NUMERIC_CHECKS: set[Check] = set()


def _numeric(check: Check) -> Check:
    """A check of numbers only (a `*_for` string under thresholds.* is not compared with 0)."""
    _NUMERIC_CHECKS.add(check)
    return check


def _applies(check: Check, value: Any) -> bool:
    is_number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    return is_number if check in _NUMERIC_CHECKS else isinstance(value, str | tuple | list)


@_numeric
def _fraction(value: Any) -> str | tuple[str, str] | None:
    if not 0 < value < 1:
        return f"{value} is not a fraction between 0 and 1 (exclusive)", "write a fraction such as 0.25 for 25%"
    return None


@_numeric
def _positive(value: Any) -> str | None:
    return None if value > 0 else f"{value} is not positive"


@_numeric
def _not_negative(value: Any) -> str | None:
    return None if value >= 0 else f"{value} is negative"


@_numeric
def _port(value: Any) -> str | None:
    return None if 1 <= value <= 65535 else f"{value} is not a TCP port (1-65535)"


LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def _label_name(value: Any) -> str | tuple[str, str] | None:
    names = value if isinstance(value, tuple | list) else (value,)
    for name in names:
        if not LABEL_NAME_RE.match(name) or name.startswith("__"):
            fixed = re.sub(r"[^a-zA-Z0-9_]", "_", name).lstrip("_") or "cluster"
            return (f"{name!r} is not a valid Prometheus label name",
                    f"letters, digits and underscores, not starting with a digit or __, e.g. {fixed!r}")
    return None


def _selector_value(value: Any) -> str | None:
    """Written inside a PromQL string in every selector: no quote, backslash or control character."""
    for item in value if isinstance(value, tuple | list) else (value,):
        if not item:
            return "must not be empty"
        if re.search(r'["\\\x00-\x1f]', item):
            return f"{item!r} contains a quote, a backslash or a control character"
    return None


def _regex(value: Any) -> str | None:
    try:
        re.compile(value)
    except re.error as exc:
        return f"{value!r} is not a valid regular expression ({exc})"
    return None


def _url(value: Any) -> str | tuple[str, str] | None:
    if not re.match(r"^https?://[^\s/]+", value):
        return f"{value!r} is not an http(s) URL", "write it like https://host/path"
    return None


def _one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"{value!r} is not one of {', '.join(choices)}"
    return check


def _exporter_mode(value: Any) -> str | tuple[str, str] | None:
    from gitea_provider_monitoring.exporters.gitea_api.main import MODES  # the exporter's own choices

    return _one_of(*MODES)(value)


def _grafana_version(value: Any) -> str | None:
    from gitea_provider_monitoring.model.grafana_model import SCHEMA_VERSIONS  # the converter's versions, written there

    return None if value in SCHEMA_VERSIONS else f"{value!r} is not one of {', '.join(SCHEMA_VERSIONS)}"


def _module_names(value: Any) -> str | tuple[str, str] | None:
    for name in value if isinstance(value, tuple | list) else (value,):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", name):
            return f"{name!r} is not a Python module name", "write it as you would import it, e.g. acme_monitoring"
    return None


def _not_empty(value: Any) -> str | None:
    return "must not be empty" if not value else None


FIELD_CHECKS: tuple[tuple[str, Check], ...] = (
    ("cluster_label", _label_name),
    ("project_label_name", _label_name),
    ("project_label_value", _selector_value),
    ("alertmanager.inhibit_equal", _label_name),
    ("provider.job", _selector_value),
    ("provider.namespace", _selector_value),
    ("provider.pod_regex", _selector_value),
    ("provider.pod_regex", _regex),
    ("provider.container", _selector_value),
    ("provider.controllers", _not_empty),
    ("provider.replicas", _positive),
    ("provider.controllers", _selector_value),
    ("exporter.job", _selector_value),
    ("resource_state.job", _selector_value),
    ("resource_state.namespace", _selector_value),
    ("resource_state.port_name", _not_empty),
    ("exporter.mode", _exporter_mode),
    ("exporter.interval", _exporter_duration),
    ("exporter.timeout", _exporter_duration),
    ("grafana_min_version", _grafana_version),
    ("extensions", _module_names),
    ("slo.period", _duration(3 * 86400, strictly=False)),  # at least the longest burn-rate window
    ("slo.*.objective", _fraction),
    ("slo.*.latency_seconds", _positive),
    ("*_ratio", _fraction),
    ("*_quantile", _fraction),
    ("*_for", _duration(0, strictly=False)),
    ("*_window", _duration()),
    ("*interval", _duration()),
    ("*timeout", _duration()),
    ("*port", _port),
    ("*_url", _url),
    ("thresholds.*_seconds", _positive),
    ("thresholds.*_days", _positive),
    ("thresholds.*", _not_negative),
)


def _leaves(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            out += _leaves(value, f"{prefix}{f.name}.")
        else:
            out.append((prefix + f.name, value))
    return out


def _check_fields(config: Config, path: str) -> None:
    for key, value in _leaves(config):
        if isinstance(value, str) and re.search(r"[\x00-\x1f]", value):
            raise ConfigError(path, key, f"{_shown(value)} contains a control character (a newline?)")
        if isinstance(value, str) and not value and key != "runbook_base_url":
            raise ConfigError(path, key, "must not be empty")
        for pattern, check in FIELD_CHECKS:
            if not fnmatch.fnmatchcase(key, pattern):
                continue
            if value is None or not _applies(check, value):
                continue
            problem = check(value)
            if problem:
                text, fix = problem if isinstance(problem, tuple) else (problem, "")
                raise ConfigError(path, key, text, fix)


def _nearest(value: float, bounds: tuple[float, ...]) -> str:
    below = [b for b in bounds if b < value]
    above = [b for b in bounds if b > value]
    near = ([f"{max(below):g}"] if below else []) + ([f"{min(above):g}"] if above else [])
    return " or ".join(near)


def validate_config(config: Config, path: str = "<config>") -> None:
    """Every field's type range (FIELD_CHECKS), then the checks that relate fields to each other."""
    _check_fields(config, path)
    if duration_seconds(config.rate_window) < 4 * duration_seconds(config.scrape_interval):
        raise ConfigError(path, "rate_window", f"{config.rate_window} spans fewer than 4 scrapes of {config.scrape_interval}",
                          "make it at least 4x scrape_interval")
    e = config.exporter
    if duration_seconds(e.interval) <= duration_seconds(e.timeout):
        raise ConfigError(path, "exporter.interval", f"{e.interval} is not above exporter.timeout ({e.timeout}); "
                          "the exporter refuses to start", "make the interval longer than the timeout")
    if e.port == e.proxy_port and e.mode != "probe":
        raise ConfigError(path, "exporter.proxy_port", f"{e.proxy_port} is also exporter.port",
                          "give the proxy its own port")
    if e.port == config.provider.metrics_port:
        raise ConfigError(path, "exporter.port", f"{e.port} is also provider.metrics_port (the sidecar shares the pod)",
                          "choose another port")
    t = config.thresholds
    if duration_seconds(t.replicas_changed_for) >= duration_seconds(t.change_window):
        raise ConfigError(path, "thresholds.replicas_changed_for",
                          f"{t.replicas_changed_for} is not shorter than thresholds.change_window ({t.change_window}): "
                          "GiteaProviderReplicasChanged could never fire", "make it shorter than change_window")
    if example_pods(config.provider) is None:
        p = config.provider
        raise ConfigError(path, "provider.pod_regex", f"{p.pod_regex!r} matches no pod name like "
                          f"{p.package_name}-1a2b3c4d5e6f-5f7c9d8b7-aaaaa (Crossplane names the pods after "
                          "provider.package_name) nor its own literal prefix followed by a pod suffix",
                          "match the provider's pods, e.g. provider-gitea-.*")
    controllers = config.provider.controllers
    if len(set(controllers)) != len(controllers):
        raise ConfigError(path, "provider.controllers", "lists a controller twice")
    for name in ("reconcile", "gitea_availability"):
        if getattr(config.slo, name).latency_seconds is not None:
            raise ConfigError(path, f"slo.{name}.latency_seconds", "only slo.gitea_latency has a latency threshold",
                              "remove the key")
    latency = config.slo.gitea_latency.latency_seconds
    if latency is None:
        raise ConfigError(path, "slo.gitea_latency.latency_seconds", "required: the latency the SLO counts as good")
    from gitea_provider_monitoring.exporters.gitea_api.metrics import PROBE_DURATION_BUCKETS  # the exporter's, written there

    if not any(math.isclose(latency, b) for b in PROBE_DURATION_BUCKETS):
        raise ConfigError(path, "slo.gitea_latency.latency_seconds",
                          f"{latency:g} is not a bucket boundary of gitea_api_probe_duration_seconds, so its "
                          f'le="{latency:g}" selector would match nothing', f"use {_nearest(latency, PROBE_DURATION_BUCKETS)}")


def config_warnings(config: Config) -> list[str]:
    """Valid but probably unintended settings: the build prints them and goes on."""
    p = config.provider
    out = []
    window = config.thresholds.reconcile_failure_window
    needed = provider_facts.BACKOFF_CAP_SECONDS + provider_facts.POLL_SECONDS
    if duration_seconds(window) < needed:
        out.append(f"thresholds.reconcile_failure_window is {window}, shorter than the provider's back-off cap plus a "
                   f"poll ({needed:g}s): while resources back off, windows can hold no reconcile at all and "
                   "GiteaProviderReconcileFailureRatioHigh's `for` restarts; 30m is the default")
    if p.replicas > 1 and not p.leader_election:
        out.append(f"provider.replicas is {p.replicas} but provider.leader_election is off: every replica would "
                   "reconcile every resource (the provider's --leader-election defaults to false); turn "
                   "provider.leader_election on, or keep one replica")
    return out

