"""dashboard-uid (checks/dashboard_uid.py)."""

from __future__ import annotations

from pathlib import Path

from tests.lint.checks._helpers import dash_checks, dashboard, panel

ID = "dashboard-uid"


def test_missing_uid(tmp_path: Path) -> None:
    assert ID in dash_checks(tmp_path, dashboard(panel(1), uid=None))
    assert ID not in dash_checks(tmp_path, dashboard(panel(1)))


def test_duplicate_uid_across_different_dashboards(tmp_path: Path) -> None:
    assert ID in dash_checks(tmp_path, dashboard(panel(1)), dashboard(panel(1), title="Other"))
    # The same dashboard shipped twice (JSON and API wrapper) is one dashboard, not a clash.
    assert ID not in dash_checks(tmp_path, dashboard(panel(1)), {"dashboard": dashboard(panel(1))})
