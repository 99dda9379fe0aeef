"""short-range-window (checks/short_range_window.py)."""

from __future__ import annotations

from pathlib import Path

from tests.lint.checks._helpers import alert, checks, dash_checks, dashboard, panel

ID = "short-range-window"


def test_ranges(tmp_path: Path) -> None:
    assert ID in checks(tmp_path, alert("rate(controller_runtime_reconcile_total[1m]) > 0"))
    assert ID not in checks(tmp_path, alert("rate(controller_runtime_reconcile_total[2m]) > 0"))
    assert ID not in checks(tmp_path, alert("rate(controller_runtime_reconcile_total[1m]) > 0"), scrape_interval="15s")


def test_grafana_range_variables(tmp_path: Path) -> None:
    assert ID not in dash_checks(tmp_path, dashboard(panel(1)))  # [$__rate_interval]
    q = [{"refId": "A", "expr": "sum(rate(controller_runtime_reconcile_total[1m]))"}]
    assert ID in dash_checks(tmp_path, dashboard(panel(1, targets=q)))
