"""deriv-on-counter (checks/deriv_on_counter.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import alert, messages

ID = "deriv-on-counter"


@pytest.mark.parametrize(("expr", "says"), [
    ("predict_linear(controller_runtime_reconcile_errors_total[1h], 3600) > 100", "rate()"),
    ("deriv(somebody_elses_requests_total[10m]) > 1", "its _total name"),
    ("delta(gitea_api_probes_total[5m]) > 1", "increase()"),
])
def test_counter(expr: str, says: str, tmp_path: Path) -> None:
    (found,) = messages(tmp_path, ID, alert(expr))
    assert says in found


@pytest.mark.parametrize("expr", ["deriv(workqueue_depth[10m]) > 1", "predict_linear(node_filesystem_avail_bytes[6h], 3600) < 0",
                                  "delta(process_resident_memory_bytes[5m]) > 0"])
def test_gauges(expr: str, tmp_path: Path) -> None:
    assert messages(tmp_path, ID, alert(expr)) == []
