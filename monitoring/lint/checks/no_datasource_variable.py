"""no-datasource-variable (warning): a dashboard with Prometheus queries but no datasource variable.

Without a `datasource` template variable the panels point at one data source uid, which differs in every
Grafana: the imported dashboard shows "data source not found" until each panel is edited. With a
variable (type datasource, query prometheus) and `${datasource}` in the panels, users pick theirs.

Bad:  "templating": {"list": []}
Good: "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]}
Disable: dashboard tag `lint-disable:no-datasource-variable`.
"""

from __future__ import annotations

from gitea_provider_monitoring.lint.check import WARNING, Check
from gitea_provider_monitoring.lint.checks._panels import DashReport

CHECK = Check("no-datasource-variable", WARNING, "without a datasource variable the dashboard is tied to one "
              "Prometheus", "dashboard")


def check(top: str, variables: list, has_queries: bool, emit: DashReport) -> None:
    if has_queries and not any(isinstance(v, dict) and v.get("type") == "datasource" for v in variables):
        emit(top, CHECK.id, "no datasource variable; add one (type datasource, query prometheus) and use ${datasource} "
             "in panels")
