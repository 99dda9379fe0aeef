"""for-below-interval (warning): an alert's `for` is shorter than its group's evaluation `interval`.

Prometheus looks at the alert once per interval; with `interval: 5m` and `for: 1m` the alert fires at the
second evaluation that finds it, 5 minutes later, not after 1 minute: the `for` reads as a promise it does not
keep, and a one-evaluation blip pages. Make `for` at least the interval (or a multiple), or evaluate the
group more often. Only groups that set `interval` in the file are judged.

Bad:  interval: 5m ... for: 1m
Good: interval: 1m ... for: 5m
Disable: annotation `lint_disable: for-below-interval`.
"""

from __future__ import annotations

from collections.abc import Callable

from gitea_provider_monitoring.exporters.gitea_api.durations import DURATION_RE, duration_seconds
from gitea_provider_monitoring.lint.check import WARNING, Check

CHECK = Check("for-below-interval", WARNING, "a `for` shorter than the group's evaluation interval waits a whole "
              "interval anyway", "semantics")


def _seconds(value: object) -> float | None:
    if not isinstance(value, str) or not value or not DURATION_RE.match(value):
        return None
    try:
        return duration_seconds(value)
    except ValueError:
        return None


def check(for_: object, interval: object, emit: Callable[[str, str], None]) -> None:
    f, i = _seconds(for_), _seconds(interval)
    if f and i and f < i:
        emit(CHECK.id, f"for: {for_} is shorter than the group's interval {interval}: the alert is looked at every "
             f"{interval}, so it fires one interval after it first matches; use for >= {interval}")
