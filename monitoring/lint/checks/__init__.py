"""Checks that live in one file each, as pint's do: the module docstring is the check's documentation
(`gitea-monitoring lint --explain ID` prints it), the module holds `CHECK` and the code, and
tests/lint/checks/test_<module>.py holds its tests. New checks go here; the older ones in exprs.py,
rules.py and dashboards.py move here when they are next changed.
"""

from __future__ import annotations

from types import ModuleType

from gitea_provider_monitoring.lint.checks import (
    alert_without_comparison,
    duplicate_rule,
    histogram_quantile_input,
    input_too_large,
    metric_dropped_by_relabel,
    sparse_record_read,
)

MODULES: tuple[ModuleType, ...] = (alert_without_comparison, duplicate_rule, histogram_quantile_input,
                                   input_too_large, metric_dropped_by_relabel, sparse_record_read)
ALL = tuple(m.CHECK for m in MODULES)
DOCS = {m.CHECK.id: (m.__doc__ or "").strip() for m in MODULES}
