"""Checks on Grafana dashboards: panel types, units, ids, layout, uid, datasource variable, schema, queries."""

from __future__ import annotations

from collections.abc import Callable

import jsonschema

from monitoring.lint import exprs
from monitoring.lint.inputs import DashboardSource

DEPRECATED_PANELS = {"graph": "timeseries", "singlestat": "stat", "table-old": "table"}
NEEDS_UNIT = {"timeseries", "stat", "gauge", "bargauge", "graph", "singlestat"}
GRID_WIDTH = 24
DISABLE_TAG = "lint-disable:"  # a dashboard tag like `lint-disable:panel-without-unit`

Report = Callable[[str, str, str], None]


def _panels(panels: list) -> list[dict]:
    out = []
    for p in panels or []:
        if isinstance(p, dict):
            out.append(p)
            out += _panels(p.get("panels") or [])
    return out


def _where(panel: dict) -> str:
    return f'panel "{panel.get("title") or ""}" (id {panel.get("id", "?")})'


def check(source: DashboardSource, ctx: exprs.Context, schema: jsonschema.protocols.Validator | None,
          report: Report) -> None:
    d = source.dashboard
    disabled = {t[len(DISABLE_TAG):] for t in d.get("tags") or [] if isinstance(t, str) and t.startswith(DISABLE_TAG)}
    title = d.get("title") or "?"

    def emit(where: str, check_id: str, message: str) -> None:
        if check_id not in disabled:
            report(where, check_id, message)

    top = f'dashboard "{title}"'
    if not d.get("uid"):
        emit(top, "dashboard-uid", "no uid: each import creates a new copy and links break; set a stable uid")
    if schema is not None:
        for err in sorted(schema.iter_errors(d), key=lambda e: list(e.absolute_path))[:10]:
            path = "/".join(map(str, err.absolute_path)) or "<root>"
            emit(top, "dashboard-schema", f"{path}: {err.message[:200]}")
    panels = _panels(d.get("panels") or [])
    queries = [(p, t["expr"]) for p in panels for t in p.get("targets") or [] if isinstance(t, dict) and t.get("expr")]
    variables = (d.get("templating") or {}).get("list") or []
    if queries and not any(v.get("type") == "datasource" for v in variables if isinstance(v, dict)):
        emit(top, "no-datasource-variable", "no datasource variable; add one (type datasource, query prometheus) and "
             "use ${datasource} in panels")
    ids: dict[object, dict] = {}
    for panel in panels:
        pid = panel.get("id")
        if pid is not None:
            if pid in ids:
                emit(_where(panel), "duplicate-panel-id", f"id {pid} is also used by {_where(ids[pid])}; make ids unique")
            ids.setdefault(pid, panel)
        ptype = panel.get("type")
        if ptype in DEPRECATED_PANELS:
            emit(_where(panel), "deprecated-panel-type", f"{ptype} is an Angular panel; use {DEPRECATED_PANELS[ptype]}")
        if ptype in NEEDS_UNIT and panel.get("targets"):
            unit = ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit") or panel.get("format") \
                or (panel.get("yaxes") or [{}])[0].get("format")
            if not unit:
                emit(_where(panel), "panel-without-unit", "no unit; set fieldConfig.defaults.unit (e.g. s, percentunit, "
                     "reqps, or none for plain counts)")
    _grid(d.get("panels") or [], emit)
    for panel in panels:
        for target in panel.get("targets") or []:
            if isinstance(target, dict) and target.get("expr"):
                exprs.check(str(target["expr"]), ctx, lambda c, m, p=panel, t=target: emit(
                    _where(p), c, f"query {t.get('refId', '?')}: {m}"))


def _grid(panels: list, emit: Callable[[str, str, str], None]) -> None:
    """Out-of-grid and overlapping panels, at top level and inside each collapsed row."""
    placed: list[tuple[dict, tuple[int, int, int, int]]] = []
    for panel in panels:
        if not isinstance(panel, dict):
            continue
        g = panel.get("gridPos") or {}
        try:
            x, y, w, h = (int(g.get(k, 0)) for k in ("x", "y", "w", "h"))
        except (TypeError, ValueError):
            emit(_where(panel), "grid-layout", "gridPos values are not numbers")
            continue
        if not g:
            emit(_where(panel), "grid-layout", "no gridPos; Grafana places the panel unpredictably")
            continue
        if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > GRID_WIDTH:
            emit(_where(panel), "grid-layout", f"gridPos x={x} w={w} leaves the {GRID_WIDTH}-column grid "
                 "(needs 0 <= x, x + w <= 24, w and h > 0)")
        for other, (ox, oy, ow, oh) in placed:
            if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                emit(_where(panel), "grid-layout", f"overlaps {_where(other)}; move one of them")
                break
        placed.append((panel, (x, y, w, h)))
        if panel.get("type") == "row" and panel.get("panels"):
            _grid(panel["panels"], emit)
