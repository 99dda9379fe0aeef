"""Grafana dashboard definitions, written with grafanalib: `dashboard(config)` per module."""

from __future__ import annotations

from monitoring.config import Config
from monitoring.dashboard import DashboardDef

DASHBOARD_MODULES: tuple = ()


def dashboards(config: Config) -> list[DashboardDef]:
    return [module.dashboard(config) for module in DASHBOARD_MODULES]
