"""alert-without-comparison: filters anywhere on the result's path count (checks/alert_without_comparison.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import alert, messages

W = "controller_runtime_active_workers"
E = "rate(controller_runtime_reconcile_errors_total[5m])"


@pytest.mark.parametrize("expr", [
    f"{W} == 0", f"{W} != 0", f"{E} * on (controller) group_left () ({W} != 0)", f"({W} == 0) or ({E} > 1)",
    f"{E} and on (controller) {W}", f"{E} unless {W}", "absent(up{job=\"provider-gitea\"})", "vector(1)",
    f"sum by (controller) ({W} == 0)", f"-({W} < 1)", f"abs({E} - 1) > 0.5",
])
def test_filtering_expressions(expr: str, tmp_path: Path) -> None:
    assert messages(tmp_path, "alert-without-comparison", alert(expr)) == []


@pytest.mark.parametrize("expr", [
    f"sum({W})", f"{W} > bool 0", f"({W} == 0) or {E}", f"{E} * 100", "time() - process_start_time_seconds",
    "vector(1) * " + W,
])
def test_non_filtering_expressions(expr: str, tmp_path: Path) -> None:
    assert len(messages(tmp_path, "alert-without-comparison", alert(expr))) == 1
