"""Shared panel shapes, variables and layout, so each dashboard file reads like a table of contents.

Every panel gets a unit, a description and (where an alert exists) the alert's threshold from the
config, drawn as a red step. Panels are placed on Grafana's 24-column grid by `Grid`, never by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import grafanalib.core as G

from gitea_provider_monitoring.model import managed
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.dashboard import RUNBOOK_LINK_PREFIX
from gitea_provider_monitoring.model.grafana_model import DATASOURCE_REF
from gitea_provider_monitoring.model.rules import Measure, num

TAGS = ["gitea-provider", "crossplane"]
GREEN, YELLOW, RED = "green", "#EAB839", "red"


def firing_alerts(config: Config) -> str:
    """The alerts of this project, as Prometheus' ALERTS series shows them, for the selected cluster (on a
    global Prometheus, without the cluster matcher every cluster's alerts would show)."""
    return (f'ALERTS{{alertstate="firing", alertname=~"Gitea.*", {config.cluster_label}=~"$cluster", '
            'namespace=~"$namespace"}')


# Optional rows show this hint instead of an empty panel when their metrics are absent.
OPTIONAL_HINT = "No data is expected here unless {what}."


def provider_sel(config: Config, extra: str = "") -> str:
    """Selector of the provider's series with the dashboard's cluster and namespace variables."""
    base = f'job="{config.provider.job}", {config.cluster_label}=~"$cluster", namespace=~"$namespace"'
    return f"{base}, {extra}" if extra else base


def exporter_sel(config: Config, extra: str = "") -> str:
    base = f'job="{config.exporter.job}", {config.cluster_label}=~"$cluster", namespace=~"$namespace"'
    return f"{base}, {extra}" if extra else base


def scope(config: Config, extra: str = "") -> str:
    """Matchers for recorded series (which carry cluster and namespace but may not carry job)."""
    base = f'{config.cluster_label}=~"$cluster", namespace=~"$namespace"'
    return f"{base}, {extra}" if extra else base


def resource_sel(config: Config, extra: str = "") -> str:
    """kube-state-metrics series of the managed resources (monitoring/model/managed.py) in the selected cluster.

    Not scoped by `$namespace`: a resource's `namespace` label is its own, not the provider's."""
    base = f'{config.resource_state_selector}, {config.cluster_label}=~"$cluster"'
    return f"{base}, {extra}" if extra else base


def pod_network_sel(config: Config) -> str:
    """cAdvisor's network series of the provider's pods: per pod (its sandbox), so no container matcher."""
    return f'{config.cluster_label}=~"$cluster", namespace=~"$namespace", pod=~"$pod"'


def dashboard_link(title: str, uid: str, tooltip: str) -> dict:
    """A panel link to another dashboard of the project, keeping the time range and the cluster."""
    return {"title": title, "url": f"/d/{uid}?${{__url_time_range}}&${{cluster:queryparam}}", "targetBlank": False,
            "type": "link", "icon": "dashboard", "tooltip": tooltip, "tags": [], "asDropdown": False,
            "includeVars": False, "keepTime": False}


def pod_sel(config: Config) -> str:
    """kube-state-metrics / cAdvisor series of the provider container."""
    return (f'{config.cluster_label}=~"$cluster", namespace=~"$namespace", pod=~"$pod", '
            f'container="{config.provider.container}"')


# ---------------------------------------------------------------------------------------------
# Targets and field config


def targets(*queries: tuple[str, str], instant: bool = False) -> list[G.Target]:
    """(expr, legend) pairs -> grafanalib targets with refIds A, B, ..."""
    return [G.Target(expr=expr, legendFormat=legend, refId=chr(ord("A") + i), instant=instant)
            for i, (expr, legend) in enumerate(queries)]


def thresholds(*steps: tuple[float | None, str]) -> dict:
    return {"mode": "absolute", "steps": [{"value": v, "color": c} for v, c in steps]}


def alert_threshold(value: float) -> dict:
    """Green below the alert's threshold, red from it."""
    return thresholds((None, GREEN), (value, RED))


NO_THRESHOLD = thresholds((None, GREEN))


def _field_config(unit: str, steps: dict, extra: dict | None = None, no_value: str | None = None) -> dict:
    defaults = {"unit": unit, "thresholds": steps, **(extra or {})}
    if no_value:
        defaults["noValue"] = no_value
    return {"defaults": defaults, "overrides": []}


def alert_steps(m: Measure) -> dict:
    """The alert's threshold as the panel's red step (green under it for `>` alerts, red under it for `<`)."""
    if m.op == "<":
        return thresholds((None, RED), (m.threshold, GREEN))
    return alert_threshold(m.threshold)


