"""missing-description (checks/missing_description.py)."""

from __future__ import annotations

from pathlib import Path

from tests.lint.checks._helpers import GOOD, alert, checks, with_annotations

ID = "missing-description"


def test_description(tmp_path: Path) -> None:
    assert ID in checks(tmp_path, with_annotations(alert(GOOD), description=None))
    assert ID in checks(tmp_path, with_annotations(alert(GOOD), description="it is broken"))
    assert ID not in checks(tmp_path, alert(GOOD))
