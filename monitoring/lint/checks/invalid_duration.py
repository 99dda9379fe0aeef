"""invalid-duration (error): a `for` or `keep_firing_for` that is not a Prometheus duration.

Prometheus reads these with model.ParseDuration: units in descending order (y w d h m s ms), no spaces, no
decimals, or the bare "0". Anything else (`5 minutes`, `1.5m`, `30m5h`) makes it refuse the whole rule file.

Bad:  for: 5 minutes        for: 1.5m
Good: for: 5m               for: 1m30s
Disable: annotation `lint_disable: invalid-duration`.
"""

from __future__ import annotations

from collections.abc import Callable

from gitea_provider_monitoring.exporters.gitea_api.durations import is_duration
from gitea_provider_monitoring.lint.check import ERROR, Check

CHECK = Check("invalid-duration", ERROR, "Prometheus rejects a rule file with a malformed for/keep_firing_for", "syntax")
FIELDS = ("for", "keep_firing_for")


def valid(value: object) -> bool:
    """As Prometheus' model.ParseDuration: units in order, or the bare "0"."""
    return is_duration(value)


def check(rule: dict, emit: Callable[[str, str], None]) -> None:
    for field in FIELDS:
        if field in rule and not valid(rule[field]):
            emit(CHECK.id, f"{field}: {rule[field]!r} is not a Prometheus duration (like 5m or 1h30m)")
