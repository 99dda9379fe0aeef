"""unstable-aggregation (warning): topk(), bottomk(), limitk() or limit_ratio() in an alert.

An alert's identity is its labels. topk(3, ...) picks whichever three series are highest at this
evaluation, so the set changes from one evaluation to the next: alerts resolve and fire again, and their
`for` restarts each time (pint: promql/fragile). Allowed: `topk by (x) (1, ...)`, which keeps one series per
group (a de-duplication), and a topk that only picks which series pass (the right of and/unless, the
`one` side of a group_left join).

Bad:  topk(1, controller_runtime_active_workers) > 1
Good: max(controller_runtime_active_workers) > 1
Disable: annotation `lint_disable: unstable-aggregation`.
"""

from __future__ import annotations

from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import WARNING, Check

CHECK = Check("unstable-aggregation", WARNING, "topk/bottomk/limit in an alert pick different series per evaluation "
              "(flapping)", "semantics")
UNSTABLE = {"topk", "bottomk", "limitk", "limit_ratio"}


def _dedup(a: Analysis, i: int, agg: pp.AggregateExpr) -> bool:
    """`topk by (x) (1, ...)`: one series per group, a de-duplication; or a topk that only looks up
    which series pass (the right of and/unless, the `one` side of a join)."""
    one = isinstance(agg.param, pp.NumberLiteral) and agg.param.val == 1
    by = agg.modifier is not None and agg.modifier.type == pp.AggModifierType.By and bool(agg.modifier.labels)
    return (one and by) or a.is_lookup_side(i)


def check(a: Analysis, emit: Callable[[str, str], None]) -> None:
    """Only for alerts (the caller decides)."""
    for i, node in enumerate(a.flat):
        agg = node.expr
        if isinstance(agg, pp.AggregateExpr) and str(agg.op) in UNSTABLE and not _dedup(a, i, agg):
            emit(CHECK.id, f"{agg.op}() in an alert picks different series from one evaluation to the next, so the "
                 "alert flaps; alert on a threshold instead")
