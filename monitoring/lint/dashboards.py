"""Run the dashboard checks (checks/<id>.py) on one Grafana dashboard, then the expression checks on each of
its Prometheus queries."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jsonschema

from gitea_provider_monitoring.lint import exprs
from gitea_provider_monitoring.lint.checks import (
    dashboard_schema,
    dashboard_uid,
    deprecated_panel_type,
    duplicate_panel_id,
    grid_layout,
    input_too_large,
    invalid_panel,
    no_datasource_variable,
    panel_without_unit,
)
from gitea_provider_monitoring.lint.checks._panels import as_dict, as_list, where
from gitea_provider_monitoring.lint.checks.grid_layout import check_level as _grid
from gitea_provider_monitoring.lint.inputs import DashboardSource

__all__ = ["DISABLE_TAG", "MAX_PANELS", "MAX_QUERIES", "_grid", "check"]  # _grid: bench/lint_bounds.py times it

DISABLE_TAG = "lint-disable:"  # a dashboard tag like `lint-disable:panel-without-unit`
MAX_PANELS = 2000  # panels, rows included; kube-prometheus's largest dashboard has about 60
MAX_QUERIES = 10000

Report = Callable[[str, str, str], None]


def _panels(panels: object, limit: int) -> tuple[list[dict], int]:
    """Every panel object, rows' nested panels included, up to `limit`; also how many were not objects.
    Iterative, so a deep nest of rows costs no recursion."""
    out: list[dict] = []
    bad = 0
    stack = list(reversed(as_list(panels)))
    while stack and len(out) <= limit:
        p = stack.pop()
        if not isinstance(p, dict):
            bad += 1
            continue
        out.append(p)
        stack += reversed(as_list(p.get("panels")))
    return out, bad


def check(source: DashboardSource, ctx: exprs.Context, schema: jsonschema.protocols.Validator | None,
          report: Report) -> None:
    d = source.dashboard
    disabled = {t[len(DISABLE_TAG):] for t in as_list(d.get("tags")) if isinstance(t, str) and t.startswith(DISABLE_TAG)}
    title = str(d.get("title") or "?")[:80]

    def emit(location: str, check_id: str, message: str) -> None:
        if check_id not in disabled:
            report(location, check_id, message)

    top = f'dashboard "{title}"'
    panels, bad = _panels(d.get("panels"), MAX_PANELS)
    variables = as_list(as_dict(d.get("templating")).get("list"))
    datasources = {str(v.get("name")): str(v.get("query") or "") for v in variables
                   if isinstance(v, dict) and v.get("type") == "datasource"}
    queries = [(p, t) for p in panels for t in as_list(p.get("targets"))
               if isinstance(t, dict) and t.get("expr") and _is_prometheus(p, t, datasources)]
    ctx = dataclasses.replace(ctx, numbers=tuple(_numeric_variables(variables).items()))
    if len(panels) > MAX_PANELS or len(queries) > MAX_QUERIES:
        emit(top, input_too_large.CHECK.id, f"more than {MAX_PANELS} panels or {MAX_QUERIES} queries; not checked "
             "(split the dashboard)")
        return
    invalid_panel.check(top, panels, bad, emit)
    dashboard_uid.check(top, d, emit)
    dashboard_schema.check(top, d, schema, emit)
    no_datasource_variable.check(top, variables, bool(queries), emit)
    duplicate_panel_id.check(panels, emit)
    deprecated_panel_type.check(panels, emit)
    panel_without_unit.check(panels, emit)
    grid_layout.check(d.get("panels"), panels, emit)
    for panel, target in queries:
        exprs.check(str(target["expr"]), ctx, lambda c, m, p=panel, t=target: emit(
            where(p), c, f"query {str(t.get('refId', '?'))[:20]}: {m}"))


def _numeric_variables(variables: list) -> dict[str, str]:
    """Variables whose current value is a number (a `k` for topk, a threshold)."""
    out = {}
    for v in variables:
        if not isinstance(v, dict) or v.get("type") not in ("custom", "constant", "textbox"):
            continue
        value = as_dict(v.get("current")).get("value")
        if value is None:
            value = str(v.get("query") or "").split(",")[0].split(":")[0].strip()
        value = value[0] if isinstance(value, list) and value else value
        try:
            float(str(value))
        except ValueError:
            continue
        out[str(v.get("name"))] = str(value).strip()
    return out


def _datasource_type(ds: object, datasources: dict[str, str]) -> str | None:
    """The plugin type a panel's or target's datasource names, when the dashboard says it."""
    uid = ds.get("uid") if isinstance(ds, dict) else ds
    if isinstance(uid, str) and uid.startswith("$"):
        name = uid.strip("${}").split(":")[0]
        if name in datasources:
            return datasources[name] or None
    kind = ds.get("type") if isinstance(ds, dict) else None
    return kind if isinstance(kind, str) and kind not in ("datasource", "") else None


def _is_prometheus(panel: dict, target: dict, datasources: dict[str, str]) -> bool:
    """False for a query that goes to Loki, Elasticsearch, ...: their `expr` is not PromQL."""
    kind = _datasource_type(target.get("datasource"), datasources) or \
        _datasource_type(panel.get("datasource"), datasources)
    return kind is None or kind == "prometheus"
