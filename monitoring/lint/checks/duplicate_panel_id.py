"""duplicate-panel-id (error): two panels of one dashboard share an id (rows' nested panels included).

Grafana addresses panels by id: view and edit links (`viewPanel=3`), panel links from alerts, library
panels and repeated rows all pick the first panel with the id, so the second cannot be linked, and
repeats overwrite each other.

Bad:  panels with "id": 1 and "id": 1
Good: "id": 1 and "id": 2
Disable: dashboard tag `lint-disable:duplicate-panel-id`.
"""

from __future__ import annotations

from gitea_provider_monitoring.lint.check import ERROR, Check
from gitea_provider_monitoring.lint.checks._panels import DashReport, where

CHECK = Check("duplicate-panel-id", ERROR, "Grafana links, alerts and repeats address panels by id", "dashboard")


def check(panels: list[dict], emit: DashReport) -> None:
    ids: dict[int, dict] = {}
    for panel in panels:
        pid = panel.get("id")
        if isinstance(pid, int) and not isinstance(pid, bool):
            if pid in ids:
                emit(where(panel), CHECK.id, f"id {pid} is also used by {where(ids[pid])}; make ids unique")
            ids.setdefault(pid, panel)
