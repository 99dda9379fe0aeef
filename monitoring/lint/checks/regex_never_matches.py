"""regex-never-matches (error): a regex matcher that no label value can satisfy, so the selector returns
nothing and the rule never fires (or the panel stays empty).

Prometheus anchors every regex at both ends (`=~"foo"` is `^(?:foo)$`). So an anchor inside the pattern
makes a branch impossible (`=~"prod^2"`, `=~"a$|b$c"`), and `!~".*"` excludes every value, the empty one too.
Patterns are read with Python's regex parser; RE2 syntax it does not read is given the benefit of the doubt.

Bad:  up{job=~"gitea$-exporter"}        up{namespace!~".*"}
Good: up{job=~"gitea-exporter"}         up{namespace!~"kube-.*"}
Disable: annotation `lint_disable: regex-never-matches`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import ERROR, Check
from gitea_provider_monitoring.model.promql import selector

try:  # Python 3.11+: re._parser; sre_parse is its deprecated alias
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

CHECK = Check("regex-never-matches", ERROR, "a regex matcher no value can satisfy selects nothing", "semantics")
PROBES = ("", "a", "Some-value_1", "x/y:z.9", "\n")


def matches_everything(pattern: str) -> bool:
    """True when the pattern matches every string (`.*`, `(?s).*`, `.*|x`)."""
    try:
        return all(re.fullmatch(f"(?s:{pattern})", probe) is not None for probe in PROBES) and ".*" in pattern
    except re.error:
        return False


def _branch_dead(items: list) -> bool:
    """A sequence that cannot match when anchored at both ends: ^ after something consuming, or $ before."""
    consumed = False
    pending_end = False
    for op, arg in items:
        name = str(op)
        if name == "AT":
            if str(arg) in ("AT_BEGINNING", "AT_BEGINNING_STRING") and consumed:
                return True
            if str(arg) in ("AT_END", "AT_END_STRING"):
                pending_end = True
            continue
        if name in ("LITERAL", "NOT_LITERAL", "IN", "ANY", "CATEGORY") or \
                name in ("MAX_REPEAT", "MIN_REPEAT") and arg[0] >= 1:
            if pending_end:
                return True
            consumed = True
        elif name == "SUBPATTERN":
            if _dead(list(arg[-1])):
                return True
            consumed = True  # conservatively: it may consume
        elif name == "BRANCH":
            consumed = True
    return False


def _dead(items: list) -> bool:
    if len(items) == 1 and str(items[0][0]) == "BRANCH":
        return all(_dead(list(b)) for b in items[0][1][1])
    return _branch_dead(items)


def never_matches(pattern: str) -> bool:
    try:
        return _dead(list(sre_parse.parse(pattern)))
    except (re.error, RecursionError, OverflowError, TypeError, IndexError):
        return False


def check(a: Analysis, variable_mark: str, emit: Callable[[str, str], None]) -> None:
    for node in a.flat:
        if not isinstance(node.expr, pp.VectorSelector):
            continue
        sel = selector(node.expr)
        for label, op, value in sel.matchers:
            if variable_mark and variable_mark in value:
                continue
            if op == "!~" and matches_everything(value):
                emit(CHECK.id, f'{sel.name}{{{label}!~"{value}"}} excludes every value (the empty one too): the '
                     "selector returns nothing; drop the matcher or narrow the pattern")
            elif op == "=~" and never_matches(value):
                emit(CHECK.id, f'{sel.name}{{{label}=~"{value}"}} can never match: Prometheus anchors the pattern at '
                     "both ends, so an anchor inside it leaves no value; remove the inner ^ or $")
