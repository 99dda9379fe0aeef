"""dashboard-uid (error): a dashboard without a uid, or two different dashboards with one uid.

Grafana identifies a dashboard by its uid: without one each import or provisioning run creates a new copy
(and links to the old one break); two dashboards with one uid overwrite each other. The same dashboard
shipped several ways (JSON, ConfigMap, GrafanaDashboard: one title) shares its uid legitimately.

Bad:  {"title": "Gitea provider", "panels": [...]}            (no uid)
Good: {"uid": "gitea-provider-overview", "title": "Gitea provider", ...}
Disable: dashboard tag `lint-disable:dashboard-uid`.
"""

from __future__ import annotations

from gitea_provider_monitoring.lint.check import ERROR, Check
from gitea_provider_monitoring.lint.checks._panels import DashReport

CHECK = Check("dashboard-uid", ERROR, "without a stable, unique uid every import makes a new copy and links break",
              "dashboard")


def check(top: str, dashboard: dict, emit: DashReport) -> None:
    if not dashboard.get("uid"):
        emit(top, CHECK.id, "no uid: each import creates a new copy and links break; set a stable uid")


def check_unique(top: str, dashboard: dict, seen: dict[str, str], emit: DashReport) -> None:
    """Across dashboards: `seen` maps uid -> title of the first dashboard with it."""
    uid, title = dashboard.get("uid"), dashboard.get("title", "")
    if isinstance(uid, str) and uid:
        if uid in seen and seen[uid] != title:
            emit(top, CHECK.id, f"uid {uid!r} is also used by dashboard {seen[uid]!r}; give each dashboard its own uid")
        seen.setdefault(uid, title)
