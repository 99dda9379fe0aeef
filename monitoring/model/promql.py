"""Reading PromQL with promql-parser: parse within bounds, flatten the tree, list the selectors.

promql-parser's own parser and `walk` cost memory and time that grow faster than the text: a 2 KB
`up + up + ...` of 400 terms took 3.4 GB inside `walk`, 5,000 terms or 20,000 nested calls crash the
process (SIGSEGV, stack overflow in Rust). So `parse` checks size, nesting and operator count with a
linear scan *before* parsing, and `flatten` visits each node once, without recursion, instead of `walk`.
The limits are far above real rules (the kube-prometheus and monitoring-mixins corpora top out at
2.5 KB, nesting 7 and 37 operators per expression).
"""

from __future__ import annotations

from dataclasses import dataclass

import promql_parser

MAX_EXPR_BYTES = 16 * 1024
MAX_NESTING = 64  # ( [ { depth
MAX_OPERATORS = 256  # operator characters outside {}: each operator can add a level to the tree


class PromQLError(ValueError):
    """An expression that does not parse."""


class PromQLTooLarge(PromQLError):
    """An expression over the size, nesting or operator limit: refused before parsing."""


@dataclass(frozen=True)
class Selector:
    """One vector selector: the metric name (may be empty) and its label matchers."""

    name: str
    matchers: tuple[tuple[str, str, str], ...]  # (label, op, value), op in = != =~ !~
    range: str | None = None


@dataclass(frozen=True)
class Node:
    """One node of a flattened tree: the parser's object, its children's and parent's indexes."""

    expr: promql_parser.Expr
    children: tuple[int, ...]
    parent: int  # -1 for the root


_OPS = (
    (promql_parser.MatchOp.Equal, "="),
    (promql_parser.MatchOp.NotEqual, "!="),
    (promql_parser.MatchOp.Re, "=~"),
    (promql_parser.MatchOp.NotRe, "!~"),
)
_OPERATOR_CHARS = set("+-*/%^<>=!")
_WORD_OPERATORS = {"and", "or", "unless", "atan2"}


def match_op(op: promql_parser.MatchOp) -> str:
    """The operator as written: = != =~ !~."""
    return next(text for value, text in _OPS if value == op)


def size_problem(expr: str) -> str | None:
    """Why `expr` is too large to parse safely, or None. One pass over the text, no allocation per token."""
    if len(expr) > MAX_EXPR_BYTES:
        return f"{len(expr)} characters (at most {MAX_EXPR_BYTES})"
    depth = deepest = operators = braces = 0
    quote = ""
    i, n = 0, len(expr)
    while i < n:
        c = expr[i]
        if quote:
            if c == "\\" and quote != "`":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'`":
            quote = c
        elif c in "([{":
            depth += 1
            deepest = max(deepest, depth)
            braces += c == "{"
        elif c in ")]}":
            depth -= 1
            braces -= c == "}"
        elif c == "#":  # a comment runs to the end of the line
            while i < n and expr[i] != "\n":
                i += 1
        elif c in _OPERATOR_CHARS and braces <= 0:  # each character counts: `----x` nests four levels
            operators += 1
        elif c.isalpha() and (i == 0 or not (expr[i - 1].isalnum() or expr[i - 1] in "_:")):
            j = i
            while j < n and (expr[j].isalnum() or expr[j] in "_:"):
                j += 1
            operators += expr[i:j].lower() in _WORD_OPERATORS
            i = j - 1
        i += 1
    if deepest > MAX_NESTING:
        return f"nesting depth {deepest} (at most {MAX_NESTING})"
    if operators > MAX_OPERATORS:
        return f"{operators} operators (at most {MAX_OPERATORS})"
    return None


def parse(expr: str) -> promql_parser.Expr:
    """Parse `expr`; PromQLTooLarge (before parsing) when over the limits, PromQLError when invalid."""
    problem = size_problem(expr)
    if problem:
        raise PromQLTooLarge(f"expression too large to check: {problem}; split it into recording rules")
    try:
        return promql_parser.parse(expr)
    except (ValueError, TypeError) as exc:
        raise PromQLError(str(exc)) from None


def children(node: promql_parser.Expr) -> list[promql_parser.Expr]:
    """The direct sub-expressions of one node, in source order."""
    if isinstance(node, promql_parser.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, promql_parser.AggregateExpr):
        return [x for x in (node.param, node.expr) if x is not None]
    if isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)):
        return [node.expr]
    if isinstance(node, promql_parser.MatrixSelector):
        return [node.vector_selector]
    if isinstance(node, promql_parser.Call):
        return list(node.args)
    return []


def flatten(tree: promql_parser.Expr) -> list[Node]:
    """Every node once, parents before children (index 0 is the root), with an explicit stack: the cost
    is linear in the number of nodes whatever the shape of the tree."""
    out: list[Node] = []
    pending: list[tuple[promql_parser.Expr, int]] = [(tree, -1)]  # (expr, parent)
    kids: list[list[int]] = []
    while pending:
        expr, parent = pending.pop()
        index = len(out)
        out.append(Node(expr, (), parent))
        kids.append([])
        if parent >= 0:
            kids[parent].append(index)
        for child in reversed(children(expr)):
            pending.append((child, index))
    return [Node(n.expr, tuple(k), n.parent) for n, k in zip(out, kids, strict=True)]


def nodes(tree: promql_parser.Expr) -> list[promql_parser.Expr]:
    """Every node of the syntax tree, depth first (each visited once)."""
    return [n.expr for n in flatten(tree)]


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
    flat = flatten(tree)
    result: list[Selector] = []
    for node in flat:
        if isinstance(node.expr, promql_parser.VectorSelector):
            parent = flat[node.parent].expr if node.parent >= 0 else None
            range_ = None
            if isinstance(parent, promql_parser.MatrixSelector):
                range_ = promql_parser.display_duration(parent.range)
            result.append(selector(node.expr, range_))
    matrix_first = sorted(result, key=lambda s: s.range is None)  # as before: ranged selectors first
    return _dedupe(matrix_first)


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
