"""histogram-quantile-input: only aggregations the buckets flow through (checks/histogram_quantile_input.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import messages, record

B = "rate(controller_runtime_reconcile_time_seconds_bucket[5m])"


@pytest.mark.parametrize("expr", [
    f"histogram_quantile(0.9, sum by (controller, le) ({B}))",
    f"histogram_quantile(0.9, sum without (controller) ({B}))",
    f"histogram_quantile(0.9, sum by (controller, le) ({B}) * on (controller) group_left (name) "
    "max by (controller, name) (workqueue_depth))",
    "histogram_quantile(0.9, sum by (le) (rate(somebody_elses_seconds_bucket[5m])))",
    "histogram_quantile(0.9, job:latency:rate5m)",
])
def test_le_kept(expr: str, tmp_path: Path) -> None:
    assert messages(tmp_path, "histogram-quantile-input", record(expr)) == []


@pytest.mark.parametrize(("expr", "says"), [
    (f"histogram_quantile(0.9, sum by (controller) ({B}))", "sum inside histogram_quantile drops the le label"),
    (f"histogram_quantile(0.9, sum without (le) ({B}))", "drops the le label"),
    ("histogram_quantile(0.9, sum by (le) (rate(somebody_elses_seconds_bucket[5m])) / ignoring (le) group_left "
     "sum(rate(x_bucket[5m])))", "sum inside histogram_quantile drops the le label"),
    ("histogram_quantile(0.9, rate(controller_runtime_reconcile_time_seconds_sum[5m]))", "not a _bucket series"),
])
def test_le_dropped(expr: str, says: str, tmp_path: Path) -> None:
    found = messages(tmp_path, "histogram-quantile-input", record(expr))
    assert found and says in found[0]


def test_records_of_bucket_rates_are_buckets(tmp_path: Path) -> None:
    rec = record(f"sum by (controller, le) ({B})", "controller_le:reconcile_time_bucket:rate5m")
    assert messages(tmp_path, "histogram-quantile-input", rec,
                    record("histogram_quantile(0.9, controller_le:reconcile_time_bucket:rate5m)", "controller:p90:x")) == []
    found = messages(tmp_path, "histogram-quantile-input", rec, record(
        "histogram_quantile(0.9, sum by (controller) (controller_le:reconcile_time_bucket:rate5m))", "controller:p90:x"))
    assert found and "drops the le label" in found[0]


@pytest.mark.parametrize(("expr", "n"), [("histogram_quantile(0.9, rate(x_seconds_sum[5m]))", 1),
                                         ("histogram_quantile(0.9, rate(x_seconds[5m]))", 0)])  # may be native
def test_names_that_are_never_buckets(expr: str, n: int, tmp_path: Path) -> None:
    assert len(messages(tmp_path, "histogram-quantile-input", record(expr))) == n
