"""Checks on one PromQL expression (a rule's or a panel query's), reading the syntax tree."""

from __future__ import annotations

import re
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
    input_too_large,
    metric_dropped_by_relabel,
    possible_non_counter,
    range_below_two_scrapes,
    rate_on_non_counter,
    regex_matches_everything,
    regex_never_matches,
    summary_quantile_aggregation,
    vector_matching_mismatch,
)
from gitea_provider_monitoring.lint.inputs import MetricSource
from gitea_provider_monitoring.model.config import duration_seconds
from gitea_provider_monitoring.model.dashboard import substitute_variables
from gitea_provider_monitoring.model.promql import PromQLError, PromQLTooLarge, parse, selector

Emit = Callable[[str, str], None]  # (check id, message)

UNSTABLE = {"topk", "bottomk", "limitk", "limit_ratio"}
VARIABLE_MARK = "__grafana_var__"
_REGEX_META = re.compile(r"[.*+?()\[\]{}|^$\\]")
GRAFANA_RANGE_VALUE = "17m"  # stands for $__rate_interval etc.; never reported as too short


@dataclass(frozen=True)
class Context:
    catalog: LintCatalog
    sources: tuple[MetricSource, ...]  # monitor endpoints and scrape jobs, with their drops
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
        emit("promql-syntax", f"does not parse: {str(exc).splitlines()[0]}")
        return None
    a = Analysis(tree, ctx.catalog, ctx.catalog.target_labels | ctx.target_labels, ctx.target_open, VARIABLE_MARK)
    for i, flat in enumerate(a.flat):
        node = flat.expr
        if isinstance(node, pp.VectorSelector):
            _selector(a, i, node, ctx, emit)
        elif isinstance(node, pp.MatrixSelector):
            _range(node, ctx, emit)
        elif isinstance(node, pp.Call):
            _call(a, i, node, ctx, emit)
        elif isinstance(node, pp.AggregateExpr):
            _aggregate(a, i, node, ctx, emit)
        elif isinstance(node, pp.BinaryExpr):
            _binary(a, i, node, emit)
    if ctx.is_alert:
        alert_without_comparison.check(a, emit)
        counter_without_rate.check(a, emit)
    rate_on_non_counter.check(a, emit)
    possible_non_counter.check(a, emit)
    deriv_on_counter.check(a, emit)
    summary_quantile_aggregation.check(a, emit)
    vector_matching_mismatch.check(a, emit)
    regex_never_matches.check(a, VARIABLE_MARK, emit)
    regex_matches_everything.check(a, VARIABLE_MARK, emit)
    range_below_two_scrapes.check(a, ctx.sources, ctx.interval_given, ctx.grafana, duration_seconds(GRAFANA_RANGE_VALUE),
                                  VARIABLE_MARK, emit)
    return a


# -- selectors -------------------------------------------------------------------------------------
def _name(vs: pp.VectorSelector) -> str:
    return selector(vs).name


def _fullmatch(pattern: str, value: str) -> bool | None:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return None  # RE2 syntax Python does not read: say nothing


def _selector(a: Analysis, i: int, vs: pp.VectorSelector, ctx: Context, emit: Emit) -> None:
    sel = selector(vs)
    name = sel.name
    cat = ctx.catalog
    info = a.info[i]
    if name and name.count(":") == 2:  # the level:metric:operations convention (TF Serving exports :a:b:c)
        if name not in cat.records:
            emit("undefined-recording-rule", f"{name} looks like a recording rule but no rule file given records "
                 "it; lint the file that defines it too, or fix the name")
    elif name and name not in cat.series:
        problem = cat.unknown_problem(name)
        if problem:
            emit("unknown-metric", problem)
    if name:
        metric_dropped_by_relabel.check(name, sel.matchers, ctx.sources, VARIABLE_MARK, emit)
    by_label: dict[str, list[tuple[str, str]]] = {}
    for label, op, value in sel.matchers:
        by_label.setdefault(label, []).append((op, value))
        if VARIABLE_MARK in value:
            continue
        if op in ("=~", "!~") and value and not _REGEX_META.search(value):
            exact = "=" if op == "=~" else "!="
            emit("plain-regex", f'{label}{op}"{value}" has no regex characters; use {label}{exact}"{value}"')
        if info is None:
            continue
        known = label in info.labels or label in a.target_labels or a.target_open or info.open
        if not known and op in ("=", "=~") and value and _fullmatch(value, "") is not True:
            emit("unknown-label", f"{name} has no label {label!r} (its labels: {', '.join(sorted(info.labels)) or 'none'}"
                 f"; target labels: {', '.join(sorted(a.target_labels))}); the matcher selects nothing")
        values = info.values.get(label)
        if values and op in ("=", "=~"):
            if op == "=":
                unmatchable = value not in values
            else:  # a regex Python cannot read (RE2-only syntax) is given the benefit of the doubt
                unmatchable = _fullmatch(value, "x") is not None and not any(_fullmatch(value, v) for v in values)
            if unmatchable:
                emit("unmatchable-label-value", f'{label}{op}"{value}" matches none of the values {name} has: '
                     f"{', '.join(sorted(values))}")
    _contradictions(name, by_label, emit)


