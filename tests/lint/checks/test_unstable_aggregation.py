"""unstable-aggregation (checks/unstable_aggregation.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import alert, checks, record

ID = "unstable-aggregation"
W = "controller_runtime_active_workers"


@pytest.mark.parametrize(("expr", "bad"), [
    (f"topk(1, {W}) > 1", True), (f"bottomk(3, {W}) < 1", True), (f"max({W}) > 1", False),
    (f"topk by (controller) (1, {W}) > 1", False), (f"{W} > 1 and on (controller) topk(3, {W})", False),
])
def test_alerts(expr: str, bad: bool, tmp_path: Path) -> None:
    assert (ID in checks(tmp_path, alert(expr))) is bad


def test_records_are_not_judged(tmp_path: Path) -> None:
    assert ID not in checks(tmp_path, record(f"topk(1, {W})"))
