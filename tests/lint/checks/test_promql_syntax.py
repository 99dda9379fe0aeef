"""promql-syntax (checks/promql_syntax.py)."""

from __future__ import annotations

from pathlib import Path

from tests.lint.checks._helpers import GOOD, alert, checks, dash_checks, dashboard, panel

ID = "promql-syntax"


def test_rule_expression(tmp_path: Path) -> None:
    assert ID in checks(tmp_path, alert("sum(rate(x[5m])"))
    assert ID in checks(tmp_path, {"alert": "GiteaX", "expr": " "})
    assert ID not in checks(tmp_path, alert(GOOD))


def test_panel_query(tmp_path: Path) -> None:
    assert ID in dash_checks(tmp_path, dashboard(panel(1, targets=[{"refId": "A", "expr": "sum(up"}])))
    assert ID not in dash_checks(tmp_path, dashboard(panel(1)))
