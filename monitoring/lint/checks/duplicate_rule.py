"""duplicate-rule (error): two rules with one name and one set of labels that can write the same series
overwrite each other's samples.

Recording rules may share a name when they partition its series: some label is kept in both results
(`by (...)` or no aggregation) and every selector of one rule is constrained on it to values that no
selector of the other can take. kube-apiserver's SLO rules record `code_verb:apiserver_request_total:
increase1h` once per `code=~"2.."`, `"3.."`, `"4.."`, `"5.."` this way. Disjointness is decided for
`=`/`!=` values, and for regexes by the characters a match can start with (`2..` vs `5..`, `LIST|GET` vs
`POST`); when unsure, the rules are reported. Alerting rules that share a name are alternative conditions
of one alert (Alertmanager groups them): only a repeated expression is reported.

Bad:  two rules `record: job:x:rate5m` with `sum by (job) (rate(x{code=~"5.."}[5m]))` and
      `sum by (job) (rate(x{code=~"4.."}[5m]))` (code is not kept: their series collide).
Good: the same with `sum by (job, code) (...)`.
Disable: annotation `lint_disable: duplicate-rule` on the later rule.
"""

from __future__ import annotations

import re
from re import _parser as sre_parse  # type: ignore[attr-defined]

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.catalog import LintCatalog
from gitea_provider_monitoring.lint.check import ERROR, Check
from gitea_provider_monitoring.model.promql import PromQLError, parse, selector

CHECK = Check("duplicate-rule", ERROR, "two rules with one name and labels that can write the same series overwrite "
              "each other (a partition on disjoint matchers is fine)", "semantics")
MAX_SAME_NAME = 64  # earlier rules of one name and labels compared with each new one (bounded work)

Matcher = tuple[str, str]  # (op, value)


def first_chars(pattern: str) -> frozenset[str] | None:
    """The characters a full match of `pattern` can start with; None when not a small known set."""
    try:
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    return _first(list(parsed))


def _first(items: list) -> frozenset[str] | None:
    if not items:
        return None
    op, arg = items[0]
    name = str(op)
    if name == "LITERAL":
        return frozenset({chr(arg)})
    if name == "IN":
        out: set[str] = set()
        for sub_op, sub_arg in arg:
            if str(sub_op) == "LITERAL":
                out.add(chr(sub_arg))
            elif str(sub_op) == "RANGE" and sub_arg[1] - sub_arg[0] < 128:
                out |= {chr(c) for c in range(sub_arg[0], sub_arg[1] + 1)}
            else:
                return None
        return frozenset(out)
    if name == "BRANCH":
        out = set()
        for branch in arg[1]:
            first = _first(list(branch))
            if first is None:
                return None
            out |= first
        return frozenset(out)
    if name == "SUBPATTERN":
        return _first(list(arg[-1]))
    if name in ("MAX_REPEAT", "MIN_REPEAT") and arg[0] >= 1:
        return _first(list(arg[2]))
    return None


def disjoint(a: Matcher, b: Matcher) -> bool:
    """True when no label value satisfies both matchers (False when unsure)."""
    (op1, v1), (op2, v2) = sorted((a, b))
    try:
        if op1 == "=" and op2 == "=":
            return v1 != v2
        if op1 == "!=" and op2 == "=":
            return v1 == v2
        if op1 == "=" and op2 == "=~":
            return re.fullmatch(v2, v1) is None
        if op1 == "!~" and op2 == "=":
            return re.fullmatch(v1, v2) is not None
        if op1 == "=~" and op2 == "=~":
            f1, f2 = first_chars(v1), first_chars(v2)
            return f1 is not None and f2 is not None and not (f1 & f2)
        if op1 == "!~" and op2 == "=~":
            return v1 == v2
    except re.error:
        return False
    return False


def _constraints(expr: str, catalog: LintCatalog) -> tuple[dict[str, list[Matcher]], set[str], bool] | None:
    """Per label, the matchers every selector puts on it; the labels the result keeps; whether open."""
    try:
        tree = parse(expr)
    except PromQLError:
        return None
    a = Analysis(tree, catalog, catalog.target_labels, False)
    per_selector = [selector(n.expr).matchers for n in a.flat if isinstance(n.expr, pp.VectorSelector)]
    if not per_selector:
        return None
    labels = set.intersection(*({m[0] for m in ms} for ms in per_selector))
    constraints = {label: [(op, v) for ms in per_selector for (lbl, op, v) in ms if lbl == label] for label in labels}
    root = a.labels[0]
    return constraints, set(root.names), root.open


def partitioned(expr_a: str, expr_b: str, catalog: LintCatalog) -> bool:
    """True when the two expressions' results cannot share a series."""
    ca, cb = _constraints(expr_a, catalog), _constraints(expr_b, catalog)
    if ca is None or cb is None:
        return False
    (ma, keep_a, open_a), (mb, keep_b, open_b) = ca, cb
    for label in set(ma) & set(mb):
        kept = (label in keep_a or open_a) and (label in keep_b or open_b)
        if kept and all(disjoint(x, y) for x in ma[label] for y in mb[label]):
            return True
    return False


def check(key: tuple, is_alert: bool, expr: str, where: str, index: int, seen: dict[tuple, list[tuple[str, str]]],
          catalog: LintCatalog) -> str | None:
    """The finding's message for a rule that duplicates an earlier one of `seen` (then records it), or None."""
    message = None
    for other_where, other_expr in seen.get(key, [])[:MAX_SAME_NAME]:
        same = " ".join(other_expr.split()) == " ".join(expr.split())
        if same or (not is_alert and not partitioned(other_expr, expr, catalog)):
            message = (f"same name and labels as the rule at {other_where} (rule {index + 1} of its group is the "
                       "second) and their series can overlap; rename one, give them different labels, or make "
                       "their matchers disjoint")
            break
    seen.setdefault(key, []).append((where, expr))
    return message