def count_steps(m: Measure) -> dict:
    """For an alert on a count (`> N`): green up to N, red from the first count that fires (N + 1)."""
    return thresholds((None, GREEN), (m.threshold + 1, RED))


def quantile_label(m: Measure) -> str:
    """`p99` for the alert's quantile 0.99 (p99.9 for 0.999)."""
    return percentile(m.quantile or 0)


def percentile(q: float) -> str:
    """`p99` for 0.99, `p99.9` for 0.999."""
    return f"p{num(Decimal(num(q)) * 100)}"


def runbook_links(config: Config, *shown: str | Measure) -> list[dict]:
    """Links to the runbook sections of the alerts `shown`: a panel passes the measures it draws (or, for an alert
    without one, its name). A name no definition defines stops the build (monitoring/render/validate.py
    validate_runbook_links, which knows the extensions' alerts too)."""
    alerts = [s.alert if isinstance(s, Measure) else s for s in shown]
    if "" in alerts:
        raise ValueError("runbook_links: a Measure not attached to an alert (pass it to alert(measure=...) first)")
    return [{"title": f"{RUNBOOK_LINK_PREFIX}{a}", "url": config.runbook_url(a), "targetBlank": True, "type": "link",
             "icon": "doc", "tooltip": f"What to do when {a} fires", "tags": [], "asDropdown": False,
             "includeVars": False, "keepTime": False} for a in alerts]


# ---------------------------------------------------------------------------------------------
# Panels


def timeseries(title: str, description: str, unit: str, queries: list[tuple[str, str]], *,
               steps: dict = NO_THRESHOLD, links: list[dict] | None = None, stack: bool = False,
               no_value: str | None = None, min_zero: bool = True) -> G.TimeSeries:
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10 if stack else 0, "showPoints": "never",
              "spanNulls": False, "thresholdsStyle": {"mode": "off" if steps is NO_THRESHOLD else "line+area"},
              "stacking": {"mode": "normal" if stack else "none", "group": "A"}}
    extra = {"custom": custom, "color": {"mode": "palette-classic"}}
    if min_zero:
        extra["min"] = 0
    return G.TimeSeries(
        title=title, description=description, targets=targets(*queries), links=links or [],
        extraJson={"fieldConfig": _field_config(unit, steps, extra, no_value),
                   "options": {"legend": {"displayMode": "table", "placement": "bottom", "showLegend": True,
                                          "calcs": ["lastNotNull", "max"]},
                               "tooltip": {"mode": "multi", "sort": "desc"}}},
    )