def _contradictions(name: str, by_label: dict[str, list[tuple[str, str]]], emit: Emit) -> None:
    for label, conds in by_label.items():
        if any(VARIABLE_MARK in v for _, v in conds):
            continue
        equals = {v for op, v in conds if op == "="}
        if len(equals) > 1:
            emit("impossible-selector", f"{name}{{...}} requires {label} to equal both "
                 f"{' and '.join(repr(v) for v in sorted(equals))}")
            continue
        for value in equals:
            for op, other in conds:
                bad = (op == "!=" and other == value) or (op == "=~" and _fullmatch(other, value) is False) or \
                      (op == "!~" and _fullmatch(other, value) is True)
                if bad:
                    emit("impossible-selector", f'{name}{{...}}: {label}="{value}" contradicts {label}{op}"{other}"')


def _range(ms: pp.MatrixSelector, ctx: Context, emit: Emit) -> None:
    seconds = ms.range.total_seconds()
    window = pp.display_duration(ms.range)
    if ctx.grafana and seconds == duration_seconds(GRAFANA_RANGE_VALUE):
        return
    if seconds < 4 * ctx.scrape_interval:
        emit("short-range-window", f"[{window}] over {_name(ms.vector_selector)} spans fewer than 4 scrapes at "
             f"{ctx.scrape_interval:g}s; use at least [{_fmt(4 * ctx.scrape_interval)}]"
             + (" or $__rate_interval" if ctx.grafana else ""))


def _fmt(seconds: float) -> str:
    return f"{int(seconds // 60)}m" if seconds % 60 == 0 else f"{int(seconds)}s"


# -- functions and aggregations --------------------------------------------------------------------
def _call(a: Analysis, i: int, call: pp.Call, ctx: Context, emit: Emit) -> None:
    fn = call.func.name
    if fn == "histogram_quantile":
        histogram_quantile_input.check(a, i, emit)


def _aggregate(a: Analysis, i: int, agg: pp.AggregateExpr, ctx: Context, emit: Emit) -> None:
    op = str(agg.op)
    if ctx.is_alert and op in UNSTABLE and not _dedup(a, i, agg):
        emit("unstable-aggregation", f"{op}() in an alert picks different series from one evaluation to the next, "
             "so the alert flaps; alert on a threshold instead")
    if agg.modifier is not None and agg.modifier.type == pp.AggModifierType.By:
        have = a.labels[a.kids(i)[-1]]
        if have.open or have.scalar:
            return
        for label in agg.modifier.labels:
            if label not in have.names:
                own = sorted(have.names - a.target_labels)
                emit("unknown-label", f"{op} by ({label}): the series aggregated have no {label!r} label (their "
                     f"labels: {', '.join(own) or 'none'}, plus the target labels "
                     f"{', '.join(sorted(have.names & a.target_labels)) or 'none'})")


def _dedup(a: Analysis, i: int, agg: pp.AggregateExpr) -> bool:
    """`topk by (x) (1, ...)`: one series per group, a de-duplication; or a topk that only looks up
    which series pass (the right of and/unless, the `one` side of a join)."""
    one = isinstance(agg.param, pp.NumberLiteral) and agg.param.val == 1
    by = agg.modifier is not None and agg.modifier.type == pp.AggModifierType.By and bool(agg.modifier.labels)
    return (one and by) or a.is_lookup_side(i)


def _binary(a: Analysis, i: int, b: pp.BinaryExpr, emit: Emit) -> None:
    mod = b.modifier
    matching = getattr(mod, "matching", None) if mod else None
    if matching is None or matching.type != pp.LabelModifierType.Include:
        return
    for side_name, side in zip(("left", "right"), a.kids(i), strict=True):
        have = a.labels[side]
        if have.open or have.scalar:
            continue
        for label in matching.labels:
            if label not in have.names:
                emit("unknown-label", f"on ({label}): the {side_name} side has no {label!r} label, so nothing matches")
