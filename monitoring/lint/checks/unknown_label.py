"""unknown-label (error): a matcher, `by (...)` or `on (...)` names a label the series cannot have.

A matcher `gvk="x"` on a metric without `gvk` selects nothing; `sum by (gvk)` of series without it puts
everything in one group (the per-gvk alert becomes one alert for all); `on (gvk)` where a side lacks it
matches nothing. A series' labels are its own (the catalog lists every label of the provider's and exporter's
metrics) plus the target labels the scrape adds (job, instance, namespace, pod, ... and whatever linted
monitors and scrape configs write with relabelings or targetLabels); a labelmap makes them open and
nothing is said. After an aggregation only its `by` labels are left.

Bad:  sum by (gvk) (workqueue_depth) > 1
Good: sum by (name) (workqueue_depth) > 1
Disable: annotation `lint_disable: unknown-label`.
"""

from __future__ import annotations

from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import ERROR, Check
from gitea_provider_monitoring.lint.checks.impossible_selector import fullmatch
from gitea_provider_monitoring.model.promql import selector

CHECK = Check("unknown-label", ERROR, "by/without/on a label the series do not have groups everything into one",
              "catalog")


def _matchers(a: Analysis, i: int, variable_mark: str, emit: Callable[[str, str], None]) -> None:
    info = a.info[i]
    if info is None:
        return
    name = selector(a.expr(i)).name
    for label, op, value in selector(a.expr(i)).matchers:
        if variable_mark in value:
            continue
        known = label in info.labels or label in a.target_labels or a.target_open or info.open
        if not known and op in ("=", "=~") and value and fullmatch(value, "") is not True:
            emit(CHECK.id, f"{name} has no label {label!r} (its labels: {', '.join(sorted(info.labels)) or 'none'}"
                 f"; target labels: {', '.join(sorted(a.target_labels))}); the matcher selects nothing")


def _by(a: Analysis, i: int, agg: pp.AggregateExpr, emit: Callable[[str, str], None]) -> None:
    if agg.modifier is None or agg.modifier.type != pp.AggModifierType.By:
        return
    have = a.labels[a.kids(i)[-1]]
    if have.open or have.scalar:
        return
    for label in agg.modifier.labels:
        if label not in have.names:
            own = sorted(have.names - a.target_labels)
            emit(CHECK.id, f"{agg.op} by ({label}): the series aggregated have no {label!r} label (their labels: "
                 f"{', '.join(own) or 'none'}, plus the target labels "
                 f"{', '.join(sorted(have.names & a.target_labels)) or 'none'})")


def _on(a: Analysis, i: int, b: pp.BinaryExpr, emit: Callable[[str, str], None]) -> None:
    matching = getattr(b.modifier, "matching", None) if b.modifier else None
    if matching is None or matching.type != pp.LabelModifierType.Include:
        return
    for side_name, side in zip(("left", "right"), a.kids(i), strict=True):
        have = a.labels[side]
        if have.open or have.scalar:
            continue
        for label in matching.labels:
            if label not in have.names:
                emit(CHECK.id, f"on ({label}): the {side_name} side has no {label!r} label, so nothing matches")


def check(a: Analysis, variable_mark: str, emit: Callable[[str, str], None]) -> None:
    for i, node in enumerate(a.flat):
        expr = node.expr
        if isinstance(expr, pp.VectorSelector):
            _matchers(a, i, variable_mark, emit)
        elif isinstance(expr, pp.AggregateExpr):
            _by(a, i, expr, emit)
        elif isinstance(expr, pp.BinaryExpr):
            _on(a, i, expr, emit)
