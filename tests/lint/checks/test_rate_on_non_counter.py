"""rate-on-non-counter: types from the catalog, a metrics sample and recording rules (checks/rate_on_non_counter.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitea_provider_monitoring.lint import lint_paths
from tests.lint.checks._helpers import alert, messages, record, write

ID = "rate-on-non-counter"


@pytest.mark.parametrize("expr", ["rate(crossplane_managed_resource_exists[5m]) > 0",
                                  "increase(workqueue_depth[10m]) > 0", "resets(workqueue_depth[10m]) > 0",
                                  "irate(controller_runtime_active_workers[5m]) > 0"])
def test_gauge_from_the_catalog(expr: str, tmp_path: Path) -> None:
    (found,) = messages(tmp_path, ID, alert(expr))
    assert "type from catalog" in found


@pytest.mark.parametrize("expr", ["rate(controller_runtime_reconcile_total[5m]) > 0",
                                  "rate(controller_runtime_reconcile_time_seconds_sum[5m]) > 0",
                                  "rate(somebody_elses_gauge[5m]) > 0", "deriv(workqueue_depth[10m]) > 0"])
def test_counters_and_unknown_names_are_not_reported(expr: str, tmp_path: Path) -> None:
    assert messages(tmp_path, ID, alert(expr)) == []


def test_recording_rule_type_follows_from_its_expression(tmp_path: Path) -> None:
    rate_record = record("sum by (controller) (rate(controller_runtime_reconcile_total[5m]))", "controller:reconciles:rate5m")
    sum_record = record("sum by (controller) (controller_runtime_reconcile_total)", "controller:reconciles:sum")
    found = messages(tmp_path, ID, rate_record, sum_record, alert("increase(controller:reconciles:rate5m[1h]) > 1"),
                     alert("increase(controller:reconciles:sum[1h]) > 1", name="GiteaOther"))
    assert len(found) == 1 and "controller:reconciles:rate5m" in found[0] and "type from rules" in found[0]


def test_metrics_sample_types_a_third_party_metric(tmp_path: Path) -> None:
    sample = tmp_path / "metrics.txt"
    sample.write_text("# HELP queue_length Items.\n# TYPE queue_length gauge\nqueue_length 3\n"
                      "# TYPE jobs counter\njobs_total 5\n")
    path = write(tmp_path, alert("rate(queue_length[5m]) > 0"), alert("rate(jobs_total[5m]) > 0", name="GiteaJobs"))
    found = [f for f in lint_paths([path], metrics=[str(sample)]).findings if f.check == ID]
    assert len(found) == 1 and "queue_length" in found[0].message and "type from metrics" in found[0].message
    assert [f for f in lint_paths([path]).findings if f.check == ID] == []  # without the sample: unknown
