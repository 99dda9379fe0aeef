"""SLOs with multi-window, multi-burn-rate alerts (the SRE workbook's recipe).

Each SLO records its error ratio over 5m from the raw counters; the windows up to 6h are the mean of that
recorded 5m ratio over the window (avg_over_time: Sloth's and Pyrra's sum_over_time / count_over_time, reading
the window once instead of twice). The windows of a day or more (1d, 3d, the period) are the mean of the 1h
ratio that a group with `interval: 1h` records once an hour: 720 samples for 30 days instead of 43,200, 12x
cheaper per evaluation at 100 installations (bench/slo_windows.py: 73 ms against 900 ms a minute), at the price of
leaving out the last hour at most (the slow-burn alert's short window covers it).
Prometheus must keep the period's worth of data (`retention()`): a shorter retention silently shortens
the period window. Alerts page on a fast burn (2% of the period's budget spent in 1h, 5% in 6h) and
open a ticket on a slow burn (10% in 1d or in 3d); for a 30d period those are the workbook's factors
14.4, 6, 3 and 1. Budgets are computed in Decimal: 0.999 stays 0.999.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from gitea_provider_monitoring.model import catalog
from gitea_provider_monitoring.model import testdata as td
from gitea_provider_monitoring.model.alerting import alert
from gitea_provider_monitoring.model.config import SLO, Config, duration_seconds
from gitea_provider_monitoring.model.rules import (
    AlertingRule,
    Expected,
    RecordingRule,
    RuleFile,
    RuleGroup,
    Runbook,
    Series,
    fires,
    num,
    silent,
)

NAME = "slo"

# (long window, short window, share of the period's error budget spent in the long window) per
# severity, as in the SRE workbook.
FAST_BURN = (("1h", "5m", Decimal("0.02")), ("6h", "30m", Decimal("0.05")))
SLOW_BURN = (("1d", "2h", Decimal("0.1")), ("3d", "6h", Decimal("0.1")))
SHORT_WINDOW = "5m"  # the one window computed from raw counters; all others from its recorded ratio
WINDOWS = (SHORT_WINDOW, "30m", "1h", "2h", "6h", "1d", "3d")
HOUR = "1h"  # the interval of the hourly group, and the window of the ratio it samples
HOURLY_FROM = "1d"  # windows this long or longer average the hourly samples


def burn_factor(config: Config, long_window: str, budget_share: Decimal) -> Decimal:
    """How many times the budget rate spends `budget_share` of the period's budget in `long_window`."""
    ratio = Decimal(int(duration_seconds(config.slo.period))) / Decimal(int(duration_seconds(long_window)))
    return (budget_share * ratio).quantize(Decimal("0.001")).normalize()


def burn_pairs(config: Config, fast: bool) -> list[tuple[str, str, Decimal]]:
    """(long window, short window, burn-rate factor) of the fast (page) or slow (ticket) alert."""
    return [(long_w, short_w, burn_factor(config, long_w, share))
            for long_w, short_w, share in (FAST_BURN if fast else SLOW_BURN)]


def retention(config: Config) -> str:
    """The Prometheus retention the SLO windows need: the period (or 3d, the longest burn window)."""
    return max(config.slo.period, WINDOWS[-1], key=duration_seconds)


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
    fast_severity: str = "critical"  # the fast burn pages, unless the SLI cannot carry a page (see the reconcile SLO)
    caveat: str = ""  # what the SLI cannot tell apart, said in the runbook

    @property
    def budget(self) -> Decimal:
        return Decimal(1) - self.slo.objective

    def record(self, window: str) -> str:
        return f"{self.level}:slo_{self.key}_errors:ratio_rate{window}"

    @property
    def hourly_record(self) -> str:
        """The 1h ratio sampled once an hour (its own group): the source of the windows of a day or more."""
        return f"{self.record(HOUR)}_hourly"


