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
"""

from __future__ import annotations

from gitea_provider_monitoring import __version__
from gitea_provider_monitoring.model.alerting import alert
from gitea_provider_monitoring.model.catalog import COUNTER, GAUGE, HISTOGRAM, INFO, SUMMARY, Metric
from gitea_provider_monitoring.model.config import Config, duration_seconds
from gitea_provider_monitoring.model.dashboard import DashboardDef, PanelsOn
from gitea_provider_monitoring.model.extensions import ENTRY_POINT_GROUP
from gitea_provider_monitoring.model.panels import (
    TAGS,
    Grid,
    alert_threshold,
    bargauge,
    exporter_sel,
    gauge,
    heatmap,
    pod_sel,
    provider_sel,
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
    RecordingRule,
    RuleFile,
    RuleGroup,
    Runbook,
    Series,
    fires,
    num,
    silent,
)
from gitea_provider_monitoring.model.settings import setting
from gitea_provider_monitoring.model.testdata import (
    CLUSTER,
    PODS,
    exporter,
    exporter_target,
    group_labels,
    histogram,
    kube,
    kube_target,
    labels_text,
    provider,
    provider_target,
    series,
)

__all__ = [
    # configuration
    "Config", "duration_seconds", "setting", "__version__", "ENTRY_POINT_GROUP",
    # rules
    "RuleFile", "RuleGroup", "RecordingRule", "AlertingRule", "Runbook", "SEVERITIES", "alert", "num",
    # promtool cases
    "AlertCase", "Series", "Expected", "fires", "silent", "series", "provider", "exporter", "kube",
    "provider_target", "exporter_target", "kube_target", "group_labels", "histogram", "labels_text", "CLUSTER",
    "PODS",
    # catalog
    "Metric", "COUNTER", "GAUGE", "HISTOGRAM", "SUMMARY", "INFO",
    # dashboards and panels
    "DashboardDef", "PanelsOn", "Grid", "new_dashboard", "variables", "timeseries", "stat", "gauge", "bargauge",
    "table", "heatmap", "state_timeline", "text", "targets", "thresholds", "alert_threshold", "runbook_links",
    "provider_sel", "exporter_sel", "scope", "pod_sel", "TAGS",
]
