"""invalid-duration (checks/invalid_duration.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import GOOD, alert, checks

ID = "invalid-duration"


@pytest.mark.parametrize(("field", "value", "bad"), [
    ("for", "5 minutes", True), ("for", "1.5m", True), ("for", "30m5h", True), ("keep_firing_for", "x", True),
    ("for", "1h30m", False), ("for", "0", False), ("keep_firing_for", "10m", False),
])
def test_durations(field: str, value: str, bad: bool, tmp_path: Path) -> None:
    assert (ID in checks(tmp_path, {**alert(GOOD), field: value})) is bad
