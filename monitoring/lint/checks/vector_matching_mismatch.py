"""vector-matching-mismatch (error): a binary operation between two vectors whose label sets cannot match,
so it returns nothing (or, for `unless`, everything).

Without on(), Prometheus pairs series with identical labels (all of them, minus those in ignoring()). When
both sides' labels are known completely (after aggregations, absent(), or for the catalog's own series) and
differ, no pair exists: `sum by (job) (a) / sum by (instance) (b)` is always empty, and
`x unless absent(y{job="a"})` never removes anything. `on (l)` with a side that lacks `l` is
unknown-label's finding. Sides with labels lint cannot know (another program's series) are not judged.

Bad:  sum by (controller) (rate(controller_runtime_reconcile_errors_total[5m]))
        / sum by (job) (rate(controller_runtime_reconcile_total[5m]))
Good: ... / on (controller) sum by (controller) (...), or the same by () on both sides
Disable: annotation `lint_disable: vector-matching-mismatch`.
"""

from __future__ import annotations

from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import ERROR, Check

CHECK = Check("vector-matching-mismatch", ERROR, "two vectors whose label sets differ match nothing", "semantics")


def check(a: Analysis, emit: Callable[[str, str], None]) -> None:
    for i, node in enumerate(a.flat):
        b = node.expr
        if not isinstance(b, pp.BinaryExpr) or str(b.op) == "or":
            continue
        lhs, rhs = (a.labels[k] for k in a.kids(i))
        if lhs.scalar or rhs.scalar or lhs.open or rhs.open:
            continue
        matching = getattr(b.modifier, "matching", None) if b.modifier is not None else None
        if matching is not None and matching.type == pp.LabelModifierType.Include:
            continue
        ignored = set(matching.labels) if matching is not None else set()
        left, right = lhs.names - ignored, rhs.names - ignored
        if left != right:
            only_l, only_r = sorted(left - right), sorted(right - left)
            side = "; ".join(x for x in (f"only the left has {', '.join(only_l)}" if only_l else "",
                                         f"only the right has {', '.join(only_r)}" if only_r else "") if x)
            emit(CHECK.id, f"`{b.op}` pairs series with identical labels, and the two sides cannot have them ({side}): "
                 "the result is " + ("the left side unchanged" if str(b.op) == "unless" else "always empty") +
                 "; add on (...) with the labels both keep, or aggregate both by the same labels")
