"""Reading PromQL with promql-parser: parse, and list the series an expression selects."""

from __future__ import annotations

from dataclasses import dataclass

import promql_parser


class PromQLError(ValueError):
    """An expression that does not parse."""


@dataclass(frozen=True)
class Selector:
    """One vector selector: the metric name (may be empty) and its label matchers."""

    name: str
    matchers: tuple[tuple[str, str, str], ...]  # (label, op, value), op in = != =~ !~
    range: str | None = None


_OPS = (
    (promql_parser.MatchOp.Equal, "="),
    (promql_parser.MatchOp.NotEqual, "!="),
    (promql_parser.MatchOp.Re, "=~"),
    (promql_parser.MatchOp.NotRe, "!~"),
)


def match_op(op: promql_parser.MatchOp) -> str:
    """The operator as written: = != =~ !~."""
    return next(text for value, text in _OPS if value == op)


def parse(expr: str) -> promql_parser.Expr:
    try:
        return promql_parser.parse(expr)
    except (ValueError, TypeError) as exc:
        raise PromQLError(str(exc)) from None


def nodes(tree: promql_parser.Expr) -> list[promql_parser.Expr]:
    """Every node of the syntax tree, depth first."""
    found: list[promql_parser.Expr] = []
    promql_parser.walk(tree, lambda node: found.append(node))
    return found


def selector(vs: promql_parser.VectorSelector, range_: str | None = None) -> Selector:
    """One selector node as name + matchers (a `{__name__="x"}` matcher becomes the name)."""
    name = vs.name or ""
    matchers = []
    for m in vs.matchers.matchers:
        if m.name == "__name__" and m.op == promql_parser.MatchOp.Equal:
            name = m.value
            continue
        matchers.append((m.name, match_op(m.op), m.value))
    return Selector(name=name, matchers=tuple(matchers), range=range_)


def selectors(expr: str | promql_parser.Expr) -> list[Selector]:
    """The vector selectors of `expr`, with the range when it is inside a matrix selector."""
    tree = parse(expr) if isinstance(expr, str) else expr
    result: list[Selector] = []
    in_matrix: set[tuple[str, tuple]] = set()
    for node in nodes(tree):
        if isinstance(node, promql_parser.MatrixSelector):
            sel = selector(node.vector_selector, promql_parser.display_duration(node.range))
            in_matrix.add((sel.name, sel.matchers))
            result.append(sel)
    for node in nodes(tree):
        if isinstance(node, promql_parser.VectorSelector):
            sel = selector(node, None)
            # walk() also visits the selector inside a matrix selector; count it once.
            if (sel.name, sel.matchers) not in in_matrix:
                result.append(sel)
    return _dedupe(result)


def _dedupe(items: list[Selector]) -> list[Selector]:
    seen: set[Selector] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def metric_names(expr: str | promql_parser.Expr) -> set[str]:
    return {s.name for s in selectors(expr) if s.name}
