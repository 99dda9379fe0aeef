"""panel-without-unit (warning): a graph, stat or gauge panel with queries but no unit.

"0.25" is a quarter of a second, 25 percent or a quarter request per second: without a unit readers guess,
and Grafana cannot scale (ms/s/min) or format. Set fieldConfig.defaults.unit (or the old `format`/`yaxes`);
`none` says plain counts deliberately. Tables, text, logs and rows are not judged.

Bad:  {"type": "timeseries", "fieldConfig": {"defaults": {}}}
Good: {"type": "timeseries", "fieldConfig": {"defaults": {"unit": "s"}}}
Disable: dashboard tag `lint-disable:panel-without-unit`.
"""

from __future__ import annotations

from gitea_provider_monitoring.lint.check import WARNING, Check
from gitea_provider_monitoring.lint.checks._panels import DashReport, as_dict, as_list, where

CHECK = Check("panel-without-unit", WARNING, "numbers without units get misread", "dashboard")
NEEDS_UNIT = {"timeseries", "stat", "gauge", "bargauge", "graph", "singlestat"}


def check(panels: list[dict], emit: DashReport) -> None:
    for panel in panels:
        ptype = panel.get("type")
        if not (isinstance(ptype, str) and ptype in NEEDS_UNIT and panel.get("targets")):
            continue
        yaxes = as_list(panel.get("yaxes"))
        unit = as_dict(as_dict(panel.get("fieldConfig")).get("defaults")).get("unit") or panel.get("format") \
            or as_dict(yaxes[0] if yaxes else None).get("format")
        if not unit:
            emit(where(panel), CHECK.id, "no unit; set fieldConfig.defaults.unit (e.g. s, percentunit, reqps, or none for "
                 "plain counts)")
