"""unmatchable-label-value (checks/unmatchable_label_value.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import alert, checks

ID = "unmatchable-label-value"
E = "controller_runtime_reconcile_errors_total"


@pytest.mark.parametrize(("matcher", "bad"), [
    ('controller=~".*gitea-repo.*"', True), ('controller="gitea"', True), ('controller=~"managed/.*"', False),
    ('controller="managed/repository"', False), ('controller!="gitea"', False),
])
def test_values(matcher: str, bad: bool, tmp_path: Path) -> None:
    assert (ID in checks(tmp_path, alert(f"{E}{{{matcher}}} > 0"))) is bad
