"""sparse-record-read (warning): a series recorded by a group that runs less often than Prometheus' lookback
delta (5m by default) is only visible to an instant selector for the 5 minutes after each evaluation.

A group with `interval: 1h` stamps its results once an hour. An instant selector (`x > 0.1`, `sum(x)`, or one
inside a subquery) finds the newest sample no older than the lookback delta (promql/engine.go, LookbackDelta), so
the rule reading it sees the series 5 minutes an hour and nothing the other 55: an alert resolves and its
`for` starts again. A range selector shorter than the interval is empty part of the time in the same way.
Readers later in the recording group itself are fine (the group evaluates its rules in order, at one
timestamp); an earlier one reads the previous evaluation's sample, an interval old.
Only groups that set `interval` in the file are known; the lookback delta is taken to be Prometheus' default.

Bad:  group `slo.hourly` (interval: 1h) records `job:errors:ratio_rate1h_hourly`; another group alerts on
      `job:errors:ratio_rate1h_hourly > 0.01`.
Good: `avg_over_time(job:errors:ratio_rate1h_hourly[1d]) > 0.01` (a range of at least the interval), or
      `last_over_time(job:errors:ratio_rate1h_hourly[1h5m])` for the newest sample.
Disable: annotation `lint_disable: sparse-record-read` on the reading rule.
"""

from __future__ import annotations

from collections.abc import Callable

from gitea_provider_monitoring.exporters.gitea_api.durations import DURATION_RE, duration_seconds, fmt_duration
from gitea_provider_monitoring.lint.check import WARNING, Check
from gitea_provider_monitoring.model.promql import PromQLError, selectors

CHECK = Check("sparse-record-read", WARNING, "a series recorded less often than the 5m lookback delta, read by an "
              "instant selector (or a shorter range), is missing most of the time", "semantics")
LOOKBACK_SECONDS = 300.0  # Prometheus' --query.lookback-delta default


Sparse = dict[str, tuple[str, str, int]]  # record -> (group, interval, index of the rule in its group)


def _seconds(value: object) -> float | None:
    """Seconds of a Prometheus duration; None when it is not one (invalid-duration-style input is not ours)."""
    if not (isinstance(value, str) and value and DURATION_RE.match(value)):
        return None
    try:
        return duration_seconds(value)
    except ValueError:
        return None


def sparse_records(groups: list) -> Sparse:
    """The records of groups whose `interval` is longer than the lookback delta."""
    out: Sparse = {}
    for gi, group in enumerate(groups):
        if not isinstance(group, dict):
            continue
        interval = group.get("interval")
        seconds = _seconds(interval)
        if seconds is None or seconds <= LOOKBACK_SECONDS:
            continue
        rules = group.get("rules") if isinstance(group.get("rules"), list) else []
        for ri, rule in enumerate(rules):
            if isinstance(rule, dict) and isinstance(rule.get("record"), str):
                out[rule["record"]] = (str(group.get("name") or f"group[{gi}]"), str(interval), ri)
    return out


def check(expr: str, group: str, index: int, sparse: Sparse, emit: Callable[[str, str], None]) -> None:
    """Report each read of a sparse record, by rule `index` of `group`, without a range covering its interval."""
    if not sparse:
        return
    try:
        found = selectors(expr)
    except PromQLError:
        return  # promql-syntax reports it
    for s in found:
        if s.name not in sparse:
            continue
        source, interval, position = sparse[s.name]
        if source == group and index > position:
            continue  # evaluated after the record, at the same timestamp
        if s.range is None:
            newest = fmt_duration(duration_seconds(interval) + LOOKBACK_SECONDS)
            emit(CHECK.id, f"reads {s.name} with an instant selector, but group {source!r} records it every {interval}: "
                 f"it is visible 5m after each evaluation only; read it over a range of at least {interval} "
                 f"(avg_over_time(...[{interval}]) or last_over_time(...[{newest}]))")
        elif (_seconds(s.range) or 0) < duration_seconds(interval):
            emit(CHECK.id, f"reads {s.name} over [{s.range}], shorter than the {interval} between the samples group "
                 f"{source!r} records: the range is empty part of the time; use a range of at least {interval}")
