"""alert-name-case (checks/alert_name_case.py)."""

from __future__ import annotations

from pathlib import Path

from tests.lint.checks._helpers import GOOD, alert, checks

ID = "alert-name-case"


def test_names(tmp_path: Path) -> None:
    assert ID in checks(tmp_path, alert(GOOD, name="gitea_down"))
    assert ID not in checks(tmp_path, alert(GOOD, name="GiteaDown"))
