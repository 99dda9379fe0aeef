"""Grafana dashboard definitions, written with grafanalib: `dashboard(config)` per module."""

from __future__ import annotations

from gitea_provider_monitoring.dashboards import capacity, gitea_api, overview, resources, troubleshooting
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.dashboard import DashboardDef

DASHBOARD_MODULES = (overview, resources, troubleshooting, capacity, gitea_api)


def dashboards(config: Config) -> list[DashboardDef]:
    return [module.dashboard(config) for module in DASHBOARD_MODULES]
