"""deprecated-panel-type (warning): an Angular panel type (graph, singlestat, table-old).

Grafana 11 turned Angular support off by default and Grafana 12 removed it: these panels show "Panel plugin
not found" unless an administrator migrates them. Their replacements (timeseries, stat, table) read the
same queries; Grafana's dashboard migration converts most options.

Bad:  "type": "graph"
Good: "type": "timeseries"
Disable: dashboard tag `lint-disable:deprecated-panel-type`.
"""

from __future__ import annotations

from gitea_provider_monitoring.lint.check import WARNING, Check
from gitea_provider_monitoring.lint.checks._panels import DashReport, where

CHECK = Check("deprecated-panel-type", WARNING, "Angular panels (graph, singlestat, table-old) no longer render in "
              "Grafana 12", "dashboard")
DEPRECATED_PANELS = {"graph": "timeseries", "singlestat": "stat", "table-old": "table"}


def check(panels: list[dict], emit: DashReport) -> None:
    for panel in panels:
        ptype = panel.get("type")
        if isinstance(ptype, str) and ptype in DEPRECATED_PANELS:
            emit(where(panel), CHECK.id, f"{ptype} is an Angular panel; use {DEPRECATED_PANELS[ptype]}")
