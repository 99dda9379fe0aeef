"""template-missing-label (checks/template_missing_label.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import alert, messages

ID = "template-missing-label"
E = "rate(controller_runtime_reconcile_errors_total[5m])"


def _alert(expr: str, description: str) -> dict:
    rule = alert(expr)
    rule["annotations"]["description"] = description
    return rule


@pytest.mark.parametrize(("expr", "text"), [
    (f"sum by (job) ({E}) > 0", "{{ $labels.controller }} fails"),
    (f"sum({E}) > 0", '{{ index $labels "job" }}'),
    ('absent(up{job="provider-gitea", instance=~".+"})', "{{ $labels.instance }} is gone"),
    ("vector(1)", "{{ $labels.namespace }}"),
])
def test_dropped_label(expr: str, text: str, tmp_path: Path) -> None:
    assert len(messages(tmp_path, ID, _alert(expr, text))) == 1


@pytest.mark.parametrize(("expr", "text"), [
    (f"sum by (job, controller) ({E}) > 0", "{{ $labels.controller }} fails"),
    (f"{E} > 0", "{{ $labels.anything }}"),
    ('absent(up{job="provider-gitea"})', "{{ $labels.job }} is gone"),
    (f'label_replace(sum({E}), "team", "x", "", "") > 0', "{{ $labels.team }}"),
    (f"sum by (controller) ({E}) > 0", "{{ $value }} {{ $externalLabels.cluster }}"),
])
def test_label_kept(expr: str, text: str, tmp_path: Path) -> None:
    assert messages(tmp_path, ID, _alert(expr, text)) == []


def test_each_branch_of_or_is_judged(tmp_path: Path) -> None:
    expr = 'sum by (namespace) (up{job="provider-gitea"}) == 0 or absent(up{job="provider-gitea", namespace="x"})'
    (found,) = messages(tmp_path, ID, _alert(expr, "{{ $labels.job }} is down"))
    assert "one branch of `or`" in found
    assert messages(tmp_path, ID, _alert(expr, "{{ $labels.namespace }} is down")) == []
