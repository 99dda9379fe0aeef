"""range-below-two-scrapes: the scrape interval of the job, from a linted monitor or scrape config
(checks/range_below_two_scrapes.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitea_provider_monitoring.lint import lint_paths
from tests.lint.checks._helpers import alert, write

ID = "range-below-two-scrapes"
POD_MONITOR = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": {"name": "p", "namespace": "ns"},
               "spec": {"podMetricsEndpoints": [{"port": "metrics", "interval": "1m", "relabelings": [
                   {"action": "replace", "targetLabel": "job", "replacement": "provider-gitea"}]}]}}
SCRAPE = {"global": {"scrape_interval": "15s"}, "scrape_configs": [{"job_name": "slow", "scrape_interval": "2m"},
                                                                    {"job_name": "fast"}]}


def _found(path: Path, **kwargs: object) -> list[str]:
    return [f.message for f in lint_paths([path], **kwargs).findings if f.check == ID]


@pytest.mark.parametrize(("expr", "doc", "n"), [
    ('rate(controller_runtime_reconcile_total{job="provider-gitea"}[1m]) > 0', POD_MONITOR, 1),
    ('rate(controller_runtime_reconcile_total{job="provider-gitea"}[2m]) > 0', POD_MONITOR, 0),
    ('rate(controller_runtime_reconcile_total{job="other"}[1m]) > 0', POD_MONITOR, 0),
    ("rate(controller_runtime_reconcile_total[1m]) > 0", POD_MONITOR, 0),  # which job: unknown
    ('increase(x_total{job="slow"}[3m]) > 0', SCRAPE, 1),
    ('increase(x_total{job="fast"}[30s]) > 0', SCRAPE, 0),
    ('increase(x_total{job="fast"}[20s]) > 0', SCRAPE, 1),
    ('avg_over_time(x{job="slow"}[1m]) > 0', SCRAPE, 0),  # one sample is enough for *_over_time
])
def test_interval_of_the_job(expr: str, doc: dict, n: int, tmp_path: Path) -> None:
    assert len(_found(write(tmp_path, alert(expr), docs=(doc,)))) == n


def test_given_scrape_interval_applies_to_every_selector(tmp_path: Path) -> None:
    path = write(tmp_path, alert("rate(controller_runtime_reconcile_total[1m]) > 0"))
    assert _found(path) == []
    assert len(_found(path, scrape_interval="1m")) == 1


def test_dashboard_panels_are_told_about_rate_interval(tmp_path: Path) -> None:
    q = 'sum(rate(controller_runtime_reconcile_total{job="provider-gitea"}[%s]))'
    panels = [{"id": i, "type": "timeseries", "title": f"p{i}", "gridPos": {"x": 0, "y": 8 * i, "w": 12, "h": 8},
               "targets": [{"refId": "A", "expr": q % r}]} for i, r in enumerate(("1m", "$__rate_interval", "5m"))]
    (tmp_path / "d.json").write_text(json.dumps({"uid": "u", "title": "t", "panels": panels}))
    (tmp_path / "m.json").write_text(json.dumps(POD_MONITOR))
    (found,) = _found(tmp_path)
    assert "$__rate_interval" in found
