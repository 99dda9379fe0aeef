"""SLOs with multi-window, multi-burn-rate alerts (the SRE workbook's recipe).

Each SLO records its error ratio for every window the alerts and dashboards need, then pages on a
fast burn (1h & 5m above 14.4x the budget, or 6h & 30m above 6x) and opens a ticket on a slow burn
(1d & 2h above 3x, or 3d & 6h above 1x). Budgets are computed in Decimal: 0.999 stays 0.999.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from alerts import _testdata as td
from alerts._common import alert
from monitoring.config import SLO, Config, duration_seconds
from monitoring.rules import AlertingRule, Expected, RecordingRule, RuleFile, RuleGroup, Runbook, Series, fires, num, silent

NAME = "slo"

# (long window, short window, burn-rate factor) per severity, as in the SRE workbook.
FAST_BURN = (("1h", "5m", Decimal("14.4")), ("6h", "30m", Decimal("6")))
SLOW_BURN = (("1d", "2h", Decimal("3")), ("3d", "6h", Decimal("1")))
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")

# Error ratios (as multiples of the budget) the test cases use for each pair, and just under.
_CASE_MULTIPLES = {"1h": Decimal(20), "6h": Decimal(10), "1d": Decimal("4.5"), "3d": Decimal(2)}
_FAST_SILENT, _SLOW_SILENT = Decimal(5), Decimal("0.8")


@dataclass(frozen=True)
class SLODef:
    key: str  # used in record names: <level>:slo_<key>_errors:ratio_rate<window>
    title: str
    level: str
    slo: SLO
    by: str
    error_ratio: Callable[[str], str]  # window -> PromQL of the error ratio
    alert_prefix: str
    test_series: Callable[[str, str, str], list[Series]]  # (bad, good, total) counter values -> series
    expected_labels: dict[str, str]

    @property
    def budget(self) -> Decimal:
        return Decimal(1) - self.slo.objective

    def record(self, window: str) -> str:
        return f"{self.level}:slo_{self.key}_errors:ratio_rate{window}"


def _le_matcher(seconds: float) -> str:
    """Match a bucket bound written by Go (`1`) or by client_python (`1.0`)."""
    text = num(seconds)
    return f'le=~"{text}|{text}.0"' if "." not in text else f'le="{text}"'


def slo_defs(config: Config) -> list[SLODef]:
    prov, exp = config.provider_selector, config.exporter_selector
    by_job, by_ns = config.by("job"), config.by()
    ctrl = config.provider.controllers[0]
    lat = config.slo.gitea_latency
    le = _le_matcher(lat.latency_seconds or 1.0)

    def reconcile_series(bad: str, good: str, total: str) -> list[Series]:
        return [td.provider(config, "controller_runtime_reconcile_total", bad, controller=ctrl, result="requeue"),
                td.provider(config, "controller_runtime_reconcile_total", good, controller=ctrl,
                            result="requeue_after")]

    def availability_series(bad: str, good: str, total: str) -> list[Series]:
        return [td.exporter(config, "gitea_api_probes_total", total, endpoint="healthz"),
                td.exporter(config, "gitea_api_probe_failures_total", bad, endpoint="healthz", reason="timeout")]

    def latency_series(bad: str, good: str, total: str) -> list[Series]:
        bound = num(lat.latency_seconds or 1.0)
        bound = bound if "." in bound else bound + ".0"  # client_python writes le="1.0"
        return [td.exporter(config, "gitea_api_probe_duration_seconds_bucket", good, endpoint="healthz", le=bound),
                td.exporter(config, "gitea_api_probe_duration_seconds_count", total, endpoint="healthz")]

    return [
        SLODef("reconcile", "Reconcile success", "job", config.slo.reconcile, by_job,
               lambda w: f'sum by ({by_job}) (rate(controller_runtime_reconcile_total{{{prov}, result=~"error|requeue"}}[{w}]))\n'
                         f"/\nsum by ({by_job}) (rate(controller_runtime_reconcile_total{{{prov}}}[{w}]))",
               "GiteaProviderReconcileSLO", reconcile_series, td.group_labels(config, job=config.provider.job)),
        SLODef("gitea_api_availability", "Gitea API availability", "namespace", config.slo.gitea_availability, by_ns,
               lambda w: f"sum by ({by_ns}) (rate(gitea_api_probe_failures_total{{{exp}}}[{w}]))\n"
                         f"/\nsum by ({by_ns}) (rate(gitea_api_probes_total{{{exp}}}[{w}]))",
               "GiteaAPIAvailabilitySLO", availability_series, td.group_labels(config)),
        SLODef("gitea_api_latency", f"Gitea API latency (probes under {num(lat.latency_seconds or 1.0)}s)",
               "namespace", lat, by_ns,
               lambda w: f"1 - (\nsum by ({by_ns}) (rate(gitea_api_probe_duration_seconds_bucket{{{exp}, {le}}}[{w}]))\n"
                         f"/\nsum by ({by_ns}) (rate(gitea_api_probe_duration_seconds_count{{{exp}}}[{w}]))\n)",
               "GiteaAPILatencySLO", latency_series, td.group_labels(config)),
    ]


def _unit_total(budget: Decimal) -> int:
    """Events per step large enough that every test multiple of the budget is a whole number."""
    total = 100
    multiples = [*_CASE_MULTIPLES.values(), _FAST_SILENT, _SLOW_SILENT]
    while any((m * budget * total) % 1 for m in multiples):
        total *= 10
    return total


def _counter(phases: list[tuple[int, int]]) -> str:
    """promtool values of a counter that grows by `inc` per step for `steps` steps, phase after phase."""
    parts, value = [], 0
    for i, (steps, inc) in enumerate(phases):
        if i == 0:
            parts.append(f"0+{inc}x{steps}")
            value = inc * steps
        else:
            parts.append(f"{value + inc}+{inc}x{steps - 1}")
            value += inc * steps
    return " ".join(parts)


def _series(d: SLODef, total: int, phases: list[tuple[int, int]]) -> list[Series]:
    """Input series for `phases` of (steps, bad events per step) with `total` events per step."""
    return d.test_series(_counter(phases), _counter([(n, total - b) for n, b in phases]),
                         _counter([(n, total) for n, _ in phases]))


# Windows from 6h up average the recorded 30m ratio instead of re-reading every raw sample of the window at
# every evaluation: at 100 installations the raw 30d/3d/1d rates dominated rule evaluation (bench/scale.py).
LONG_FROM, LONG_BASE = "6h", "30m"


def _seconds(window: str) -> float:
    return duration_seconds(window)


def _long_window(d: SLODef, window: str) -> str:
    """The time-weighted error ratio over `window`: the mean of the recorded 30m ratio."""
    return f"avg_over_time({d.record(LONG_BASE)}[{window}])"


def _burn_expr(d: SLODef, pairs: tuple) -> str:
    parts = []
    for long_w, short_w, factor in pairs:
        threshold = num(factor * d.budget)
        parts.append(f"(\n  {d.record(long_w)} > {threshold}\nand\n  {d.record(short_w)} > {threshold}\n)")
    return "\nor\n".join(parts)


def _burn_alert(config: Config, d: SLODef, fast: bool) -> AlertingRule:
    pairs = FAST_BURN if fast else SLOW_BURN
    total = _unit_total(d.budget)
    bad = lambda multiple: int(multiple * d.budget * total)  # noqa: E731
    ratio = lambda multiple: float(multiple * d.budget)  # noqa: E731
    name = f"{d.alert_prefix}{'Fast' if fast else 'Slow'}Burn"
    pct = num((d.slo.objective * 100).normalize())
    windows = " or ".join(f"{long_w}/{short_w} above {num(f)}x" for long_w, short_w, f in pairs)
    if fast:
        cases = [
            fires("1h/5m pair: 20x budget for 70m after 6h healthy", "430m",
                  _series(d, total, [(360, 0), (90, bad(_CASE_MULTIPLES["1h"]))]),
                  Expected(d.expected_labels, ratio(_CASE_MULTIPLES["1h"]))),
            fires("6h/30m pair: 10x budget for 6h", "370m",
                  _series(d, total, [(400, bad(_CASE_MULTIPLES["6h"]))]),
                  Expected(d.expected_labels, ratio(_CASE_MULTIPLES["6h"]))),
            silent("5x budget for 6h is under both fast factors", "370m",
                   _series(d, total, [(400, bad(_FAST_SILENT))])),
        ]
    else:
        cases = [
            fires("1d/2h pair: 4.5x budget for 25h", "25h",
                  _series(d, total, [(320, bad(_CASE_MULTIPLES["1d"]))]),
                  Expected(d.expected_labels, ratio(_CASE_MULTIPLES["1d"])), interval="5m"),
            fires("3d/6h pair: 2x budget for 3d", "73h",
                  _series(d, total, [(900, bad(_CASE_MULTIPLES["3d"]))]),
                  Expected(d.expected_labels, ratio(_CASE_MULTIPLES["3d"])), interval="5m"),
            silent("0.8x budget for 3d is within budget", "73h",
                   _series(d, total, [(900, bad(_SLOW_SILENT))]), interval="5m"),
        ]
    severity = "critical" if fast else "warning"
    return alert(
        config, name, severity=severity, for_=config.slo.fast_burn_for if fast else config.slo.slow_burn_for,
        expr=_burn_expr(d, pairs),
        summary=f"The {d.title} SLO is burning its error budget {'fast' if fast else 'steadily'}.",
        description=f"{d.title} in {{{{ $labels.namespace }}}}: error ratio {{{{ $value | humanizePercentage }}}} "
                    f"over the long window ({windows} the {num(d.budget * 100)}% budget of a {pct}% SLO "
                    f"over {config.slo.period}).",
        runbook=Runbook(
            meaning=f"The {d.title} SLO ({pct}% over {config.slo.period}) consumes its error budget "
                    + ("so fast that it will be gone within days: page." if fast else "faster than it refills: ticket."),
            impact="Users of the provider see failures or slowness at a rate above the objective.",
            diagnosis=(f"Error ratio per window: `{d.record('1h')}`, `{d.record('6h')}`, `{d.record('1d')}`.",
                       "Open the Provider Overview dashboard (SLO row), then the alerts that fire with it."),
            mitigation=("Fix the cause shown by the other firing alerts; if the SLO is wrong, change it in the config.",),
        ),
        cases=cases,
    )


def rules(config: Config) -> RuleFile:
    groups = []
    for d in slo_defs(config):
        windows = dict.fromkeys((*WINDOWS, config.slo.period))  # the period may equal a window
        records = [RecordingRule(d.record(w), _long_window(d, w) if _seconds(w) >= _seconds(LONG_FROM)
                                 else d.error_ratio(w)) for w in windows]
        alerts = [_burn_alert(config, d, fast=True), _burn_alert(config, d, fast=False)]
        groups.append(RuleGroup(f"slo.{d.key}", tuple(records) + tuple(alerts)))
    return RuleFile(NAME, tuple(groups))
