"""`gitea-monitoring lint`: offline checks of rules and dashboards, ours and users' own.

inputs.py reads files into rule groups, dashboards, scrape sources (scope, drops, interval) and target labels;
catalog.py and types.py say what is known about metrics (labels, values; types from the catalog, --metrics,
--prometheus, recording rules and Prometheus' naming convention); analysis.py reads an expression's tree once.
Each check is one file in checks/ (doc, `CHECK`, code; test in tests/lint/checks/); rules.py, exprs.py and
dashboards.py run them where they apply; runner.py ties it together; findings.py registers the checks and
renders text, JSON and SARIF.
"""

from gitea_provider_monitoring.lint.findings import CHECKS, Finding
from gitea_provider_monitoring.lint.runner import LintResult, lint_paths

__all__ = ["CHECKS", "Finding", "LintResult", "lint_paths"]
