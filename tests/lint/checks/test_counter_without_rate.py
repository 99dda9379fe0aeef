"""counter-without-rate (checks/counter_without_rate.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import alert, messages, record

ID = "counter-without-rate"
C = "controller_runtime_reconcile_errors_total"


@pytest.mark.parametrize("expr", [f'{C}{{controller="managed/user"}} > 5', f"sum by (controller) ({C}) > 0",
                                  "my_app_failures_total > 3", f"max({C}) / 2 > 1"])
def test_raw_counter_in_an_alert(expr: str, tmp_path: Path) -> None:
    assert len(messages(tmp_path, ID, alert(expr))) == 1


@pytest.mark.parametrize("expr", [f"sum by (controller) (increase({C}[10m])) > 5", f"rate({C}[5m]) > 0",
                                  f"{C} - {C} offset 1h > 5", f"absent({C})", f"count({C}) > 3",
                                  f"changes({C}[1h]) > 0", f"workqueue_depth > 1 and on (controller) {C}",
                                  "time() - process_start_time_seconds < 60"])
def test_counter_read_correctly(expr: str, tmp_path: Path) -> None:
    assert messages(tmp_path, ID, alert(expr)) == []


def test_recording_rules_are_not_alerts(tmp_path: Path) -> None:
    assert messages(tmp_path, ID, record(f"sum by (controller) ({C})", "controller:errors:sum")) == []


def test_the_one_side_of_a_join_counts(tmp_path: Path) -> None:
    expr = f"rate({C}[5m]) / ignoring (result) group_left controller_runtime_reconcile_total > 0.1"
    assert len(messages(tmp_path, ID, alert(expr))) == 1
