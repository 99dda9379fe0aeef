"""histogram-quantile-input (error): histogram_quantile needs `_bucket` series, with `le` kept by every
aggregation the buckets flow through.

Only aggregations that buckets flow into are judged: in `histogram_quantile(0.99, sum by (instance, le)
(rate(x_bucket[5m])) * on (instance) group_left (node) max by (instance, node) (kube_node_info))` the
`max` on the other side of the join has no `le` and needs none. "Not a _bucket series" is said only when
every selector under the call is a catalog series and none is a bucket.

Bad:  histogram_quantile(0.9, sum by (controller) (rate(controller_runtime_reconcile_time_seconds_bucket[5m])))
Good: histogram_quantile(0.9, sum by (controller, le) (rate(controller_runtime_reconcile_time_seconds_bucket[5m])))
Disable: annotation `lint_disable: histogram-quantile-input`.
"""

from __future__ import annotations

from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import SELECTING, Analysis
from gitea_provider_monitoring.lint.check import ERROR, Check

CHECK = Check("histogram-quantile-input", ERROR, "histogram_quantile needs _bucket series with le kept through "
              "aggregation", "catalog")


def check(a: Analysis, i: int, emit: Callable[[str, str], None]) -> None:
    """Node i is a histogram_quantile call."""
    kids = a.kids(i)
    if len(kids) != 2:
        return
    arg = kids[1]
    if not a.bucket[arg] and a.known[arg]:
        names = sorted({info.name for j in a.subtree(arg) if (info := a.info[j]) is not None})
        if names:
            emit(CHECK.id, f"histogram_quantile over {', '.join(names)}, which is not a _bucket series")
    for j in a.subtree(arg):
        agg = a.expr(j)
        if not isinstance(agg, pp.AggregateExpr) or not a.bucket[j] or str(agg.op) in SELECTING:
            continue  # only aggregations the buckets flow through decide whether le survives
        labels = list(agg.modifier.labels) if agg.modifier else []
        by = agg.modifier is not None and agg.modifier.type == pp.AggModifierType.By
        if agg.modifier is None or (by and "le" not in labels) or (not by and "le" in labels):
            emit(CHECK.id, f"{agg.op} inside histogram_quantile drops the le label; add le to its by (...)")
