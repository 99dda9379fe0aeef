"""severity-label (checks/severity_label.py)."""

from __future__ import annotations

from pathlib import Path

from tests.lint.checks._helpers import GOOD, alert, checks

ID = "severity-label"


def test_severities(tmp_path: Path) -> None:
    rule = alert(GOOD)
    assert ID in checks(tmp_path, {**rule, "labels": {"severity": "page"}})
    assert ID in checks(tmp_path, {**rule, "labels": {}})
    assert ID not in checks(tmp_path, {**rule, "labels": {"severity": "info"}})
    assert ID not in checks(tmp_path, {**rule, "labels": {"severity": "page"}}, severities=("page",))
