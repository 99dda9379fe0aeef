"""Checks on one PromQL expression (a rule's or a panel query's), reading the syntax tree."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import promql_parser as pp

from monitoring.config import duration_seconds
from monitoring.dashboard import substitute_variables
from monitoring.lint.catalog import COUNTER_LIKE, LintCatalog
from monitoring.lint.inputs import MetricDrop
from monitoring.promql import PromQLError, nodes, parse, selector

Emit = Callable[[str, str], None]  # (check id, message)

COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}
UNSTABLE = {"topk", "bottomk", "limitk", "limit_ratio"}
RATE_FUNCTIONS = {"rate", "increase", "irate"}
ABSENT = {"absent", "absent_over_time"}
VARIABLE_MARK = "__grafana_var__"
_REGEX_META = re.compile(r"[.*+?()\[\]{}|^$\\]")
GRAFANA_RANGE_VALUE = "17m"  # stands for $__rate_interval etc.; never reported as too short


@dataclass(frozen=True)
class Context:
    catalog: LintCatalog
    drops: tuple[MetricDrop, ...]
    scrape_interval: float  # seconds
    is_alert: bool = False
    grafana: bool = False  # a panel query: Grafana variables are substituted before parsing


def substitute(expr: str) -> str:
    """Grafana variables -> placeholders that parse; matchers holding one are not value-checked."""
    return substitute_variables(expr, value=VARIABLE_MARK, ranges=GRAFANA_RANGE_VALUE)


def check(expr: str, ctx: Context, emit: Emit) -> None:
    text = substitute(expr) if ctx.grafana else expr
    try:
        tree = parse(text)
    except PromQLError as exc:
        emit("promql-syntax", f"does not parse: {str(exc).splitlines()[0]}")
        return
    for node in nodes(tree):
        if isinstance(node, pp.VectorSelector):
            _selector(node, ctx, emit)
        elif isinstance(node, pp.MatrixSelector):
            _range(node, ctx, emit)
        elif isinstance(node, pp.Call):
            _call(node, ctx, emit)
        elif isinstance(node, pp.AggregateExpr):
            _aggregate(node, ctx, emit)
        elif isinstance(node, pp.BinaryExpr):
            _binary(node, ctx, emit)
    if ctx.is_alert and not _has_comparison(tree):
        emit("alert-without-comparison", "the expression has no comparison (e.g. `> 0.1`) nor absent(): it fires "
             "for every series it returns; add the threshold")


# -- selectors -------------------------------------------------------------------------------------
def _name(vs: pp.VectorSelector) -> str:
    return selector(vs).name


def _fullmatch(pattern: str, value: str) -> bool | None:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return None  # RE2 syntax Python does not read: say nothing


def _selector(vs: pp.VectorSelector, ctx: Context, emit: Emit) -> None:
    name = _name(vs)
    cat = ctx.catalog
    info = cat.series.get(name)
    if name and ":" in name:
        if name not in cat.records:
            emit("undefined-recording-rule", f"{name} looks like a recording rule but no rule file given records "
                 "it; lint the file that defines it too, or fix the name")
    elif name and info is None and cat.owns(name):
        emit("unknown-metric", f"{name} is not exposed ({cat.description}); check the name")
    for drop in ctx.drops:
        if name and drop.drops(name):
            emit("metric-dropped-by-relabel", f"{name} is dropped at scrape time by {drop.path}: {drop.where} "
                 f"(action {drop.action}, regex {drop.regex!r}); keep it or do not use it")
    matchers = [m for m in selector(vs).matchers if m[0] != "__name__"]
    by_label: dict[str, list[tuple[str, str]]] = {}
    for label, op, value in matchers:
        by_label.setdefault(label, []).append((op, value))
        if VARIABLE_MARK in value:
            continue
        if op in ("=~", "!~") and value and not _REGEX_META.search(value):
            exact = "=" if op == "=~" else "!="
            emit("plain-regex", f'{label}{op}"{value}" has no regex characters; use {label}{exact}"{value}"')
        if info is None:
            continue
        known = label in info.labels or label in cat.target_labels
        if not known and op in ("=", "=~") and value and _fullmatch(value, "") is not True:
            emit("unknown-label", f"{name} has no label {label!r} (labels: {', '.join(sorted(info.labels)) or 'none'})"
                 f"; the matcher selects nothing")
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
def _selectors_in(node: pp.Expr) -> list[pp.VectorSelector]:
    return [n for n in nodes(node) if isinstance(n, pp.VectorSelector)]


def _call(call: pp.Call, ctx: Context, emit: Emit) -> None:
    fn = call.func.name
    if fn in RATE_FUNCTIONS and call.args and isinstance(call.args[0], pp.MatrixSelector):
        name = _name(call.args[0].vector_selector)
        info = ctx.catalog.series.get(name)
        if info and info.type not in COUNTER_LIKE and info.type != "untyped":
            emit("rate-on-non-counter", f"{fn}() over {name}, a {info.type.replace('_', ' ')}: {fn} only makes sense "
                 "on counters; use delta()/deriv() or the value itself")
    if fn == "histogram_quantile" and len(call.args) == 2:
        inner = call.args[1]
        for vs in _selectors_in(inner):
            name = _name(vs)
            info = ctx.catalog.series.get(name)
            if info and info.type != "histogram_bucket":
                emit("histogram-quantile-input", f"histogram_quantile over {name}, which is not a _bucket series")
        for agg in (n for n in nodes(inner) if isinstance(n, pp.AggregateExpr)):
            labels = list(agg.modifier.labels) if agg.modifier else []
            by = agg.modifier is not None and agg.modifier.type == pp.AggModifierType.By
            if agg.modifier is None or (by and "le" not in labels) or (not by and "le" in labels):
                emit("histogram-quantile-input", f"{agg.op} inside histogram_quantile drops the le label; add le "
                     "to its by (...)")


def _aggregate(agg: pp.AggregateExpr, ctx: Context, emit: Emit) -> None:
    op = str(agg.op)
    if ctx.is_alert and op in UNSTABLE:
        emit("unstable-aggregation", f"{op}() in an alert picks different series from one evaluation to the next, "
             "so the alert flaps; alert on a threshold instead")
    if agg.modifier is not None and agg.modifier.type == pp.AggModifierType.By:
        have = labels_of(agg.expr, ctx.catalog)
        if have is not None:
            for label in agg.modifier.labels:
                if label not in have:
                    own = sorted(have - ctx.catalog.target_labels)
                    emit("unknown-label", f"{op} by ({label}): the series aggregated have no {label!r} label "
                         f"(they have: {', '.join(own) or 'no labels'} besides the target labels)")


def _binary(b: pp.BinaryExpr, ctx: Context, emit: Emit) -> None:
    mod = b.modifier
    matching = getattr(mod, "matching", None) if mod else None
    if matching is None or matching.type != pp.LabelModifierType.Include:
        return
    for side_name, side in (("left", b.lhs), ("right", b.rhs)):
        have = labels_of(side, ctx.catalog)
        if have is None:
            continue
        for label in matching.labels:
            if label not in have:
                emit("unknown-label", f"on ({label}): the {side_name} side has no {label!r} label, so nothing matches")


def _has_comparison(node: pp.Expr) -> bool:
    if isinstance(node, pp.ParenExpr):
        return _has_comparison(node.expr)
    if isinstance(node, pp.BinaryExpr):
        op = str(node.op)
        if op in COMPARISONS:
            return True
        if op == "unless" and any(getattr(n, "offset", None) for n in _selectors_in(node.rhs)):
            return True  # `x unless x offset 1h`: a new-series (change) detector, the mirror of absent()
        if op in ("and", "unless"):
            return _has_comparison(node.lhs)
        if op == "or":
            return _has_comparison(node.lhs) and _has_comparison(node.rhs)
        return False
    if isinstance(node, pp.Call):
        return node.func.name in ABSENT
    if isinstance(node, pp.AggregateExpr):
        return _has_comparison(node.expr)
    return False


# -- label inference -------------------------------------------------------------------------------
def labels_of(node: pp.Expr, cat: LintCatalog) -> frozenset[str] | None:
    """The labels an expression's result carries; None when not known (a recording rule, an unknown metric)."""
    if isinstance(node, pp.VectorSelector):
        info = cat.series.get(_name(node))
        return info.labels | cat.target_labels if info else None
    if isinstance(node, pp.MatrixSelector):
        return labels_of(node.vector_selector, cat)
    if isinstance(node, (pp.ParenExpr, pp.SubqueryExpr, pp.UnaryExpr)):
        return labels_of(node.expr, cat)
    if isinstance(node, (pp.NumberLiteral, pp.StringLiteral)):
        return frozenset()
    if isinstance(node, pp.AggregateExpr):
        op = str(node.op)
        inner = labels_of(node.expr, cat)
        if op in ("topk", "bottomk", "limitk", "limit_ratio"):
            return inner
        if node.modifier is None:
            base = frozenset()
        elif node.modifier.type == pp.AggModifierType.By:
            base = frozenset(node.modifier.labels)
        else:
            base = None if inner is None else inner - set(node.modifier.labels)
        if base is not None and op == "count_values" and isinstance(node.param, pp.StringLiteral):
            base = base | {node.param.val}
        return base
    if isinstance(node, pp.Call):
        fn = node.func.name
        vector_args = [a for a in node.args if not isinstance(a, (pp.NumberLiteral, pp.StringLiteral))]
        if fn in ("vector", "time", "scalar", "pi") or not vector_args:
            return frozenset()
        if fn in ABSENT:
            return None
        inner = labels_of(vector_args[0], cat)
        if inner is None:
            return None
        if fn in ("label_replace", "label_join") and isinstance(node.args[1], pp.StringLiteral):
            return inner | {node.args[1].val}
        if fn == "histogram_quantile":
            return inner - {"le"}
        return inner
    if isinstance(node, pp.BinaryExpr):
        lhs, rhs = labels_of(node.lhs, cat), labels_of(node.rhs, cat)
        if isinstance(node.lhs, pp.NumberLiteral):
            return rhs
        if isinstance(node.rhs, pp.NumberLiteral):
            return lhs
        if lhs is None or rhs is None:
            return None
        mod = node.modifier
        card = str(getattr(mod, "card", "")).lower() if mod else ""
        if card.endswith("manytoone"):  # group_left(extra): the left side plus the extra labels
            return lhs | set(mod.group_labels or [])
        if card.endswith("onetomany"):
            return rhs | set(mod.group_labels or [])
        return lhs | rhs if str(node.op) == "or" else lhs
    return None
