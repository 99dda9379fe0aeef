"""Run the expression checks (checks/<id>.py) on one PromQL expression, a rule's or a panel query's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.catalog import LintCatalog
from gitea_provider_monitoring.lint.checks import (
    alert_without_comparison,
    counter_without_rate,
    deriv_on_counter,
    histogram_quantile_input,
    impossible_selector,
    input_too_large,
    metric_dropped_by_relabel,
    plain_regex,
    possible_non_counter,
    promql_syntax,
    range_below_two_scrapes,
    rate_on_non_counter,
    regex_matches_everything,
    regex_never_matches,
    short_range_window,
    summary_quantile_aggregation,
    undefined_recording_rule,
    unknown_label,
    unknown_metric,
    unmatchable_label_value,
    unstable_aggregation,
    vector_matching_mismatch,
)
from gitea_provider_monitoring.lint.inputs import MetricSource
from gitea_provider_monitoring.model.config import duration_seconds
from gitea_provider_monitoring.model.dashboard import substitute_variables
from gitea_provider_monitoring.model.promql import PromQLError, PromQLTooLarge, parse, selector

Emit = Callable[[str, str], None]  # (check id, message)

VARIABLE_MARK = "__grafana_var__"
GRAFANA_RANGE_VALUE = "17m"  # stands for $__rate_interval etc.; never reported as too short


@dataclass(frozen=True)
class Context:
    catalog: LintCatalog
    sources: tuple[MetricSource, ...]  # monitor endpoints and scrape jobs, with their drops and intervals
    scrape_interval: float  # seconds
    is_alert: bool = False
    grafana: bool = False  # a panel query: Grafana variables are substituted before parsing
    target_labels: frozenset[str] = frozenset()  # besides the catalog's: labels the linted monitors write
    target_open: bool = False  # a labelmap somewhere: any label may exist
    numbers: tuple[tuple[str, str], ...] = ()  # dashboard variables whose values are numbers (`topk($k, ...)`)
    interval_given: float | None = None  # --scrape-interval when the user passed it (seconds)


def substitute(expr: str, numbers: dict[str, str] | None = None) -> str:
    """Grafana variables -> placeholders that parse; matchers holding one are not value-checked. A variable
    whose values are numbers becomes its number, so `topk($k, ...)` parses."""
    numbers = numbers or {}
    return substitute_variables(expr, value=lambda name: numbers.get(name, VARIABLE_MARK), ranges=GRAFANA_RANGE_VALUE)


def check(expr: str, ctx: Context, emit: Emit) -> Analysis | None:
    """Run every expression check; the analysis (for the rule-level checks) or None when it did not parse."""
    text = substitute(expr, dict(ctx.numbers)) if ctx.grafana else expr
    try:
        tree = parse(text)
    except PromQLTooLarge as exc:
        emit(input_too_large.CHECK.id, str(exc))
        return None
    except PromQLError as exc:
        emit(promql_syntax.CHECK.id, promql_syntax.message(exc))
        return None
    a = Analysis(tree, ctx.catalog, ctx.catalog.target_labels | ctx.target_labels, ctx.target_open, VARIABLE_MARK)
    skip = duration_seconds(GRAFANA_RANGE_VALUE)
    for i, flat in enumerate(a.flat):
        node = flat.expr
        if isinstance(node, pp.VectorSelector):
            sel = selector(node)
            undefined_recording_rule.check(sel.name, ctx.catalog, emit)
            unknown_metric.check(sel.name, ctx.catalog, emit)
            if sel.name:
                metric_dropped_by_relabel.check(sel.name, sel.matchers, ctx.sources, VARIABLE_MARK, emit)
        elif isinstance(node, pp.MatrixSelector):
            short_range_window.check(node, ctx.scrape_interval, ctx.grafana, skip, emit)
        elif isinstance(node, pp.Call) and node.func.name == "histogram_quantile":
            histogram_quantile_input.check(a, i, emit)
    if ctx.is_alert:
        alert_without_comparison.check(a, emit)
        counter_without_rate.check(a, emit)
        unstable_aggregation.check(a, emit)
    plain_regex.check(a, VARIABLE_MARK, emit)
    impossible_selector.check(a, VARIABLE_MARK, emit)
    unknown_label.check(a, VARIABLE_MARK, emit)
    unmatchable_label_value.check(a, VARIABLE_MARK, emit)
    rate_on_non_counter.check(a, emit)
    possible_non_counter.check(a, emit)
    deriv_on_counter.check(a, emit)
    summary_quantile_aggregation.check(a, emit)
    vector_matching_mismatch.check(a, emit)
    regex_never_matches.check(a, VARIABLE_MARK, emit)
    regex_matches_everything.check(a, VARIABLE_MARK, emit)
    range_below_two_scrapes.check(a, ctx.sources, ctx.interval_given, ctx.grafana, skip, VARIABLE_MARK, emit)
    return a
