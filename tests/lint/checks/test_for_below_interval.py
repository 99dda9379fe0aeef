"""for-below-interval (checks/for_below_interval.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitea_provider_monitoring.lint import lint_paths
from tests.lint.checks._helpers import alert, write

ID = "for-below-interval"


@pytest.mark.parametrize(("for_", "interval", "n"), [("1m", "5m", 1), ("5m", "5m", 0), ("10m", "1m", 0), ("0s", "5m", 0),
                                                      ("1m", None, 0)])
def test_for_and_interval(for_: str, interval: str | None, n: int, tmp_path: Path) -> None:
    rule = alert("workqueue_depth > 100")
    rule["for"] = for_
    found = [f for f in lint_paths([write(tmp_path, rule, interval=interval)]).findings if f.check == ID]
    assert len(found) == n
