"""deprecated-panel-type (checks/deprecated_panel_type.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import dash_checks, dashboard, panel

ID = "deprecated-panel-type"


@pytest.mark.parametrize(("kind", "bad"), [("graph", True), ("singlestat", True), ("table-old", True),
                                           ("timeseries", False), ("stat", False)])
def test_types(kind: str, bad: bool, tmp_path: Path) -> None:
    assert (ID in dash_checks(tmp_path, dashboard(panel(1, type=kind)))) is bad


def test_disable_tag(tmp_path: Path) -> None:
    assert ID not in dash_checks(tmp_path, dashboard(panel(1, type="graph"), tags=[f"lint-disable:{ID}"]))
