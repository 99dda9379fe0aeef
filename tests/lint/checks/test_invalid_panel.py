"""invalid-panel (checks/invalid_panel.py)."""

from __future__ import annotations

from pathlib import Path

from tests.lint.checks._helpers import dash_findings, dashboard, panel

ID = "invalid-panel"


def test_wrong_types(tmp_path: Path) -> None:
    found = [f.message for f in dash_findings(tmp_path, dashboard(panel(1), {"id": [1]}, 7, {"id": "x"})) if f.check == ID]
    assert "1 panel(s) are not JSON objects; Grafana cannot render them" in found
    assert any("id [1] is not an integer" in m for m in found) and any("id x is not" in m for m in found)
    assert not [f for f in dash_findings(tmp_path, dashboard(panel(1), panel(2, y=8))) if f.check == ID]
