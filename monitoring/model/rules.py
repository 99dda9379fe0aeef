"""Rule objects (recording rule, alerting rule, group) and the promtool cases that prove them.

A definition in `alerts/` builds these from the config; the compiler renders them to Prometheus
rule-file YAML and to `promtool test rules` files. Every object remembers the file and line that
created it, so a build error can name the definition to fix.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

SEVERITIES = ("critical", "warning", "info")


def _caller(depth: int = 2) -> str:
    """`alerts/provider.py:42`: where the definition was written, for error messages."""
    frame = sys._getframe(depth)
    filename = frame.f_code.co_filename
    for marker in ("/alerts/", "/dashboards/", "/monitoring/"):
        if marker in filename:
            filename = marker.strip("/") + "/" + filename.rsplit(marker, 1)[1]
            break
    return f"{filename}:{frame.f_lineno}"


def num(value: float | int | Decimal) -> str:
    """A number as PromQL and YAML should show it: 0.999, never 0.9989999999; 10, not 10.0."""
    if isinstance(value, Decimal):
        d = value
    else:
        d = Decimal(repr(float(value)))
    return format(d.normalize(), "f")


@dataclass(frozen=True)
class Series:
    """One input series of a promtool test, in promtool's expanding notation (`0+10x30`)."""

    series: str
    values: str


@dataclass(frozen=True)
class Expected:
    """One alert instance a firing case expects: the labels the expression yields and its value."""

    labels: dict[str, str]
    value: float
    # What a description's resource_list() query returns at the eval time: (labels, value) per series.
    samples: tuple[tuple[dict[str, str], float], ...] = ()


@dataclass(frozen=True)
class AlertCase:
    """A promtool case for one alert. No `expected` means the alert must stay silent."""

    name: str
    eval_time: str
    series: tuple[Series, ...]
    expected: tuple[Expected, ...] = ()
    interval: str = "1m"

    @property
    def fires(self) -> bool:
        return bool(self.expected)


def fires(name: str, eval_time: str, series: list[Series], *expected: Expected, interval: str = "1m") -> AlertCase:
    return AlertCase(name, eval_time, tuple(series), tuple(expected), interval)


def silent(name: str, eval_time: str, series: list[Series], interval: str = "1m") -> AlertCase:
    return AlertCase(name, eval_time, tuple(series), (), interval)


@dataclass(frozen=True)
class Runbook:
    """The generated runbook section of an alert."""

    meaning: str
    impact: str
    diagnosis: tuple[str, ...]
    mitigation: tuple[str, ...]


def matchers(*parts: str) -> str:
    """Join label matchers, skipping empty ones: matchers('a="1"', '') == 'a="1"'."""
    return ", ".join(p for p in parts if p)


def series(name: str, *parts: str) -> str:
    """`name{matchers}`, or the bare name when there are none."""
    inner = matchers(*parts)
    return f"{name}{{{inner}}}" if inner else name


@dataclass(frozen=True)
class Measure:
    """What an alert compares with its threshold: the one query a panel showing the alert draws too.

    `query(selector, window)` is the PromQL of the measured value for label matchers and a rate window (the
    config's, or Grafana's `$__rate_interval`); queries on recorded series ignore the window. What `selector`
    holds is the measure's own contract: extra matchers on a recorded series (a dashboard's `$cluster`/
    `$namespace` scope), or the whole selector of the raw series it reads (`job` included).

    `alert` is the name of the alert it measures, set by `alert(..., measure=...)`: a panel passes the measure
    (to `alert_steps`, `runbook_links`) instead of repeating the name.
    """

    query: Callable[[str, str], str] = field(compare=False)
    threshold: float
    op: str = ">"
    quantile: float | None = None
    alert: str = ""

    def expr(self, selector: str, window: str) -> str:
        query = self.query(selector, window)
        return f"{query}{chr(10) if chr(10) in query else ' '}{self.op} {num(self.threshold)}"


@dataclass(frozen=True)
class RecordingRule:
    record: str
    expr: str
    labels: dict[str, str] = field(default_factory=dict)
    source: str = field(default_factory=_caller, compare=False)

    @property
    def name(self) -> str:
        return self.record

    def to_dict(self) -> dict:
        out: dict = {"record": self.record, "expr": self.expr}
        if self.labels:
            out["labels"] = dict(sorted(self.labels.items()))
        return out


@dataclass(frozen=True)
class AlertingRule:
    alert: str
    expr: str
    severity: str
    summary: str
    description: str
    runbook_url: str
    runbook: Runbook
    for_: str = "0s"
    labels: dict[str, str] = field(default_factory=dict)
    cases: tuple[AlertCase, ...] = ()
    source: str = field(default_factory=_caller, compare=False)
    # Why no input can make it fire under this config (e.g. an SLO whose burn threshold is above 100%
    # errors); then it needs no firing case, and the build says so.
    unreachable: str = ""
    measure: Measure | None = None  # what dashboards draw for this alert (query, threshold, quantile)
    annotations: dict[str, str] = field(default_factory=dict)  # extra ones, e.g. `team` from the config's overrides

    @property
    def name(self) -> str:
        return self.alert

    @property
    def all_labels(self) -> dict[str, str]:
        return {"severity": self.severity, **self.labels}

    def to_dict(self) -> dict:
        out: dict = {"alert": self.alert, "expr": self.expr}
        if self.for_ not in ("0s", "0m", ""):
            out["for"] = self.for_
        out["labels"] = dict(sorted(self.all_labels.items()))
        out["annotations"] = self.all_annotations
        return out

    @property
    def all_annotations(self) -> dict[str, str]:
        """The annotations Prometheus attaches (sorted): ours plus any extra ones."""
        ours = {"description": self.description, "runbook_url": self.runbook_url, "summary": self.summary}
        return dict(sorted({**self.annotations, **ours}.items()))


Rule = RecordingRule | AlertingRule


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: tuple[Rule, ...]
    interval: str | None = None
    source: str = field(default_factory=_caller, compare=False)

    def to_dict(self) -> dict:
        out: dict = {"name": self.name}
        if self.interval:
            out["interval"] = self.interval
        out["rules"] = [r.to_dict() for r in self.rules]
        return out


@dataclass(frozen=True)
class RuleFile:
    """One rule file in build/prometheus/rules/, from one definition module."""

    name: str  # file stem, e.g. "provider-alerts"
    groups: tuple[RuleGroup, ...]

    def to_dict(self) -> dict:
        return {"groups": [g.to_dict() for g in self.groups]}

    def alerts(self) -> list[AlertingRule]:
        return [r for g in self.groups for r in g.rules if isinstance(r, AlertingRule)]

    def records(self) -> list[RecordingRule]:
        return [r for g in self.groups for r in g.rules if isinstance(r, RecordingRule)]
