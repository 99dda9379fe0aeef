"""unknown-label (checks/unknown_label.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import alert, checks

ID = "unknown-label"


@pytest.mark.parametrize(("expr", "bad"), [
    ("sum by (gvk) (workqueue_depth) > 1", True), ('workqueue_depth{gvk="x"} > 1', True),
    ("sum by (name) (workqueue_depth) / on (controller) sum by (name) (workqueue_adds_total) > 1", True),
    ("sum by (name) (workqueue_depth) > 1", False), ('workqueue_depth{namespace="x"} > 1', False),
    ('workqueue_depth{gvk=~".*"} > 1', False), ("sum by (gvk) (somebody_elses_metric) > 1", False),
])
def test_labels(expr: str, bad: bool, tmp_path: Path) -> None:
    assert (ID in checks(tmp_path, alert(expr))) is bad


def test_labels_written_by_a_linted_monitor_are_known(tmp_path: Path) -> None:
    monitor = {"kind": "ServiceMonitor", "metadata": {"name": "m"},
               "spec": {"endpoints": [{"relabelings": [{"targetLabel": "tier", "replacement": "gold"}]}]}}
    assert ID not in checks(tmp_path, alert('workqueue_depth{tier="gold"} > 1'), docs=(monitor,))
