"""Durations, written once: how we read and write them everywhere (config, rules, test cases, lint, the exporter).

Two forms. Prometheus' duration (`1h30m`, `800ms`: integer amounts of units in order, as its model.ParseDuration
reads them) is what the config, rules, promtool tests and lint use. The exporter's flags take one unit with an
optional fraction (`15s`, `1.5s`, `800ms`), the form its image has always accepted; the build refuses a config
whose exporter durations it would not read.

This module lives in the exporter because the exporter must stand alone (its image copies exporters/ and
nothing else, and has none of the compiler's dependencies): the model may import the exporter, never the
reverse. Standard library only.
"""

from __future__ import annotations

import re

# Prometheus' duration syntax. Every part is optional, so the empty string matches: duration_seconds refuses it.
DURATION_RE = re.compile(r"^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$")
_UNIT_SECONDS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
# The exporter's flags (--interval, --timeout, ...): one unit, an optional fraction.
FLAG_DURATION_RE = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_FLAG_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def duration_seconds(value: str) -> float:
    """Seconds in a Prometheus duration such as `1h30m` or `800ms`."""
    if not value or not DURATION_RE.match(value):
        raise ValueError(f"{value!r} is not a Prometheus duration (like 30s, 5m, 1h30m)")
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in re.findall(r"(\d+)(ms|y|w|d|h|m|s)", value))


def is_duration(value: object) -> bool:
    """Whether Prometheus reads `value` as a duration: units in order, or the bare "0" (model.ParseDuration)."""
    return isinstance(value, str) and bool(value) and (value == "0" or bool(DURATION_RE.match(value)))


def fmt_duration(seconds: float) -> str:
    """A Prometheus duration: 90 -> 1m30s, 1.5 -> 1500ms."""
    ms = round(seconds * 1000)
    if ms % 1000:
        return f"{ms}ms"
    s, out = ms // 1000, ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if s >= size:
            out += f"{s // size}{unit}"
            s %= size
    return out or "0s"


def flag_seconds(text: str) -> float:
    """Seconds in an exporter flag's duration: 15s, 800ms, 1m, 1.5s (one unit)."""
    m = FLAG_DURATION_RE.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a duration like 15s, 800ms or 1m")
    return float(m.group(1)) * _FLAG_UNIT_SECONDS[m.group(2)]
