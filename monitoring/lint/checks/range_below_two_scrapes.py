"""range-below-two-scrapes (error): rate(), irate(), increase(), delta(), deriv() or predict_linear() over a
range shorter than two scrape intervals of the job the selector reads.

These functions need two samples inside the range; with `[30s]` at a 30s scrape interval a window holds one
sample most of the time and the result is empty (an alert that never fires, a panel with gaps). The scrape
interval is known when a linted ServiceMonitor/PodMonitor endpoint (`interval`) or scrape config
(`scrape_interval`, else its `global.scrape_interval`) scrapes the job the selector names (`job="..."`), or
when `--scrape-interval` is given. In a dashboard use `$__rate_interval`, which Grafana keeps at four
scrape intervals or more. Ranges below four intervals but not below two are short-range-window warnings.

Bad:  rate(controller_runtime_reconcile_total{job="provider-gitea"}[30s])   (PodMonitor interval: 30s)
Good: rate(controller_runtime_reconcile_total{job="provider-gitea"}[2m]), or [$__rate_interval] in a panel
Disable: annotation `lint_disable: range-below-two-scrapes`; dashboard tag `lint-disable:range-below-two-scrapes`.
"""

from __future__ import annotations

from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.exporters.gitea_api.durations import fmt_duration
from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import ERROR, Check
from gitea_provider_monitoring.lint.inputs import MetricSource
from gitea_provider_monitoring.model.promql import selector

CHECK = Check("range-below-two-scrapes", ERROR, "a rate-like function over fewer than two scrape intervals has one "
              "sample and returns nothing", "semantics")
FUNCTIONS = {"rate", "irate", "increase", "delta", "idelta", "deriv", "predict_linear"}


def job_interval(matchers: tuple[tuple[str, str, str], ...], sources: tuple[MetricSource, ...],
                 variable_mark: str) -> tuple[float, str] | None:
    """(seconds, where) of the longest scrape interval among the linted sources of the job a selector names."""
    if not any(label == "job" and op in ("=", "=~") and variable_mark not in value for label, op, value in matchers):
        return None
    admitted = [s for s in sources if s.interval and s.scope.knows("job") and s.scope.admits(matchers, variable_mark)]
    if not admitted:
        return None
    longest = max(admitted, key=lambda s: s.interval or 0)
    return longest.interval or 0.0, longest.where


def check(a: Analysis, sources: tuple[MetricSource, ...], given: float | None, grafana: bool, skip: float,
          variable_mark: str, emit: Callable[[str, str], None]) -> None:
    """`given`: --scrape-interval when the user passed it; `skip`: the range Grafana's range variables become."""
    for i, node in enumerate(a.flat):
        call = node.expr
        if not isinstance(call, pp.Call) or call.func.name not in FUNCTIONS:
            continue
        for k in a.kids(i):
            ms = a.expr(k)
            if not isinstance(ms, pp.MatrixSelector):
                continue
            seconds = ms.range.total_seconds()
            if grafana and seconds == skip:
                continue
            sel = selector(ms.vector_selector)
            known = job_interval(sel.matchers, sources, variable_mark)
            interval, where = known if known else (given, "--scrape-interval") if given else (None, "")
            if interval and seconds < 2 * interval:
                fix = "$__rate_interval" if grafana else f"at least [{fmt_duration(4 * interval)}]"
                emit(CHECK.id, f"{call.func.name}({sel.name}[{pp.display_duration(ms.range)}]): the range holds fewer "
                     f"than two scrapes at {interval:g}s ({where}), so it is mostly empty; use {fix}")
