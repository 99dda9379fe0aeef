"""missing-summary (checks/missing_summary.py)."""

from __future__ import annotations

from pathlib import Path

from tests.lint.checks._helpers import GOOD, alert, checks, with_annotations

ID = "missing-summary"


def test_summary(tmp_path: Path) -> None:
    assert ID in checks(tmp_path, with_annotations(alert(GOOD), summary=None))
    assert ID not in checks(tmp_path, alert(GOOD))
