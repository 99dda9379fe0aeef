"""invalid-panel (error): a panel that is not a JSON object, or whose id is not an integer.

Grafana's panel handling (ids, links, repeats, the layout) expects objects with integer ids; a string or
list id, or a bare number in `panels`, breaks the dashboard in the browser or on import.

Bad:  "panels": [7, {"id": "one"}]
Good: "panels": [{"id": 1, ...}, {"id": 2, ...}]
Disable: dashboard tag `lint-disable:invalid-panel`.
"""

from __future__ import annotations

from gitea_provider_monitoring.lint.check import ERROR, Check
from gitea_provider_monitoring.lint.checks._panels import DashReport, where

CHECK = Check("invalid-panel", ERROR, "a panel field of the wrong type (an id that is not a number, a non-object "
              "panel) breaks Grafana's panel handling", "dashboard")


def check(top: str, panels: list[dict], not_objects: int, emit: DashReport) -> None:
    if not_objects:
        emit(top, CHECK.id, f"{not_objects} panel(s) are not JSON objects; Grafana cannot render them")
    for panel in panels:
        pid = panel.get("id")
        if pid is not None and (isinstance(pid, bool) or not isinstance(pid, int)):
            emit(where(panel), CHECK.id, f"id {str(pid)[:20]} is not an integer; Grafana addresses panels by integer id")
