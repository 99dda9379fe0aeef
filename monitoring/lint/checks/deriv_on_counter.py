"""deriv-on-counter (error): deriv(), predict_linear(), delta(), idelta() or double_exponential_smoothing()
(holt_winters) over a counter.

These functions are for gauges: they fit or subtract the raw values, so a counter's reset (every restart of
the process) reads as a huge drop, and a counter's slope is what rate() computes correctly. A counter is a
series typed so by a source (lint/types.py: catalog, --metrics, --prometheus, a linted recording rule) or a
plain name ending in _total (OpenMetrics requires counters to be named so).

Bad:  predict_linear(controller_runtime_reconcile_errors_total[1h], 3600) > 100
Bad:  delta(gitea_api_probes_total[5m])
Good: rate(controller_runtime_reconcile_errors_total[1h]) * 3600 > 100; increase(gitea_api_probes_total[5m])
Disable: annotation `lint_disable: deriv-on-counter`.
"""

from __future__ import annotations

from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import ERROR, Check
from gitea_provider_monitoring.lint.checks.rate_on_non_counter import ranged_selector
from gitea_provider_monitoring.lint.types import by_convention_counter
from gitea_provider_monitoring.model.promql import selector

CHECK = Check("deriv-on-counter", ERROR, "deriv/predict_linear/delta over a counter read every reset as a drop; "
              "counters take rate/increase", "types")
FUNCTIONS = {"deriv", "predict_linear", "delta", "idelta", "holt_winters", "double_exponential_smoothing"}
COUNTERS = {"counter", "histogram_bucket", "histogram_sum", "histogram_count", "summary_sum", "summary_count"}


def counter_source(a: Analysis, i: int) -> str | None:
    """Where the selector at node i is known to be a counter from, or None."""
    found = a.type_of(i)
    if found:
        return found[1] if found[0] in COUNTERS else None
    name = selector(a.expr(i)).name
    return "its _total name" if by_convention_counter(name) else None


def check(a: Analysis, emit: Callable[[str, str], None]) -> None:
    for i, node in enumerate(a.flat):
        call = node.expr
        if not isinstance(call, pp.Call) or call.func.name not in FUNCTIONS:
            continue
        vs = ranged_selector(a, i)
        source = counter_source(a, vs) if vs is not None else None
        if source:
            better = "increase()" if call.func.name in ("delta", "idelta") else "rate()"
            emit(CHECK.id, f"{call.func.name}() over {selector(a.expr(vs)).name}, a counter (from {source}): "
                 f"resets read as drops; use {better}")
