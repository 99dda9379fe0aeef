"""no-datasource-variable (checks/no_datasource_variable.py)."""

from __future__ import annotations

from pathlib import Path

from tests.lint.checks._helpers import dash_checks, dashboard, panel

ID = "no-datasource-variable"


def test_variable(tmp_path: Path) -> None:
    assert ID in dash_checks(tmp_path, dashboard(panel(1), templating={"list": []}))
    assert ID not in dash_checks(tmp_path, dashboard(panel(1)))
    assert ID not in dash_checks(tmp_path, dashboard(panel(1, targets=[]), templating={"list": []}))  # no queries
