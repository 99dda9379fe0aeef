"""Checks that stop the build: each failure names the definition file, the item and the fix."""

from __future__ import annotations

import re
from collections.abc import Mapping

from gitea_provider_monitoring.exporters.gitea_api.durations import duration_seconds
from gitea_provider_monitoring.model import catalog, templates
from gitea_provider_monitoring.model.dashboard import RUNBOOK_LINK_PREFIX, DashboardDef, panel_queries, substitute_variables
from gitea_provider_monitoring.model.errors import DefinitionError
from gitea_provider_monitoring.model.promql import PromQLError, metric_names, parse
from gitea_provider_monitoring.model.rules import SEVERITIES, AlertingRule, RecordingRule, RuleFile

ALERT_NAME = re.compile(r"^[A-Z][A-Za-z0-9]+$")  # CamelCase; lint uses it too
_RECORD_NAME = re.compile(r"^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$")


def _check_expr(source: str, item: str, expr: str, known_records: set[str],
                extra_metrics: Mapping[str, catalog.Metric] | None = None) -> None:
    try:
        tree = parse(expr)
    except PromQLError as exc:
        raise DefinitionError(source, item, f"invalid PromQL: {exc}", "correct the expression") from None
    for name in sorted(metric_names(tree)):
        if catalog.lookup(name, extra_metrics) is None and name not in known_records:
            raise DefinitionError(
                source, item, f"metric {name!r} is not in the metric catalog nor a recording rule we define",
                "use a metric from monitoring/model/catalog.py, or declare your own in an extension's metrics() "
                "(docs/extending.md)",
            )


def validate_rules(rule_files: list[RuleFile], extra_metrics: Mapping[str, catalog.Metric] | None = None) -> set[str]:
    """Validate every rule; returns the recording-rule names (dashboards may use them).

    `extra_metrics`: series name -> metric for the metrics extensions declared (catalog.by_series).
    """
    records = {r.record for rf in rule_files for r in rf.records()}
    seen: dict[tuple, str] = {}
    for rf in rule_files:
        for group in rf.groups:
            for rule in group.rules:
                # A recording rule may repeat its name with other labels (one series per quantile).
                key = (rule.name, tuple(sorted(rule.labels.items())) if isinstance(rule, RecordingRule) else ())
                if key in seen:
                    raise DefinitionError(rule.source, rule.name, f"duplicate name (also defined at {seen[key]})",
                                          "give one of them another name")
                seen[key] = rule.source
                _check_expr(rule.source, rule.name, rule.expr, records, extra_metrics)
                if isinstance(rule, RecordingRule):
                    if not _RECORD_NAME.match(rule.record):
                        raise DefinitionError(rule.source, rule.record, "recording rule name is not level:metric:operations",
                                              "name it like controller:controller_runtime_reconcile_total:rate5m")
                elif isinstance(rule, AlertingRule):
                    _validate_alert(rule)
    return records


def _validate_alert(rule: AlertingRule) -> None:
    src, name = rule.source, rule.alert
    if not ALERT_NAME.match(name):
        raise DefinitionError(src, name, "alert names are CamelCase", "rename it, e.g. GiteaProviderDown")
    if rule.severity not in SEVERITIES:
        raise DefinitionError(src, name, f"severity {rule.severity!r} is not one of {', '.join(SEVERITIES)}")
    try:
        duration_seconds(rule.for_)
    except ValueError as exc:
        raise DefinitionError(src, name, f"for: {exc}") from None
    texts = {"summary": rule.summary, "description": rule.description, **rule.annotations}
    for key, text in texts.items():
        if not text.strip():
            raise DefinitionError(src, name, f"annotation {key} is empty", "write one plain sentence")
        try:
            templates.check(text)
        except templates.TemplateError as exc:
            raise DefinitionError(src, name, f"annotation {key}: {exc}") from None
    if "{{" not in rule.description:
        raise DefinitionError(src, name, "description is not templated",
                              "name the labels and {{ $value | humanize }} that explain this firing")
    if not any(c.fires for c in rule.cases) and not rule.unreachable:
        raise DefinitionError(src, name, "has no promtool case that makes it fire", "add a fires(...) case")
    if not any(not c.fires for c in rule.cases):
        raise DefinitionError(src, name, "has no promtool case that keeps it silent", "add a silent(...) case")
    for case in rule.cases:
        for exp in case.expected:
            for key, text in texts.items():
                try:
                    templates.render(text, exp.labels, exp.value)
                except templates.TemplateError as exc:
                    raise DefinitionError(src, f"{name} case {case.name!r}", f"annotation {key}: {exc}") from None


def validate_dashboards(dashboards: list[DashboardDef], records: set[str],
                        extra_metrics: Mapping[str, catalog.Metric] | None = None) -> dict[str, dict]:
    """Render and validate every dashboard; returns name -> rendered JSON model."""
    rendered: dict[str, dict] = {}
    uids: dict[str, str] = {}
    names: dict[str, str] = {}
    for d in dashboards:
        if not d.uid:
            raise DefinitionError(d.source, d.title, "dashboard has no uid", "set a stable uid")
        if d.uid in uids:
            raise DefinitionError(d.source, d.title, f"duplicate dashboard uid {d.uid!r} (also {uids[d.uid]})",
                                  "give each dashboard its own uid")
        if d.name in names:
            raise DefinitionError(d.source, d.title, f"duplicate dashboard name {d.name!r}")
        uids[d.uid], names[d.name] = d.source, d.source
        model = d.render()
        for title, expr in panel_queries(model):
            _check_expr(d.source, f"{d.title} / {title}", substitute_variables(expr), records, extra_metrics)
        rendered[d.name] = model
    return rendered



def validate_runbook_links(dashboards: list[DashboardDef], rendered: dict[str, dict], alerts: set[str]) -> None:
    """A panel link to an alert that no definition (ours or an extension's) defines stops the build."""
    import difflib

    for d in dashboards:
        stack = list(rendered.get(d.name, {}).get("panels", []))
        while stack:
            panel = stack.pop()
            stack += panel.get("panels", [])
            for link in panel.get("links", []):
                title = link.get("title", "")
                name = title.removeprefix(RUNBOOK_LINK_PREFIX)
                if title.startswith(RUNBOOK_LINK_PREFIX) and name not in alerts:
                    close = difflib.get_close_matches(name, sorted(alerts), n=1)
                    raise DefinitionError(d.source, f"{d.title} / {panel.get('title')}",
                                          f"links to alert {name}, which no definition defines",
                                          f"did you mean {close[0]}?" if close else "link to an existing alert")
