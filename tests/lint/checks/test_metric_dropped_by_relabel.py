"""metric-dropped-by-relabel: scoped per monitor (monitoring/lint/checks/metric_dropped_by_relabel.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import messages, record


def monitor(app: str, drop: str | None = None, port: str = "metrics", **spec: object) -> dict:
    endpoint: dict = {"port": port}
    if drop:
        endpoint["metricRelabelings"] = [{"sourceLabels": ["__name__"], "regex": drop, "action": "drop"}]
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": {"name": app, "namespace": "ns"},
            "spec": {"jobLabel": "app", "selector": {"matchLabels": {"app": app}}, "endpoints": [endpoint], **spec}}


SEL = "max(workqueue_depth{%s})"


@pytest.mark.parametrize(("matchers", "docs", "reported"), [
    ('job="a"', (monitor("a", "workqueue_.*"), monitor("b")), 1),
    ('job="b"', (monitor("a", "workqueue_.*"), monitor("b")), 0),
    ("", (monitor("a", "workqueue_.*"), monitor("b")), 0),  # b still delivers it
    ("", (monitor("a", "workqueue_.*"),), 1),  # the only source drops it
    ('job="a", endpoint="other"', (monitor("a", "workqueue_.*"), monitor("b")), 0),
    ('namespace="elsewhere"', (monitor("a", "workqueue_.*"),), 0),
    ('job=~"a|b"', (monitor("a", "workqueue_.*"), monitor("b", "workqueue_depth")), 2),
])
def test_scope(matchers: str, docs: tuple, reported: int, tmp_path: Path) -> None:
    found = messages(tmp_path, "metric-dropped-by-relabel", record(SEL % matchers), docs=docs)
    assert len(found) == reported, found


def test_job_from_a_linted_service_and_from_scrape_configs(tmp_path: Path) -> None:
    sm = monitor("x", "workqueue_.*")
    del sm["spec"]["jobLabel"]
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc-x", "namespace": "ns",
                                                                    "labels": {"app": "x"}}}
    assert messages(tmp_path, "metric-dropped-by-relabel", record(SEL % 'job="svc-x"'), docs=(sm, service, monitor("b")))
    assert not messages(tmp_path, "metric-dropped-by-relabel", record(SEL % 'job="b"'), docs=(sm, service, monitor("b")))
    scrape = {"scrape_configs": [{"job_name": "s", "metric_relabel_configs": [
        {"source_labels": ["__name__"], "regex": "workqueue_depth", "action": "drop"}]}, {"job_name": "t"}]}
    assert messages(tmp_path, "metric-dropped-by-relabel", record(SEL % 'job="s"'), docs=(scrape,))
    assert not messages(tmp_path, "metric-dropped-by-relabel", record(SEL % 'job="t"'), docs=(scrape,))
