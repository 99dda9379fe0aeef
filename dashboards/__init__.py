"""Grafana dashboard definitions, written with grafanalib: `dashboard(config)` per module."""

from __future__ import annotations

from dashboards import capacity, gitea_api, overview, resources, troubleshooting
from monitoring.config import Config
from monitoring.dashboard import DashboardDef

DASHBOARD_MODULES = (overview, resources, troubleshooting, capacity, gitea_api)


def dashboards(config: Config) -> list[DashboardDef]:
    return [module.dashboard(config) for module in DASHBOARD_MODULES]
