"""Checks that live in one file each, as pint's do: the module docstring is the check's documentation
(`gitea-monitoring lint --explain ID` prints it), the module holds `CHECK` and the code, and
tests/lint/checks/test_<module>.py holds its tests. New checks go here; the older ones in exprs.py,
rules.py and dashboards.py move here when they are next changed.
"""

from __future__ import annotations

from types import ModuleType

from gitea_provider_monitoring.lint.checks import (
    alert_without_comparison,
    counter_without_rate,
    deriv_on_counter,
    duplicate_rule,
    for_below_interval,
    histogram_quantile_input,
    input_too_large,
    metric_dropped_by_relabel,
    possible_non_counter,
    range_below_two_scrapes,
    rate_on_non_counter,
    regex_matches_everything,
    regex_never_matches,
    sparse_record_read,
    summary_quantile_aggregation,
    template_missing_label,
    template_value_format,
    vector_matching_mismatch,
)

MODULES: tuple[ModuleType, ...] = (
    alert_without_comparison, counter_without_rate, deriv_on_counter, duplicate_rule, for_below_interval,
    histogram_quantile_input, input_too_large, metric_dropped_by_relabel, possible_non_counter, range_below_two_scrapes,
    rate_on_non_counter, regex_matches_everything, regex_never_matches, sparse_record_read, summary_quantile_aggregation,
    template_missing_label, template_value_format, vector_matching_mismatch,
)
ALL = tuple(m.CHECK for m in MODULES)
DOCS = {m.CHECK.id: (m.__doc__ or "").strip() for m in MODULES}
