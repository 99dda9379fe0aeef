"""`gitea-monitoring lint`: offline checks of rules and dashboards, ours and users' own.

inputs.py reads files into rule groups, dashboards and metric drops; checks_*.py look at them with
the metric catalog (catalog.py); findings.py holds the check registry and the output formats.
"""

from gitea_provider_monitoring.lint.findings import CHECKS, Finding
from gitea_provider_monitoring.lint.runner import LintResult, lint_paths

__all__ = ["CHECKS", "Finding", "LintResult", "lint_paths"]
