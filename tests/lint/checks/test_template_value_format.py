"""template-value-format (checks/template_value_format.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import alert, messages

ID = "template-value-format"
RATIO = ("sum(rate(controller_runtime_reconcile_errors_total[5m])) / sum(rate(controller_runtime_reconcile_total[5m]))"
         " > 0.05")


def _alert(expr: str, description: str) -> dict:
    rule = alert(expr)
    rule["annotations"]["description"] = description
    return rule


@pytest.mark.parametrize(("expr", "text"), [(RATIO, "{{ $value }} fail"), ("rate(x_total[5m]) > 1", "at {{ .Value }}/s")])
def test_raw_value(expr: str, text: str, tmp_path: Path) -> None:
    assert len(messages(tmp_path, ID, _alert(expr, text))) == 1


@pytest.mark.parametrize(("expr", "text"), [
    (RATIO, "{{ $value | humanizePercentage }} fail"), (RATIO, '{{ printf "%.2f" $value }}'),
    ("workqueue_depth > 100", "{{ $value }} items"), (RATIO, "{{ $labels.job }} fails"),
])
def test_formatted_or_whole(expr: str, text: str, tmp_path: Path) -> None:
    assert messages(tmp_path, ID, _alert(expr, text)) == []
