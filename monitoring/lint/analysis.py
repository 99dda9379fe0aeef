"""One bottom-up pass over a flattened PromQL tree: the labels each node's result carries, whether it can
filter series away (a comparison, a set operator, absent()), and whether histogram buckets flow through it.

The pass visits every node once, children before parents, with no recursion and a constant amount of
state per node, so its cost is linear in the size of the expression (see monitoring/model/promql.py for the
limits checked before parsing). Label sets are *open* when a part of the expression is not known (a
metric outside the catalog, a recording rule, a labelmap relabeling): an open set never makes a finding.
"""

from __future__ import annotations

from dataclasses import dataclass

import promql_parser as pp

from gitea_provider_monitoring.lint.catalog import LintCatalog, SeriesInfo
from gitea_provider_monitoring.lint.types import BUCKET_LIKE
from gitea_provider_monitoring.model.promql import Node, flatten, selector

COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}
SELECTING = {"topk", "bottomk", "limitk", "limit_ratio"}  # keep the input's labels
ABSENT = {"absent", "absent_over_time"}
SCALAR_FUNCTIONS = {"time", "pi", "scalar"}


@dataclass(frozen=True)
class Labels:
    names: frozenset[str]
    open: bool  # more labels than `names` may exist
    scalar: bool = False


SCALAR = Labels(frozenset(), False, True)
UNKNOWN = Labels(frozenset(), True)


def _is_bool(node: pp.BinaryExpr) -> bool:
    mod = node.modifier
    return bool(mod is not None and getattr(mod, "return_bool", False))


def _card(node: pp.BinaryExpr) -> str:
    mod = node.modifier
    return str(getattr(mod, "card", "")).lower() if mod is not None else ""


