"""counter-without-rate (warning): an alert compares or sums a counter's raw value.

A counter counts since its process started: `errors_total > 5` fires after the sixth error of the pod's
life and keeps firing until it restarts; `sum(errors_total)` drops whenever a pod restarts. The rate over
a window is what says "failing now". A counter is a series typed so by a source (lint/types.py) or a plain
name ending in _total. Functions that read a counter correctly on the way to the alert's value (rate,
increase, irate, resets, changes, absent, timestamp, the *_over_time that count or test presence) and the
`x - x offset 1h` idiom are accepted, as is a counter used only to pick series (the right of and/unless);
the `one` side of a group_left join counts (its value is divided or multiplied in).

Bad:  controller_runtime_reconcile_errors_total{controller="managed/repository"} > 5
Bad:  sum by (controller) (controller_runtime_reconcile_errors_total) > 0
Good: sum by (controller) (increase(controller_runtime_reconcile_errors_total[10m])) > 5
Disable: annotation `lint_disable: counter-without-rate`.
"""

from __future__ import annotations

from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import WARNING, Check
from gitea_provider_monitoring.lint.checks.deriv_on_counter import counter_source
from gitea_provider_monitoring.model.promql import selector

CHECK = Check("counter-without-rate", WARNING, "an alert on a counter's raw value fires on the process's lifetime "
              "total, not on what is happening now", "types")
# Functions whose result no longer carries the counter's raw value (the last four read its range correctly).
SAFE_CALLS = {"rate", "increase", "irate", "resets", "changes", "absent", "absent_over_time", "timestamp",
              "count_over_time", "present_over_time", "deriv", "predict_linear", "delta", "idelta", "histogram_quantile",
              "histogram_fraction", "histogram_count", "histogram_sum", "histogram_avg", "label_values"}
SAFE_AGGREGATIONS = {"count", "group", "count_values"}


def _offset_idiom(a: Analysis, parent: int, name: str) -> bool:
    """`x - x offset 1h` (or with max_over_time etc.): the increase written by hand."""
    node = a.expr(parent)
    if not isinstance(node, pp.BinaryExpr) or str(node.op) != "-":
        return False
    names = [{selector(a.expr(j)).name for j in a.subtree(k) if isinstance(a.expr(j), pp.VectorSelector)}
             for k in a.kids(parent)]
    return all(name in side for side in names)


def check(a: Analysis, emit: Callable[[str, str], None]) -> None:
    """Only for alerts (the caller decides)."""
    reported: set[str] = set()
    for i, node in enumerate(a.flat):
        vs = node.expr
        if not isinstance(vs, pp.VectorSelector):
            continue
        name = selector(vs).name
        source = counter_source(a, i)
        if not source or name in reported:
            continue
        safe = False
        for parent, child in a.ancestors(i):
            p = a.expr(parent)
            if isinstance(p, pp.BinaryExpr) and str(p.op) in ("and", "unless") and child == a.kids(parent)[1] or \
                    isinstance(p, pp.Call) and p.func.name in SAFE_CALLS or \
                    isinstance(p, pp.AggregateExpr) and str(p.op) in SAFE_AGGREGATIONS or _offset_idiom(a, parent, name):
                safe = True
                break
        if not safe:
            reported.add(name)
            emit(CHECK.id, f"{name} is a counter (from {source}) and its raw value reaches the alert: it only grows "
                 "until the process restarts; alert on increase(...[window]) or rate(...[window]) instead")
