"""summary-quantile-aggregation (checks/summary_quantile_aggregation.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import messages, record

ID = "summary-quantile-aggregation"


@pytest.mark.parametrize("expr", ['avg by (job) (rpc_duration_seconds{quantile="0.99"})',
                                  'sum(go_gc_duration_seconds{quantile="1"})',
                                  'avg(avg_over_time(rpc_duration_seconds{quantile=~"0.9|0.99"}[5m]))'])
def test_averaged_quantiles(expr: str, tmp_path: Path) -> None:
    assert len(messages(tmp_path, ID, record(expr))) == 1


@pytest.mark.parametrize("expr", ['max by (job) (rpc_duration_seconds{quantile="0.99"})',
                                  "sum(rate(rpc_duration_seconds_sum[5m])) / sum(rate(rpc_duration_seconds_count[5m]))",
                                  "histogram_quantile(0.99, sum by (le) (rate(rpc_duration_seconds_bucket[5m])))",
                                  "avg(workqueue_depth)"])
def test_fine(expr: str, tmp_path: Path) -> None:
    assert messages(tmp_path, ID, record(expr)) == []
