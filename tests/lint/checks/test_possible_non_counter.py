"""possible-non-counter: Prometheus' naming convention, settled by a type source (checks/possible_non_counter.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitea_provider_monitoring.lint import lint_paths
from tests.lint.checks._helpers import alert, messages, write

ID = "possible-non-counter"


@pytest.mark.parametrize("expr", ["rate(node_memory_Active_bytes[5m]) > 0", "increase(queue_length[1h]) > 10",
                                  "irate(node_memory_Active_bytes[5m]) > 0"])
def test_name_without_a_counter_suffix(expr: str, tmp_path: Path) -> None:
    (found,) = messages(tmp_path, ID, alert(expr))
    assert "--metrics" in found and "--prometheus" in found


@pytest.mark.parametrize("expr", ["rate(http_requests_total[5m]) > 0", "rate(x_seconds_sum[5m]) > 0",
                                  "rate(x_seconds_count[5m]) > 0", "rate(x_seconds_bucket[5m]) > 0",
                                  "rate(job:requests:sum[5m]) > 0",
                                  "rate(workqueue_depth[5m]) > 0"])
def test_not_reported(expr: str, tmp_path: Path) -> None:
    assert messages(tmp_path, ID, alert(expr)) == []


def test_a_metrics_sample_settles_it(tmp_path: Path) -> None:
    sample = tmp_path / "m.txt"
    sample.write_text("# TYPE processed counter\nprocessed 4\n# TYPE queue_length gauge\nqueue_length 1\n")
    path = write(tmp_path, alert("rate(processed[5m]) > 0"), alert("rate(queue_length[5m]) > 0", name="GiteaQ"))
    checks = [f.check for f in lint_paths([path], metrics=[str(sample)]).findings]
    assert ID not in checks and "rate-on-non-counter" in checks
    assert [f.check for f in lint_paths([path]).findings].count(ID) == 2
