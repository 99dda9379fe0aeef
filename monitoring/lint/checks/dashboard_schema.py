"""dashboard-schema (warning): the dashboard disagrees with Grafana's published dashboard JSON schema.

The schema is Grafana's own (`--dashboard-schema FILE`, or grafana-dashboard.schema.json under $SPECS_DIR or
../shared/specs); without it, the project's description of the dashboard model
(monitoring/schemas/grafana-dashboard-model.schema.json) is used and a note says so. A warning: Grafana
migrates and imports many older shapes the schema does not describe. At most ten disagreements per
dashboard are listed.

Bad:  "schemaVersion": "42"      (a string)
Good: "schemaVersion": 42
Disable: dashboard tag `lint-disable:dashboard-schema`.
"""

from __future__ import annotations

import jsonschema

from gitea_provider_monitoring.lint.check import WARNING, Check
from gitea_provider_monitoring.lint.checks._panels import DashReport

CHECK = Check("dashboard-schema", WARNING, "Grafana's published dashboard JSON schema disagrees (Grafana itself "
              "migrates and imports older shapes)", "dashboard")
MAX_REPORTED = 10


def check(top: str, dashboard: dict, schema: jsonschema.protocols.Validator | None, emit: DashReport) -> None:
    if schema is None:
        return
    for err in sorted(schema.iter_errors(dashboard), key=lambda e: [str(x) for x in e.absolute_path])[:MAX_REPORTED]:
        path = "/".join(map(str, err.absolute_path)) or "<root>"
        emit(top, CHECK.id, f"{path}: {err.message[:200]}")
