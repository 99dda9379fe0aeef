"""panel-without-unit (checks/panel_without_unit.py)."""

from __future__ import annotations

from pathlib import Path

from tests.lint.checks._helpers import dash_checks, dashboard, panel

ID = "panel-without-unit"


def test_units(tmp_path: Path) -> None:
    assert ID in dash_checks(tmp_path, dashboard(panel(1, fieldConfig={"defaults": {}})))
    assert ID not in dash_checks(tmp_path, dashboard(panel(1)))
    assert ID not in dash_checks(tmp_path, dashboard(panel(1, fieldConfig={"defaults": {}}, format="short")))
    assert ID not in dash_checks(tmp_path, dashboard(panel(1, type="table", fieldConfig={"defaults": {}})))
