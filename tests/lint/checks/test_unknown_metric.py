"""unknown-metric (checks/unknown_metric.py)."""

from __future__ import annotations

from pathlib import Path

from tests.lint.checks._helpers import alert, checks, dash_checks, dashboard, panel

ID = "unknown-metric"


def test_names(tmp_path: Path) -> None:
    assert ID in checks(tmp_path, alert("gitea_api_upp == 0"))  # the exporter's own namespace
    assert ID in checks(tmp_path, alert("workqueue_dept > 1"))  # a typo of a catalog name
    assert ID not in checks(tmp_path, alert("gitea_api_up == 0"))
    assert ID not in checks(tmp_path, alert("node_load1 > 1"))  # somebody else's metric


def test_panel_query(tmp_path: Path) -> None:
    assert ID in dash_checks(tmp_path, dashboard(panel(1, targets=[{"refId": "A", "expr": "workqueue_dept"}])))
