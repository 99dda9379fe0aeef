"""vector-matching-mismatch (checks/vector_matching_mismatch.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import messages, record

ID = "vector-matching-mismatch"
E = "rate(controller_runtime_reconcile_errors_total[5m])"
T = "rate(controller_runtime_reconcile_total[5m])"


@pytest.mark.parametrize("expr", [
    f"sum by (controller) ({E}) / sum by (job) ({T})",
    f"sum by (controller) ({E}) / {T}",  # the right keeps result and the target labels
    'sum by (job) (up) unless absent(up{job="a", instance="b"})',
    f"sum by (job) ({E}) > ignoring (job) sum by (controller) ({T})",
])
def test_label_sets_that_cannot_match(expr: str, tmp_path: Path) -> None:
    assert messages(tmp_path, ID, record(expr))


@pytest.mark.parametrize("expr", [
    f"sum by (controller) ({E}) / sum by (controller) ({T})",
    f"sum by (controller) ({E}) / on (controller) group_left sum by (controller, result) ({T})",
    f"sum by (controller, result) ({T}) / ignoring (result) group_left sum by (controller) ({T})",
    f"sum({E}) or vector(0)", "somebody_elses_metric / other_metric", f"sum({E}) / 2",
])
def test_matching_label_sets(expr: str, tmp_path: Path) -> None:
    assert messages(tmp_path, ID, record(expr)) == []
