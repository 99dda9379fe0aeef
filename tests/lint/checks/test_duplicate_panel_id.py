"""duplicate-panel-id (checks/duplicate_panel_id.py)."""

from __future__ import annotations

from pathlib import Path

from tests.lint.checks._helpers import dash_checks, dashboard, panel

ID = "duplicate-panel-id"


def test_ids(tmp_path: Path) -> None:
    assert ID in dash_checks(tmp_path, dashboard(panel(1), panel(1, y=8)))
    assert ID not in dash_checks(tmp_path, dashboard(panel(1), panel(2, y=8)))
    row = {"id": 3, "type": "row", "title": "r", "gridPos": {"x": 0, "y": 16, "w": 24, "h": 1}, "panels": [panel(1, y=17)]}
    assert ID in dash_checks(tmp_path, dashboard(panel(1), row))  # a row's nested panels count
