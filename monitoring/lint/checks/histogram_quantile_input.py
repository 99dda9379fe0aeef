"""histogram-quantile-input (error): histogram_quantile needs `_bucket` series, with `le` kept by every
aggregation the buckets flow through.

Only aggregations that buckets flow into are judged: in `histogram_quantile(0.99, sum by (instance, le)
(rate(x_bucket[5m])) * on (instance) group_left (node) max by (instance, node) (kube_node_info))` the
`max` on the other side of the join has no `le` and needs none. "Not a _bucket series" is said only when
every selector under the call is known not to be one: typed by a source (lint/types.py; a record of
`rate(x_bucket[5m])` is buckets), or a plain name ending in _sum, _count or _total. Other names may be
native histograms, which histogram_quantile reads without `le`.

Bad:  histogram_quantile(0.9, sum by (controller) (rate(controller_runtime_reconcile_time_seconds_bucket[5m])))
Good: histogram_quantile(0.9, sum by (controller, le) (rate(controller_runtime_reconcile_time_seconds_bucket[5m])))
Disable: annotation `lint_disable: histogram-quantile-input`.
"""

from __future__ import annotations

from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import SELECTING, Analysis
from gitea_provider_monitoring.lint.check import ERROR, Check
from gitea_provider_monitoring.lint.types import BUCKET_LIKE
from gitea_provider_monitoring.model.promql import selector

NOT_BUCKET_SUFFIXES = ("_sum", "_count", "_total")
CHECK = Check("histogram-quantile-input", ERROR, "histogram_quantile needs _bucket series with le kept through "
              "aggregation", "catalog")


def _not_buckets(a: Analysis, arg: int) -> list[str]:
    """The selectors under node `arg` when every one is known not to be a bucket series (by a type source, or by
    a plain name ending in _sum/_count/_total, which classic histograms, summaries and counters use); else []."""
    names = []
    for j in a.subtree(arg):
        if not isinstance(a.expr(j), pp.VectorSelector):
            continue
        name = selector(a.expr(j)).name
        found = a.type_of(j)
        if found is not None and found[0] not in BUCKET_LIKE:
            names.append(name)
        elif found is None and ":" not in name and name.endswith(NOT_BUCKET_SUFFIXES):
            names.append(name)
        else:
            return []
    return sorted(set(names))


def check(a: Analysis, i: int, emit: Callable[[str, str], None]) -> None:
    """Node i is a histogram_quantile call."""
    kids = a.kids(i)
    if len(kids) != 2:
        return
    arg = kids[1]
    if not a.bucket[arg]:
        names = _not_buckets(a, arg)
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
