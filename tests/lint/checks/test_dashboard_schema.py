"""dashboard-schema (checks/dashboard_schema.py): against Grafana's schema when present, else the project's own."""

from __future__ import annotations

from pathlib import Path

from gitea_provider_monitoring.lint.runner import OWN_SCHEMA
from tests.lint.checks._helpers import dash_checks, dashboard, panel

ID = "dashboard-schema"


def test_own_schema(tmp_path: Path) -> None:
    bad = dashboard(panel(1), schemaVersion="42")
    assert ID in dash_checks(tmp_path, bad, dashboard_schema=OWN_SCHEMA)
    assert ID not in dash_checks(tmp_path, dashboard(panel(1)), dashboard_schema=OWN_SCHEMA)


def test_grafana_schema(tmp_path: Path, specs: Path) -> None:
    schema = specs / "grafana-dashboard.schema.json"
    assert ID in dash_checks(tmp_path, dashboard(panel(1), schemaVersion="42"), dashboard_schema=schema)
    assert ID not in dash_checks(tmp_path, dashboard(panel(1)), dashboard_schema=schema)