def stat(title: str, description: str, unit: str, queries: list[tuple[str, str]], *,
         steps: dict = NO_THRESHOLD, links: list[dict] | None = None, no_value: str | None = None,
         mappings: list[dict] | None = None) -> G.Stat:
    extra = {"color": {"mode": "thresholds"}, "mappings": mappings or []}
    return G.Stat(
        title=title, description=description, targets=targets(*queries), links=links or [],
        extraJson={"fieldConfig": _field_config(unit, steps, extra, no_value),
                   "options": {"colorMode": "background", "graphMode": "area", "justifyMode": "auto",
                               "orientation": "auto", "textMode": "auto",
                               "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}},
    )


def gauge(title: str, description: str, unit: str, queries: list[tuple[str, str]], *, steps: dict,
          maximum: float = 1, links: list[dict] | None = None, no_value: str | None = None) -> G.GaugePanel:
    extra = {"color": {"mode": "thresholds"}, "min": 0, "max": maximum}
    return G.GaugePanel(
        title=title, description=description, targets=targets(*queries), links=links or [],
        extraJson={"fieldConfig": _field_config(unit, steps, extra, no_value),
                   "options": {"showThresholdLabels": False, "showThresholdMarkers": True,
                               "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}},
    )


def bargauge(title: str, description: str, unit: str, queries: list[tuple[str, str]], *, steps: dict,
             no_value: str | None = None) -> G.BarGauge:
    extra = {"color": {"mode": "thresholds"}, "min": 0}
    return G.BarGauge(
        title=title, description=description, targets=targets(*queries, instant=True),
        extraJson={"fieldConfig": _field_config(unit, steps, extra, no_value),
                   "options": {"displayMode": "gradient", "orientation": "horizontal", "showUnfilled": True,
                               "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}},
    )


def table(title: str, description: str, unit: str, queries: list[tuple[str, str]], *,
          no_value: str | None = None, links: list[dict] | None = None, columns: dict[str, str] | None = None
          ) -> G.Table:
    """An instant table; `columns` (field -> header) keeps only those fields, in that order."""
    transformations: list[dict] = [{"id": "labelsToFields", "options": {}}]
    if columns:
        transformations.append({"id": "organize", "options": {
            "includeByName": {name: True for name in columns}, "indexByName": {name: i for i, name in enumerate(columns)},
            "renameByName": dict(columns)}})
    return G.Table(
        title=title, description=description, targets=targets(*queries, instant=True), links=links or [],
        extraJson={"fieldConfig": _field_config(unit, NO_THRESHOLD, {"custom": {"align": "auto"}}, no_value),
                   "options": {"showHeader": True, "cellHeight": "sm"},
                   "transformations": transformations},
    )


def heatmap(title: str, description: str, unit: str, expr: str) -> G.Heatmap:
    """A Grafana 12 heatmap of histogram buckets (rate per `le`, as the panel expects)."""
    target = G.Target(expr=expr, legendFormat="{{le}}", refId="A", format="heatmap")
    return G.Heatmap(
        title=title, description=description, targets=[target],
        extraJson={"fieldConfig": _field_config(unit, NO_THRESHOLD, {"custom": {"hideFrom": {
            "legend": False, "tooltip": False, "viz": False}, "scaleDistribution": {"type": "linear"}}}),
            "options": {"calculate": False, "cellGap": 1, "color": {"mode": "scheme", "scheme": "Oranges",
                                                                    "steps": 64, "exponent": 0.5, "fill": "dark-orange",
                                                                    "scale": "exponential", "reverse": False},
                        "yAxis": {"axisPlacement": "left", "unit": unit, "reverse": False},
                        "rowsFrame": {"layout": "auto"}, "tooltip": {"mode": "single", "yHistogram": True},
                        "legend": {"show": True}, "showValue": "never", "exemplars": {"color": "orange"},
                        "filterValues": {"le": 1e-9}, "cellValues": {}}},
    )


def state_timeline(title: str, description: str, queries: list[tuple[str, str]], *, pass_text: str = "up",
                   fail_text: str = "down", no_value: str | None = None) -> G.StateTimeline:
    mappings = [{"type": "value", "options": {"0": {"text": fail_text, "color": RED, "index": 0},
                                              "1": {"text": pass_text, "color": GREEN, "index": 1}}}]
    return G.StateTimeline(
        title=title, description=description, targets=targets(*queries),
        extraJson={"fieldConfig": _field_config("none", thresholds((None, RED), (1, GREEN)),
                                                {"color": {"mode": "thresholds"}, "mappings": mappings}, no_value),
                   "options": {"showValue": "never", "mergeValues": True, "rowHeight": 0.9, "alignValue": "left",
                               "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                               "tooltip": {"mode": "single", "sort": "none"}}},
    )


def text(title: str, content: str) -> G.Text:
    return G.Text(title=title, content=content, mode="markdown",
                  extraJson={"description": title, "fieldConfig": _field_config("none", NO_THRESHOLD),
                             "options": {"mode": "markdown", "content": content}})


def gitea_failures(config: Config, selector: str, title: str = "Failures by reason") -> G.TimeSeries:
    """Failed exporter probes by endpoint and reason: shown on Troubleshooting and Gitea API."""
    return timeseries(title, "Failed exporter probes per second by endpoint and reason.", "ops",
                      [(f"sum by (endpoint, reason) (rate(gitea_api_probe_failures_total{{{selector}}}[$__rate_interval]))",
                        "{{endpoint}} {{reason}}")], links=runbook_links(config, "GiteaAPIErrorRatioHigh"))


def gitea_health_checks(selector: str, title: str = "Health checks") -> G.StateTimeline:
    """Each check of Gitea's /api/healthz over time."""
    return state_timeline(title, "Each check of Gitea's /api/healthz (database, cache): pass or fail.",
                          [(f"max by (check) (gitea_api_health_check_status{{{selector}}})", "{{check}}")],
                          pass_text="pass", fail_text="fail")


# ---------------------------------------------------------------------------------------------
# Layout


@dataclass
class Grid:
    """Places panels left to right on the 24-column grid; rows start a new line."""

    panels: list = field(default_factory=list)
    x: int = 0
    y: int = 0
    line_height: int = 0
    _collapsed: G.RowPanel | None = None

    def add(self, panel: G.Panel, w: int = 8, h: int = 8) -> Grid:
        if self.x + w > 24:
            self.newline()
        panel.gridPos = G.GridPos(h=h, w=w, x=self.x, y=self.y)
        (self._collapsed.panels if self._collapsed is not None else self.panels).append(panel)
        self.x += w
        self.line_height = max(self.line_height, h)
        return self

    def newline(self) -> None:
        self.y += self.line_height
        self.x, self.line_height = 0, 0

    def row(self, title: str, collapsed: bool = False) -> Grid:
        """A row; panels added after a collapsed row go inside it (Grafana's model for collapsed rows)."""
        if self.x:
            self.newline()
        row = G.RowPanel(title=title, collapsed=collapsed, panels=[])
        row.gridPos = G.GridPos(h=1, w=24, x=0, y=self.y)
        self.panels.append(row)
        self._collapsed = row if collapsed else None
        self.y += 1
        return self


# ---------------------------------------------------------------------------------------------
# Variables, links, annotations, dashboard


def _query_var(name: str, label: str, query: str, *, include_all: bool = True, multi: bool = True,
               hide: int = 0, all_value: str = ".*", default: str | None = None) -> G.Template:
    var = G.Template(name=name, label=label, query=query, dataSource=DATASOURCE_REF, includeAll=include_all,
                     multi=multi, allValue=all_value if include_all else None, refresh=2, sort=1, hide=hide,
                     default=default)
    return var


def variables(config: Config, *, controller: bool = False, endpoint: bool = False, resource: bool = False
              ) -> G.Templating:
    prov = f'job="{config.provider.job}"'
    cl = config.cluster_label
    items = [
        G.Template(name="datasource", label="Data source", query="prometheus", type="datasource"),
        # Multi-cluster: one cluster at a time, like the namespace (a panel then reads one installation's
        # series however many clusters report; bench/scale.py). Single cluster: hidden "All", which also
        # matches series without the label.
        _query_var("cluster", "Cluster", f"label_values(up{{{prov}}}, {cl})", include_all=not config.multi_cluster,
                   multi=not config.multi_cluster, hide=0 if config.multi_cluster else 2),
        _query_var("namespace", "Namespace", f'label_values(up{{{prov}, {cl}=~"$cluster"}}, namespace)',
                   include_all=False, multi=False, default=config.provider.namespace),
        _query_var("pod", "Pod", f'label_values(up{{{prov}, {cl}=~"$cluster", namespace=~"$namespace"}}, pod)'),
    ]
    if controller:
        items.append(_query_var(
            "controller", "Controller",
            f'label_values(controller_runtime_reconcile_total{{{prov}, namespace=~"$namespace"}}, controller)'))
    if endpoint:
        items.append(_query_var(
            "endpoint", "Endpoint",
            f'label_values(gitea_api_probes_total{{job="{config.exporter.job}", namespace=~"$namespace"}}, endpoint)'))
    if resource:
        # One managed resource at a time (Troubleshooting): its kind, then its name, from kube-state-metrics.
        cond = f'{managed.metric(managed.CONDITION)}{{{config.resource_state_selector}, {cl}=~"$cluster"'
        items.append(_query_var("kind", "Kind", f"label_values({cond}}}, {managed.KIND_LABEL})", include_all=False,
                                multi=False))
        items.append(_query_var("resource", "Resource", f'label_values({cond}, {managed.KIND_LABEL}="$kind"}}, name)',
                                include_all=False, multi=False))
    return G.Templating(list=items)


def links() -> list[G.DashboardLink]:
    """A dropdown to every dashboard of the project, keeping time range and variables."""
    return [G.DashboardLink(title="Gitea provider", type="dashboards", tags=TAGS, asDropdown=True,
                            includeVars=True, keepTime=True, icon="external link", tooltip="", targetBlank=False)]


def annotations(config: Config) -> G.Annotations:
    prov = f'job="{config.provider.job}", {config.cluster_label}=~"$cluster", namespace=~"$namespace"'
    return G.Annotations(list=[
        {"name": "Provider restarts", "enable": True, "iconColor": "orange", "datasource": DATASOURCE_REF,
         "expr": f"changes(process_start_time_seconds{{{prov}}}[2m]) > 0", "step": "1m",
         "titleFormat": "Provider restarted", "textFormat": "{{pod}}"},
        {"name": "Firing alerts", "enable": True, "iconColor": "red", "datasource": DATASOURCE_REF,
         "expr": firing_alerts(config), "step": "1m",
         "titleFormat": "{{alertname}}", "textFormat": "{{severity}}"},
    ])


def dashboard(config: Config, *, uid: str, title: str, description: str, grid: Grid, templating: G.Templating,
              time_from: str = "now-6h", refresh: str = "1m") -> G.Dashboard:
    return G.Dashboard(
        title=title, uid=uid, description=description, tags=TAGS, panels=grid.panels, templating=templating,
        links=links(), annotations=annotations(config), time=G.Time(time_from, "now"), refresh=refresh,
        timezone="browser", sharedCrosshair=True, editable=True,
    )
