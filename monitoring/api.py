"""The public API for your own alerts, recording rules, dashboards, panels and metrics.

Import only from here (`from gitea_provider_monitoring import api`); every other module is internal and may move.
Everything here comes from the model layer (gitea_provider_monitoring.model), never from our definitions.
An extension module defines any of `rules(config)`, `dashboards(config)`, `panels(config)` and
`metrics()`, and is named by the config's `extensions:` list or the `gitea_monitoring.extensions`
entry-point group. docs/extending.md walks through one; examples/extension/ is a complete package.

    from gitea_provider_monitoring import api

    def rules(config: api.Config) -> api.RuleFile:
        return api.RuleFile("acme-alerts", (api.RuleGroup("acme", (my_alert(config),)),))

What you get for free: validation (PromQL, catalog, names, templates), generated promtool tests from
your cases, a runbook section per alert, Alertmanager routes by severity, dashboards rendered to
Grafana's current model, lint, and the config's `overrides:` (disable, severity, labels, ...).

It holds what our own alerts and dashboards use, so an extension reads like alerts/ and dashboards/: a
`Measure` (the query and threshold an alert compares and its panel draws), the case helpers that derive
inputs from the threshold (`above`, `below`, `timing`, `gauge_timing`, `counter`, `gauge`, `latency_cases`),
and the panel helpers that take a measure (`alert_steps`, `runbook_links`, `quantile_label`).
"""

from __future__ import annotations

from gitea_provider_monitoring import __version__
from gitea_provider_monitoring.exporters.gitea_api.durations import duration_seconds, fmt_duration
from gitea_provider_monitoring.model import managed, provider_facts
from gitea_provider_monitoring.model.alerting import alert, kubectl_logs, kubectl_pods
from gitea_provider_monitoring.model.catalog import (
    COUNTER,
    GAUGE,
    HISTOGRAM,
    INFO,
    PROBE_DURATION_BUCKETS,
    SUMMARY,
    Metric,
    le,
)
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.dashboard import DashboardDef, PanelsOn
from gitea_provider_monitoring.model.extensions import ENTRY_POINT_GROUP
from gitea_provider_monitoring.model.overrides import config_for
from gitea_provider_monitoring.model.panels import (
    GREEN,
    RED,
    TAGS,
    YELLOW,
    Grid,
    alert_steps,
    alert_threshold,
    bargauge,
    count_steps,
    dashboard_link,
    exporter_sel,
    firing_alerts,
    gauge,
    gitea_failures,
    gitea_health_checks,
    heatmap,
    percentile,
    pod_network_sel,
    pod_sel,
    provider_sel,
    quantile_label,
    resource_sel,
    runbook_links,
    scope,
    stat,
    state_timeline,
    table,
    targets,
    text,
    thresholds,
    timeseries,
    variables,
)
from gitea_provider_monitoring.model.panels import dashboard as new_dashboard
from gitea_provider_monitoring.model.rules import (
    SEVERITIES,
    AlertCase,
    AlertingRule,
    Expected,
    Measure,
    RecordingRule,
    RuleFile,
    RuleGroup,
    Runbook,
    Series,
    fires,
    matchers,
    num,
    silent,
)
from gitea_provider_monitoring.model.rules import series as sel_series
from gitea_provider_monitoring.model.settings import setting
from gitea_provider_monitoring.model.templates import resource_list
from gitea_provider_monitoring.model.testdata import (
    CLUSTER,
    PODS,
    Cases,
    Timing,
    above,
    below,
    dec,
    exporter,
    exporter_target,
    flip,
    gauge_timing,
    group_labels,
    histogram,
    histogram_around,
    kube,
    kube_target,
    labels_text,
    latency_cases,
    per_step,
    pods,
    provider,
    provider_target,
    series,
    tidy,
    timing,
    window_timing,
)
from gitea_provider_monitoring.model.testdata import counter as counter_values
from gitea_provider_monitoring.model.testdata import gauge as gauge_values  # api.gauge is the gauge panel

__all__ = [
    # configuration
    "Config", "duration_seconds", "fmt_duration", "setting", "config_for", "__version__", "ENTRY_POINT_GROUP",
    # rules
    "RuleFile", "RuleGroup", "RecordingRule", "AlertingRule", "Runbook", "SEVERITIES", "alert", "num",
    "Measure", "sel_series", "matchers", "kubectl_logs", "kubectl_pods",
    # promtool cases: series and their values
    "AlertCase", "Cases", "Series", "Expected", "fires", "silent", "series", "provider", "exporter", "kube",
    "provider_target", "exporter_target", "kube_target", "group_labels", "histogram", "labels_text", "CLUSTER",
    "PODS", "pods", "gauge_values", "counter_values", "flip",
    # promtool cases: inputs derived from the threshold, and when to sample and evaluate them
    "above", "below", "dec", "tidy", "per_step", "histogram_around", "latency_cases",
    "Timing", "timing", "gauge_timing", "window_timing",
    # catalog
    "Metric", "COUNTER", "GAUGE", "HISTOGRAM", "SUMMARY", "INFO", "PROBE_DURATION_BUCKETS", "le",
    # dashboards and panels
    "DashboardDef", "PanelsOn", "Grid", "new_dashboard", "variables", "timeseries", "stat", "gauge", "bargauge",
    "table", "heatmap", "state_timeline", "text", "targets", "thresholds", "alert_threshold", "alert_steps",
    "runbook_links", "quantile_label", "percentile", "provider_sel", "exporter_sel", "scope", "pod_sel", "TAGS",
    "GREEN", "YELLOW", "RED", "firing_alerts", "gitea_failures", "gitea_health_checks", "count_steps",
    "dashboard_link", "resource_sel", "pod_network_sel", "resource_list",
    # what the provider is and does (read from its source, per version): its flags, lease, workers, back-off, and
    # the managed kinds of its CRDs with the kube-state-metrics series of their conditions
    "provider_facts", "managed",
]