def _le_matcher(seconds: float) -> str:
    """Match a bucket bound as our exporter writes it (client_python: `1.0`) or as a Go client would (`1`)."""
    ours, go = catalog.le(seconds), num(seconds)
    return f'le="{ours}"' if ours == go else f'le=~"{go}|{ours}"'


def slo_defs(config: Config) -> list[SLODef]:
    prov, exp = config.provider_selector, config.exporter_selector
    by_job, by_ns = config.by("job"), config.by()
    ctrl = config.provider.controllers[0]
    lat = config.slo.gitea_latency
    latency = lat.latency_seconds
    if latency is None:  # validate_config refuses such a config; the default is 1.0 (monitoring/model/config.py)
        raise ValueError("slo.gitea_latency.latency_seconds is required: the latency the SLO counts as good")
    le = _le_matcher(latency)

    def reconcile_series(bad: str, good: str, total: str) -> list[Series]:
        return [td.provider(config, "controller_runtime_reconcile_total", bad, controller=ctrl, result="requeue"),
                td.provider(config, "controller_runtime_reconcile_total", good, controller=ctrl,
                            result="requeue_after")]

    def availability_series(bad: str, good: str, total: str) -> list[Series]:
        return [td.exporter(config, "gitea_api_probes_total", total, endpoint="healthz"),
                td.exporter(config, "gitea_api_probe_failures_total", bad, endpoint="healthz", reason="timeout")]

    def latency_series(bad: str, good: str, total: str) -> list[Series]:
        return [td.exporter(config, "gitea_api_probe_duration_seconds_bucket", good, endpoint="healthz",
                            le=catalog.le(latency)),
                td.exporter(config, "gitea_api_probe_duration_seconds_count", total, endpoint="healthz")]

    return [
        SLODef("reconcile", "Reconcile success", "job", config.slo.reconcile, by_job,
               lambda w: f'sum by ({by_job}) (rate(controller_runtime_reconcile_total{{{prov}, result=~"error|requeue"}}[{w}]))\n'
                         f"/\nsum by ({by_job}) (rate(controller_runtime_reconcile_total{{{prov}}}[{w}]))",
               "GiteaProviderReconcileSLO", reconcile_series, td.group_labels(config, job=config.provider.job),
               # Recorded on the real provider (tests/recordings, docs/real-stack.md): creating resources burns it (a
               # successful create is a requeue) and a failing resource's first back-off steps come in a burst, so
               # on a young install its fast burn fired for a bulk create and for one failing resource. The
               # resource-condition alerts (Synced) page for resource errors; this one tells the team's channel.
               fast_severity="warning",
               caveat="Reconcile counts cannot tell a failure from a create: crossplane-runtime returns a requeue "
                      "after a successful create, a requested delete and a 409 conflict as after a failed Gitea call, "
                      "and per-item back-off (5 ms doubling to 1000 s) makes a failing resource's first attempts a "
                      "burst, then a few an hour. On a young install (less history than the long window) a bulk "
                      "create alone can cross the fast-burn threshold, so this fast burn notifies rather than pages; "
                      "GiteaResourceNotSynced names the resources that fail."),
        SLODef("gitea_api_availability", "Gitea API availability", "namespace", config.slo.gitea_availability, by_ns,
               lambda w: f"sum by ({by_ns}) (rate(gitea_api_probe_failures_total{{{exp}}}[{w}]))\n"
                         f"/\nsum by ({by_ns}) (rate(gitea_api_probes_total{{{exp}}}[{w}]))",
               "GiteaAPIAvailabilitySLO", availability_series, td.group_labels(config)),
        SLODef("gitea_api_latency", f"Gitea API latency (probes under {num(latency)}s)",
               "namespace", lat, by_ns,
               lambda w: f"1 - (\nsum by ({by_ns}) (rate(gitea_api_probe_duration_seconds_bucket{{{exp}, {le}}}[{w}]))\n"
                         f"/\nsum by ({by_ns}) (rate(gitea_api_probe_duration_seconds_count{{{exp}}}[{w}]))\n)",
               "GiteaAPILatencySLO", latency_series, td.group_labels(config)),
    ]