class Analysis:
    """Per-node facts of one expression; index 0 is the root (see promql.flatten)."""

    def __init__(self, tree: pp.Expr, catalog: LintCatalog, target_labels: frozenset[str], target_open: bool,
                 variable_mark: str = "") -> None:
        self.flat: list[Node] = flatten(tree)
        n = len(self.flat)
        self.catalog = catalog
        self.target_labels = target_labels
        self.target_open = target_open
        self.variable_mark = variable_mark
        self.labels: list[Labels] = [UNKNOWN] * n
        self.filters: list[bool] = [False] * n  # may return fewer series than its inputs have
        self.bucket: list[bool] = [False] * n  # histogram _bucket series flow into its value
        self.known: list[bool] = [True] * n  # every selector below is a catalog series (in scope)
        self.size: list[int] = [1] * n  # nodes in the subtree; the subtree of i is flat[i:i + size[i]]
        self.info: list[SeriesInfo | None] = [None] * n  # for vector selectors: the catalog entry in scope
        for i in range(n - 1, -1, -1):
            self._visit(i)

    # -- helpers -----------------------------------------------------------------------------------
    def expr(self, i: int) -> pp.Expr:
        return self.flat[i].expr

    def kids(self, i: int) -> tuple[int, ...]:
        return self.flat[i].children

    def subtree(self, i: int) -> range:
        return range(i, i + self.size[i])

    def series_info(self, vs: pp.VectorSelector) -> SeriesInfo | None:
        """The catalog's entry for a selector, unless its matchers exclude the catalog's targets."""
        sel = selector(vs)
        info = self.catalog.series.get(sel.name)
        if info is None or (info.scoped and not self.catalog.scope.admits(sel.matchers, self.variable_mark)):
            return None
        return info

    # -- the pass ----------------------------------------------------------------------------------
    def _visit(self, i: int) -> None:
        node, kids = self.expr(i), self.kids(i)
        self.size[i] = 1 + sum(self.size[k] for k in kids)
        self.bucket[i] = any(self.bucket[k] for k in kids)
        self.known[i] = all(self.known[k] for k in kids)
        self.filters[i] = any(self.filters[k] for k in kids)
        if isinstance(node, pp.VectorSelector):
            self._selector(i, node)
        elif isinstance(node, (pp.NumberLiteral, pp.StringLiteral)):
            self.labels[i] = SCALAR
        elif isinstance(node, (pp.ParenExpr, pp.SubqueryExpr, pp.UnaryExpr, pp.MatrixSelector)):
            self.labels[i] = self.labels[kids[0]]
        elif isinstance(node, pp.AggregateExpr):
            self._aggregate(i, node)
        elif isinstance(node, pp.Call):
            self._call(i, node)
        elif isinstance(node, pp.BinaryExpr):
            self._binary(i, node)

    def _selector(self, i: int, vs: pp.VectorSelector) -> None:
        sel = selector(vs)
        info = self.series_info(vs)
        self.info[i] = info
        self.known[i] = info is not None
        typed = self.catalog.types.lookup(sel.name)
        self.bucket[i] = sel.name.endswith("_bucket") or (info is not None and info.type == "histogram_bucket") or \
            (typed is not None and typed[0] in BUCKET_LIKE)
        if info is not None:
            self.labels[i] = Labels(info.labels | self.target_labels, self.target_open or info.open)
        else:
            matched = {label for label, op, value in sel.matchers if op in ("=", "=~") and value}
            self.labels[i] = Labels(frozenset(matched) | self.target_labels, True)

    def _aggregate(self, i: int, agg: pp.AggregateExpr) -> None:
        inner = self.labels[self.kids(i)[-1]]
        op = str(agg.op)
        mod = agg.modifier
        if op in SELECTING:
            result = inner
        elif mod is None:
            result = Labels(frozenset(), False)
        elif mod.type == pp.AggModifierType.By:
            result = Labels(frozenset(mod.labels), False)
        else:
            result = Labels(inner.names - set(mod.labels), inner.open)
        if op == "count_values" and isinstance(agg.param, pp.StringLiteral):
            result = Labels(result.names | {agg.param.val}, result.open)
        self.labels[i] = result

    def _call(self, i: int, call: pp.Call) -> None:
        fn = call.func.name
        kids = self.kids(i)
        vectors = [k for k in kids if not self.labels[k].scalar]
        if fn in ABSENT:
            self.filters[i] = True
            self.labels[i] = self._absent_labels(kids)
        elif fn in SCALAR_FUNCTIONS:
            self.labels[i] = SCALAR
        elif fn == "vector" or not vectors:
            self.labels[i] = Labels(frozenset(), False)
        elif fn in ("label_replace", "label_join") and len(call.args) > 1 and isinstance(call.args[1], pp.StringLiteral):
            inner = self.labels[vectors[0]]
            self.labels[i] = Labels(inner.names | {call.args[1].val}, inner.open)
        elif fn == "histogram_quantile":
            inner = self.labels[vectors[-1]]
            self.labels[i] = Labels(inner.names - {"le"}, inner.open)
            self.bucket[i] = False
        elif fn in ("info",):
            self.labels[i] = UNKNOWN
        else:
            self.labels[i] = self.labels[vectors[0]]

    def _absent_labels(self, kids: tuple[int, ...]) -> Labels:
        """absent(x{a="1", b=~"2"}) returns {a="1"}: the labels of its selector's equality matchers, and
        nothing for any other argument (promql/functions.go, createLabelsForAbsentFunction)."""
        arg = self.expr(kids[0]) if kids else None
        if isinstance(arg, pp.MatrixSelector):
            arg = arg.vector_selector
        if not isinstance(arg, pp.VectorSelector):
            return Labels(frozenset(), False)
        matchers = selector(arg).matchers
        if any(self.variable_mark and self.variable_mark in v for _, _, v in matchers):
            return UNKNOWN
        equal = [label for label, op, _ in matchers if op == "="]
        dropped = {label for label, op, _ in matchers if op != "="} | {x for x in equal if equal.count(x) > 1}
        return Labels(frozenset(equal) - dropped, False)

    def type_of(self, i: int) -> tuple[str, str] | None:
        """(type, source) of the vector selector at node i, from the first source that knows it."""
        node = self.expr(i)
        return self.catalog.types.lookup(selector(node).name) if isinstance(node, pp.VectorSelector) else None

    def _binary(self, i: int, b: pp.BinaryExpr) -> None:
        lhs_i, rhs_i = self.kids(i)
        lhs, rhs = self.labels[lhs_i], self.labels[rhs_i]
        op = str(b.op)
        if lhs.scalar and rhs.scalar:
            self.labels[i] = SCALAR
            self.filters[i] = False
            return
        if lhs.scalar or rhs.scalar:
            vec_i = rhs_i if lhs.scalar else lhs_i
            self.labels[i] = self.labels[vec_i]
            self.filters[i] = self.filters[vec_i] or (op in COMPARISONS and not _is_bool(b))
            self.bucket[i] = self.bucket[vec_i]
            return
        card = _card(b)
        extra = set(getattr(b.modifier, "group_labels", None) or []) if b.modifier is not None else set()
        if op == "or":
            self.labels[i] = Labels(lhs.names | rhs.names, lhs.open or rhs.open)
            self.filters[i] = self.filters[lhs_i] and self.filters[rhs_i]
        elif op in ("and", "unless"):
            self.labels[i] = lhs
            self.filters[i] = True  # keeps only the left series that have (or lack) a match on the right
            self.bucket[i] = self.bucket[lhs_i]
        elif card.endswith("onetomany"):  # group_right: the right side's labels
            self.labels[i] = Labels(rhs.names | extra, rhs.open)
            self.bucket[i] = self.bucket[rhs_i]
        else:
            self.labels[i] = Labels(lhs.names | extra, lhs.open) if card.endswith("manytoone") else lhs
            self.bucket[i] = self.bucket[lhs_i]
        if op in COMPARISONS and not _is_bool(b):
            self.filters[i] = True

    # -- questions the checks ask ------------------------------------------------------------------
    def ancestors(self, i: int):
        """(ancestor index, child index on the path) from the parent of i up to the root."""
        child, parent = i, self.flat[i].parent
        while parent >= 0:
            yield parent, child
            child, parent = parent, self.flat[parent].parent

    def is_lookup_side(self, i: int) -> bool:
        """True when node i only selects which series pass (the right of and/unless, the `one` side of a
        group_left/group_right join), rather than providing the result's series."""
        for parent, child in self.ancestors(i):
            node = self.expr(parent)
            if isinstance(node, pp.BinaryExpr):
                lhs_i, rhs_i = self.kids(parent)
                op, card = str(node.op), _card(node)
                if op in ("and", "unless") and child == rhs_i:
                    return True
                if card.endswith("manytoone") and child == rhs_i:
                    return True
                if card.endswith("onetomany") and child == lhs_i:
                    return True
        return False
