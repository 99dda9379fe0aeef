"""summary-quantile-aggregation (warning): avg() or sum() over a summary's quantile series.

A summary computes each quantile inside one process; the average of two pods' p99 is not the p99 of
anything (one pod at 2s and one idle at 0.01s "average" 1s while half the requests took 2s). Aggregate a
histogram's buckets and take histogram_quantile instead, or show the worst instance with max(). A series is a
summary quantile when a type source says so (lint/types.py) or its selector matches a `quantile` label.

Bad:  avg by (job) (rpc_duration_seconds{quantile="0.99"})
Good: histogram_quantile(0.99, sum by (job, le) (rate(rpc_duration_seconds_bucket[5m]))), or
      max by (job) (rpc_duration_seconds{quantile="0.99"})
Disable: annotation `lint_disable: summary-quantile-aggregation`.
"""

from __future__ import annotations

from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import WARNING, Check
from gitea_provider_monitoring.model.promql import selector

CHECK = Check("summary-quantile-aggregation", WARNING, "averaging or summing summary quantiles across instances "
              "gives a number that is no quantile", "types")
AGGREGATIONS = {"avg", "sum"}
PASS_THROUGH = (pp.ParenExpr, pp.MatrixSelector, pp.SubqueryExpr)
PASS_CALLS = {"avg_over_time", "max_over_time", "min_over_time", "last_over_time", "label_replace", "label_join",
              "clamp_min", "clamp_max", "abs"}


def _quantile_selectors(a: Analysis, i: int) -> list[str]:
    """Names of the summary-quantile selectors whose values flow unchanged (but for smoothing) into node i."""
    out = []
    stack = [i]
    while stack:
        j = stack.pop()
        node = a.expr(j)
        if isinstance(node, pp.VectorSelector):
            sel = selector(node)
            found = a.type_of(j)
            quantile = any(label == "quantile" and op in ("=", "=~") for label, op, _ in sel.matchers)
            if (found and found[0] == "summary_quantile") or (found is None and quantile and not sel.name.endswith("_bucket")):
                out.append(sel.name)
        elif isinstance(node, PASS_THROUGH) or isinstance(node, pp.Call) and node.func.name in PASS_CALLS:
            stack += list(a.kids(j))
        elif isinstance(node, pp.BinaryExpr) and any(a.labels[k].scalar for k in a.kids(j)):
            stack += [k for k in a.kids(j) if not a.labels[k].scalar]
    return out


def check(a: Analysis, emit: Callable[[str, str], None]) -> None:
    for i, node in enumerate(a.flat):
        agg = node.expr
        if not isinstance(agg, pp.AggregateExpr) or str(agg.op) not in AGGREGATIONS:
            continue
        names = _quantile_selectors(a, a.kids(i)[-1])
        if names:
            emit(CHECK.id, f"{agg.op}() over the summary quantiles of {', '.join(sorted(set(names)))}: a mean or sum "
                 "of per-instance quantiles is no quantile; use max() or a histogram's buckets with histogram_quantile")