def _series(d: SLODef, ratio: Decimal, steps: int) -> list[Series]:
    """Input series with a constant error ratio: linear counters, exact for any window."""
    bad, total = td.per_step(ratio, at_least=100)
    return d.test_series(td.counter(bad, steps), td.counter(total - bad, steps), td.counter(total, steps))


def _burn_cases(config: Config, d: SLODef, fast: bool, pairs: list[tuple[str, str, Decimal]]) -> td.Cases:
    """Per pair, an error ratio above its threshold (x 1.5, kept under the pair before it so that this
    pair is the one that fires) held for its short window and `for`; and x 0.5 of the lowest threshold.

    The ratio is constant from the first sample on, so every window's mean is that ratio however much of
    the window has data: holding it for the short window proves the pair without days of input. A pair
    whose threshold is 100% errors or more cannot fire: it only gets the silent case.
    """
    for_ = duration_seconds(config.slo.fast_burn_for if fast else config.slo.slow_burn_for)
    # Slow-burn cases hold for hours: two samples per short window (enough for rate() with a left-open
    # range in Prometheus 3) keep them cheap; fast-burn cases sample every minute.
    step = min(60.0, duration_seconds(SHORT_WINDOW) / 5) if fast else duration_seconds(SHORT_WINDOW) / 2
    grid = max(step, duration_seconds(config.evaluation_interval))
    on_grid = lambda seconds: -(-seconds // grid) * grid  # noqa: E731
    interval = td.fmt_duration(step)
    cases: td.Cases = []
    thresholds = [f * d.budget for _, _, f in pairs]
    for i, (long_w, short_w, factor) in enumerate(pairs):
        limit = thresholds[i]
        if limit >= 1:
            continue
        # Above this pair's threshold, under the previous pair's (so this pair is the one that fires).
        high = min(Decimal(1), limit * 2, thresholds[i - 1] if i else Decimal(1))
        ratio = td.tidy(min(limit * Decimal("1.5"), (limit + high) / 2), limit, high)
        at = on_grid(duration_seconds(short_w) + for_ + 2 * grid)
        cases.append(fires(f"{long_w}/{short_w} pair: {num(ratio / d.budget)}x budget (factor {num(factor)})",
                           td.fmt_duration(at), _series(d, ratio, int(at // step) + 3),
                           Expected(d.expected_labels, float(ratio)), interval=interval))
    low = min(min(thresholds) / 2, Decimal(1))  # 100% errors when even half the lowest threshold is unreachable
    at = on_grid(max(duration_seconds(w) for _, w, _ in pairs) + for_ + 2 * grid)
    cases.append(silent(f"{num(low / d.budget)}x budget (half the lowest factor)", td.fmt_duration(at),
                        _series(d, low, int(at // step) + 3), interval=interval))
    return cases


def hourly(window: str) -> bool:
    """Whether `window` is computed from the hourly samples (a day or more) rather than the 5m ratio."""
    return duration_seconds(window) >= duration_seconds(HOURLY_FROM)


def _long_window(d: SLODef, window: str) -> str:
    """Error ratio over `window` as the mean of a recorded ratio (Sloth, Pyrra): avg_over_time is
    sum_over_time / count_over_time in one pass. Windows of a day or more read the hourly samples of the 1h
    ratio, each the mean of its own hour, weighted equally: the window's mean when the 5m ratio has a sample
    every minute, shifted back by up to an hour (an hour with gaps or idle spells counts as much as a full one).
    Until the first hourly sample of a series exists (a new install, cluster or namespace: up to an hour), they
    are the 1h ratio recorded just before them in the group, which is then all the data there is."""
    if not hourly(window):
        return f"avg_over_time({d.record(SHORT_WINDOW)}[{window}])"
    return f"avg_over_time({d.hourly_record}[{window}])\nor\n{d.record(HOUR)}"


def _burn_expr(d: SLODef, pairs: list) -> str:
    parts = []
    for long_w, short_w, factor in pairs:
        threshold = num(factor * d.budget)
        parts.append(f"(\n  {d.record(long_w)} > {threshold}\nand\n  {d.record(short_w)} > {threshold}\n)")
    return "\nor\n".join(parts)


def _burn_alert(config: Config, d: SLODef, fast: bool) -> AlertingRule:
    pairs = burn_pairs(config, fast)
    name = f"{d.alert_prefix}{'Fast' if fast else 'Slow'}Burn"
    pct = num((d.slo.objective * 100).normalize())
    windows = " or ".join(f"{long_w}/{short_w} above {num(f)}x" for long_w, short_w, f in pairs)
    severity = d.fast_severity if fast else "warning"
    return alert(
        config, name, severity=severity, for_=config.slo.fast_burn_for if fast else config.slo.slow_burn_for,
        expr=_burn_expr(d, pairs),
        summary=f"The {d.title} SLO is burning its error budget {'fast' if fast else 'steadily'}.",
        description=f"{d.title} in {{{{ $labels.namespace }}}}: error ratio {{{{ $value | humanizePercentage }}}} "
                    f"over the long window ({windows} the {num(d.budget * 100)}% budget of a {pct}% SLO "
                    f"over {config.slo.period}).",
        runbook=Runbook(
            meaning=f"The {d.title} SLO ({pct}% over {config.slo.period}) consumes its error budget "
                    + ("so fast that it will be gone within days." if fast else "faster than it refills: ticket.")
                    + (f" {d.caveat}" if d.caveat else ""),
            impact="Users of the provider see failures or slowness at a rate above the objective.",
            diagnosis=(f"Error ratio per window: `{d.record('1h')}`, `{d.record('6h')}`, `{d.record('1d')}`.",
                       f"Windows up to 6h are means of `{d.record(SHORT_WINDOW)}`, those of {HOURLY_FROM} or more means "
                       f"of `{d.hourly_record}` (recorded once an hour, so they leave out the last hour at most): "
                       f"Prometheus needs a retention of at least {retention(config)} (the SLO period), or the "
                       "period's budget is computed over less data than it claims.",
                       "Open the Provider Overview dashboard (SLO row), then the alerts that fire with it."),
            mitigation=("Fix the cause shown by the other firing alerts; if the SLO is wrong, change it in the config.",),
        ),
        cases=_burn_cases(config, d, fast, pairs),
        unreachable="" if any(f * d.budget < 1 for _, _, f in pairs) else
        f"every burn threshold is 100% errors or more with a {pct}% objective",
    )


def rules(config: Config) -> RuleFile:
    groups = []
    for d in slo_defs(config):
        windows = dict.fromkeys((*WINDOWS, config.slo.period))  # the period may equal a window
        # The short ratio drops NaN (no events in 5m) so that an idle spell does not poison the long windows.
        records = [RecordingRule(d.record(SHORT_WINDOW), f"(\n{d.error_ratio(SHORT_WINDOW)}\n) >= 0")]
        # In WINDOWS order: the 1h record comes before the windows of a day or more that fall back on it.
        records += [RecordingRule(d.record(w), _long_window(d, w)) for w in windows if w != SHORT_WINDOW]
        alerts = [_burn_alert(config, d, fast=True), _burn_alert(config, d, fast=False)]
        groups.append(RuleGroup(f"slo.{d.key}", tuple(records) + tuple(alerts)))
        if any(hourly(w) for w in windows):
            # Stamped on the hour's evaluation, read by the minute group above through range selectors only
            # (an instant read would see it for 5 minutes an hour).
            groups.append(RuleGroup(f"slo.{d.key}.hourly", (RecordingRule(d.hourly_record, _long_window(d, HOUR)),),
                                    interval=HOUR))
    return RuleFile(NAME, tuple(groups))
