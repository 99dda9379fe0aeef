"""grid-layout (checks/grid_layout.py)."""

from __future__ import annotations

from pathlib import Path

from gitea_provider_monitoring.lint.checks.grid_layout import check_level
from tests.lint.checks._helpers import dash_checks, dashboard, panel

ID = "grid-layout"


def test_layout(tmp_path: Path) -> None:
    assert ID in dash_checks(tmp_path, dashboard(panel(1), panel(2, y=4)))  # overlap
    assert ID in dash_checks(tmp_path, dashboard(panel(1, gridPos={"x": 8, "y": 0, "w": 20, "h": 8})))
    assert ID in dash_checks(tmp_path, dashboard(panel(1, gridPos=None)))
    assert ID not in dash_checks(tmp_path, dashboard(panel(1), panel(2, y=8)))


def test_each_overlap_is_reported_once_on_the_later_panel() -> None:
    panels = [{"id": i, "title": f"p{i}", "gridPos": {"x": (i % 3) * 8, "y": (i // 3) * 4, "w": 8, "h": 4}}
              for i in range(300)]
    panels[150]["gridPos"] = {"x": 4, "y": 40, "w": 8, "h": 4}  # onto panels 30 and 31
    found: list[tuple[str, str]] = []
    check_level(panels, lambda where, check_id, message: found.append((where, message)))
    assert found == [('panel "p150" (id 150)', 'overlaps panel "p30" (id 30); move one of them')]
