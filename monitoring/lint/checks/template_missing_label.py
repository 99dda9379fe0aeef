"""template-missing-label (error): an alert's annotation or label reads `$labels.x` (or `index $labels "x"`)
but its expression's result cannot carry `x`.

Prometheus fills `$labels` from the series the expression returns (rules/alerting.go), not from the rule's
own `labels:`. After `sum by (job) (...)` only `job` is left, and absent() returns just the labels of its
selector's equality matchers (`absent(up{job="a", instance=~".+"})` gives `{job="a"}`), so
`{{ $labels.instance }}` renders as an empty string in every notification. Only label sets lint knows
completely are judged (after an aggregation, absent(), vector()); a plain selector may carry any label. Each
branch of an `or` makes alerts of its own, so a label one branch drops is reported too.

Bad:  expr: sum by (job) (rate(controller_runtime_reconcile_errors_total[5m])) > 0
      description: "{{ $labels.controller }} fails"
Good: expr: sum by (job, controller) (rate(controller_runtime_reconcile_errors_total[5m])) > 0
Disable: annotation `lint_disable: template-missing-label`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis, Labels
from gitea_provider_monitoring.lint.check import ERROR, Check

CHECK = Check("template-missing-label", ERROR, "a template reads a label the alert's expression drops, so it renders "
              "empty", "templates")
_REFS = (re.compile(r"\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)"), re.compile(r"index\s+\$labels\s+\"([^\"]+)\""))


def references(text: str) -> list[str]:
    """Label names a template reads from `$labels`, in order of appearance."""
    found: list[tuple[int, str]] = []
    for pattern in _REFS:
        found += [(m.start(), m.group(1)) for m in pattern.finditer(text)]
    return [name for _, name in sorted(found)]


def lacking(a: Analysis, label: str) -> Labels | None:
    """The label set of a part of the result (a branch of `or`, or all of it) that cannot carry `label`."""
    pending = [0]
    while pending:
        i = pending.pop()
        have = a.labels[i]
        if not have.open and not have.scalar and label not in have.names:
            return have
        node = a.expr(i)
        if isinstance(node, pp.ParenExpr) or isinstance(node, pp.BinaryExpr) and str(node.op) == "or":
            pending += list(a.kids(i))  # each branch of an `or` gives alerts of its own
        elif isinstance(node, pp.BinaryExpr) and str(node.op) in ("and", "unless"):
            pending.append(a.kids(i)[0])
    return None


def check(a: Analysis, templates: dict[str, str], emit: Callable[[str, str], None]) -> None:
    """`templates`: "annotation summary" / "label team" -> its text."""
    # Plain selectors count as open here (a relabeling lint did not see may add any label); only label sets an
    # operation closes (aggregation, absent(), vector()) are judged.
    closed = Analysis(a.expr(0), a.catalog, a.target_labels, True, a.variable_mark)
    for where, text in templates.items():
        for name in dict.fromkeys(references(text)):
            part = lacking(closed, name)
            if part is not None:
                have = ", ".join(sorted(part.names)) or "none"
                whole = "" if part == closed.labels[0] else " (in one branch of `or`)"
                emit(CHECK.id, f"{where} reads $labels.{name}, but the expression's result{whole} has only these labels: "
                     f"{have}; keep {name} in the aggregation (by (..., {name})) or do not use it")
