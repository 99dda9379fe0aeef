"""metric-dropped-by-relabel (error): the metric is dropped at scrape time (a `drop` or `keep` on
`__name__` in metricRelabelings / metric_relabel_configs), so the selector never sees it.

Each ServiceMonitor / PodMonitor endpoint and each scrape job is a source with a scope: the `job` (the
monitor's `jobLabel` value from its selector, the one linted Service it selects, or a relabeling that
writes it; a scrape job's `job_name`), `namespace`, `endpoint` and `metrics_path` of its targets. A drop
is reported only when every source the selector's matchers admit drops the metric: a drop in the monitor of
job A does not matter to `x{job="B"}`, nor to a selector that also reads `x` from a monitor that keeps it.
When the selector names a job that a source is known to have, sources whose job the manifests do not say
are left out (a job name belongs to one scrape config).

Bad:  a ServiceMonitor of the provider drops `controller_runtime_reconcile_time_seconds_bucket`, and an
      alert reads it.
Good: another application's monitor drops `workqueue_.*`; `workqueue_depth{job="provider-gitea"}`.
Disable: keep the metric, or annotation `lint_disable: metric-dropped-by-relabel`.
"""

from __future__ import annotations

from collections.abc import Callable

from gitea_provider_monitoring.lint.check import ERROR, Check
from gitea_provider_monitoring.lint.inputs import MetricDrop, MetricSource

CHECK = Check("metric-dropped-by-relabel", ERROR, "a metric dropped at scrape time is never stored", "relabel")


def check(name: str, matchers: tuple[tuple[str, str, str], ...], sources: tuple[MetricSource, ...],
          variable_mark: str, emit: Callable[[str, str], None]) -> None:
    admitted = [s for s in sources if s.scope.admits(matchers, variable_mark)]
    if any(label == "job" and variable_mark not in value for label, _, value in matchers):
        known = [s for s in admitted if s.scope.knows("job")]
        admitted = known or admitted
    dropping: list[MetricDrop] = []
    for source in admitted:
        drop = next((d for d in source.drops if d.drops(name)), None)
        if drop is None:
            return  # this source keeps it
        dropping.append(drop)
    for drop in dropping:
        emit(CHECK.id, f"{name} is dropped at scrape time by {drop.path}: {drop.where} (action {drop.action}, "
             f"regex {_short(drop.regex)}); keep it or do not use it")


def _short(regex: str) -> str:
    return repr(regex) if len(regex) <= 120 else repr(regex[:100] + "...") + f" ({len(regex)} characters)"
