"""alert-without-comparison (warning): an alert whose expression cannot filter series fires for every
series it returns, as long as they exist.

What filters: a comparison without `bool` (`> 0.1`, `!= 0`, `== 0`) anywhere its result flows to the
alert's output, `and` / `unless` (they keep only the left series that have, or lack, a match), absent() and
absent_over_time(). Arithmetic passes a filter on either side through (`rate(errors[5m]) * on (c)
group_left () (workers != 0)` is filtered by its right side); `or` filters only when both sides do.
`vector(1)` alone is a deliberate always-firing alert (a Watchdog) and is not reported.

Bad:  sum(controller_runtime_active_workers)
Good: sum(controller_runtime_active_workers) == 0
Good: rate(errors_total[5m]) * on (controller) group_left () (controller_runtime_active_workers != 0)
Disable: annotation `lint_disable: alert-without-comparison` on the rule.
"""

from __future__ import annotations

from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import WARNING, Check

CHECK = Check("alert-without-comparison", WARNING, "without a comparison the alert fires whenever the series "
              "exists", "semantics")


def check(a: Analysis, emit: Callable[[str, str], None]) -> None:
    if not a.filters[0] and not _deliberate(a):
        emit(CHECK.id, "the expression has no comparison (e.g. `> 0.1`), set operator nor absent(): it fires for "
             "every series it returns; add the threshold")


def _deliberate(a: Analysis) -> bool:
    """`vector(1)`: an always-firing alert on purpose (a Watchdog / dead man's switch)."""
    i = 0
    while isinstance(a.expr(i), pp.ParenExpr):
        i = a.kids(i)[0]
    node = a.expr(i)
    return isinstance(node, pp.Call) and node.func.name == "vector"
