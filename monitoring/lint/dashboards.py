"""Checks on Grafana dashboards: panel types, units, ids, layout, uid, datasource variable, schema, queries."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jsonschema

from gitea_provider_monitoring.lint import exprs
from gitea_provider_monitoring.lint.inputs import DashboardSource

DEPRECATED_PANELS = {"graph": "timeseries", "singlestat": "stat", "table-old": "table"}
NEEDS_UNIT = {"timeseries", "stat", "gauge", "bargauge", "graph", "singlestat"}
GRID_WIDTH = 24
DISABLE_TAG = "lint-disable:"  # a dashboard tag like `lint-disable:panel-without-unit`

MAX_PANELS = 2000  # panels, rows included; kube-prometheus's largest dashboard has about 60
MAX_QUERIES = 10000

Report = Callable[[str, str, str], None]


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _panels(panels: object, limit: int) -> tuple[list[dict], int]:
    """Every panel object, rows' nested panels included, up to `limit`; also how many were not objects.
    Iterative, so a deep nest of rows costs no recursion."""
    out: list[dict] = []
    bad = 0
    stack = list(reversed(_list(panels)))
    while stack and len(out) <= limit:
        p = stack.pop()
        if not isinstance(p, dict):
            bad += 1
            continue
        out.append(p)
        stack += reversed(_list(p.get("panels")))
    return out, bad


def _where(panel: dict) -> str:
    title = panel.get("title")
    pid = panel.get("id", "?")
    return f'panel "{str(title or "")[:80]}" (id {str(pid)[:20]})'


def check(source: DashboardSource, ctx: exprs.Context, schema: jsonschema.protocols.Validator | None,
          report: Report) -> None:
    d = source.dashboard
    disabled = {t[len(DISABLE_TAG):] for t in _list(d.get("tags")) if isinstance(t, str) and t.startswith(DISABLE_TAG)}
    title = str(d.get("title") or "?")[:80]

    def emit(where: str, check_id: str, message: str) -> None:
        if check_id not in disabled:
            report(where, check_id, message)

    top = f'dashboard "{title}"'
    panels, bad = _panels(d.get("panels"), MAX_PANELS)
    variables = _list(_dict(d.get("templating")).get("list"))
    datasources = {str(v.get("name")): str(v.get("query") or "") for v in variables
                   if isinstance(v, dict) and v.get("type") == "datasource"}
    queries = [(p, t) for p in panels for t in _list(p.get("targets"))
               if isinstance(t, dict) and t.get("expr") and _is_prometheus(p, t, datasources)]
    ctx = dataclasses.replace(ctx, numbers=tuple(_numeric_variables(variables).items()))
    if len(panels) > MAX_PANELS or len(queries) > MAX_QUERIES:
        emit(top, "input-too-large", f"more than {MAX_PANELS} panels or {MAX_QUERIES} queries; not checked "
             "(split the dashboard)")
        return
    if bad:
        emit(top, "invalid-panel", f"{bad} panel(s) are not JSON objects; Grafana cannot render them")
    if not d.get("uid"):
        emit(top, "dashboard-uid", "no uid: each import creates a new copy and links break; set a stable uid")
    if schema is not None:
        for err in sorted(schema.iter_errors(d), key=lambda e: [str(x) for x in e.absolute_path])[:10]:
            path = "/".join(map(str, err.absolute_path)) or "<root>"
            emit(top, "dashboard-schema", f"{path}: {err.message[:200]}")
    if queries and not any(v.get("type") == "datasource" for v in variables if isinstance(v, dict)):
        emit(top, "no-datasource-variable", "no datasource variable; add one (type datasource, query prometheus) and "
             "use ${datasource} in panels")
    ids: dict[int, dict] = {}
    for panel in panels:
        pid = panel.get("id")
        if pid is not None and (isinstance(pid, bool) or not isinstance(pid, int)):
            emit(_where(panel), "invalid-panel", f"id {str(pid)[:20]} is not an integer; Grafana addresses panels by "
                 "integer id")
        elif pid is not None:
            if pid in ids:
                emit(_where(panel), "duplicate-panel-id", f"id {pid} is also used by {_where(ids[pid])}; make ids unique")
            ids.setdefault(pid, panel)
        ptype = panel.get("type")
        ptype = ptype if isinstance(ptype, str) else None
        if ptype in DEPRECATED_PANELS:
            emit(_where(panel), "deprecated-panel-type", f"{ptype} is an Angular panel; use {DEPRECATED_PANELS[ptype]}")
        if ptype in NEEDS_UNIT and panel.get("targets"):
            yaxes = _list(panel.get("yaxes"))
            unit = _dict(_dict(panel.get("fieldConfig")).get("defaults")).get("unit") or panel.get("format") \
                or _dict(yaxes[0] if yaxes else None).get("format")
            if not unit:
                emit(_where(panel), "panel-without-unit", "no unit; set fieldConfig.defaults.unit (e.g. s, percentunit, "
                     "reqps, or none for plain counts)")
    _grid(_list(d.get("panels")), emit)
    for row in panels:
        if row.get("type") == "row" and _list(row.get("panels")):
            _grid(row["panels"], emit)
    for panel, target in queries:
        exprs.check(str(target["expr"]), ctx, lambda c, m, p=panel, t=target: emit(
            _where(p), c, f"query {str(t.get('refId', '?'))[:20]}: {m}"))


def _numeric_variables(variables: list) -> dict[str, str]:
    """Variables whose current value is a number (a `k` for topk, a threshold)."""
    out = {}
    for v in variables:
        if not isinstance(v, dict) or v.get("type") not in ("custom", "constant", "textbox"):
            continue
        value = _dict(v.get("current")).get("value")
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


def _grid(panels: list, emit: Callable[[str, str, str], None]) -> None:
    """Out-of-grid and overlapping panels of one level (the top, or one collapsed row).

    A sweep from top to bottom: panels that were placed without overlap and still cover the current row
    are disjoint in x on a 24-column grid, so at most 24 are compared with each new panel; the check is
    linear (after the sort) in the number of panels. A panel that overlaps is reported on the one later
    in the document and is not placed, so the rest are compared with what Grafana shows first."""
    boxes: list[tuple[int, int, int, int, int, dict]] = []  # (y, order, x, w, h, panel)
    for order, panel in enumerate(p for p in panels if isinstance(p, dict)):
        g = panel.get("gridPos")
        if not g:
            emit(_where(panel), "grid-layout", "no gridPos; Grafana places the panel unpredictably")
            continue
        try:
            x, y, w, h = (int(_dict(g).get(k, 0)) for k in ("x", "y", "w", "h"))
        except (TypeError, ValueError, OverflowError):
            emit(_where(panel), "grid-layout", "gridPos values are not numbers")
            continue
        if not isinstance(g, dict):
            emit(_where(panel), "grid-layout", "gridPos is not an object")
            continue
        if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > GRID_WIDTH:
            emit(_where(panel), "grid-layout", f"gridPos x={x} w={w} leaves the {GRID_WIDTH}-column grid "
                 "(needs 0 <= x, x + w <= 24, w and h > 0)")
        if w > 0 and h > 0:
            boxes.append((y, order, x, w, h, panel))
    boxes.sort(key=lambda b: (b[0], b[1]))
    active: list[tuple[int, int, int, int, int, dict]] = []
    for box in boxes:
        y, order, x, w, h, panel = box
        active = [b for b in active if b[0] + b[4] > y]
        hit = next((b for b in active if x < b[2] + b[3] and b[2] < x + w), None)
        if hit is None:
            if 0 <= x and x + w <= GRID_WIDTH:
                active.append(box)
            continue
        later, earlier = (panel, hit[5]) if order > hit[1] else (hit[5], panel)
        emit(_where(later), "grid-layout", f"overlaps {_where(earlier)}; move one of them")
        if order < hit[1]:  # the earlier panel keeps its place
            active.remove(hit)
            active.append(box)
