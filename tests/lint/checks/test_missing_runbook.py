"""missing-runbook (checks/missing_runbook.py)."""

from __future__ import annotations

from pathlib import Path

from tests.lint.checks._helpers import GOOD, alert, checks, with_annotations

ID = "missing-runbook"


def test_runbook(tmp_path: Path) -> None:
    assert ID in checks(tmp_path, with_annotations(alert(GOOD), runbook_url=None))
    assert ID not in checks(tmp_path, alert(GOOD))
