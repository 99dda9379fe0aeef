"""SLOs with multi-window, multi-burn-rate alerts (the SRE workbook's recipe).

Each SLO records its error ratio over 5m from the raw counters; the windows up to 6h are the mean of that
recorded 5m ratio over the window (avg_over_time: Sloth's and Pyrra's sum_over_time / count_over_time, reading
the window once instead of twice). The windows of a day or more (1d, 3d, the period) are the mean of the 1h
ratio that a group with `interval: 1h` records once an hour: 720 samples for 30 days instead of 43,200, 12x
cheaper per evaluation at 100 installations (bench/slo_windows.py: 73 ms against 900 ms a minute), at the price of
leaving out the last hour at most (the slow-burn alert's short window covers it).
Prometheus must keep the period's worth of data (`retention()`): a shorter retention silently shortens
the period window.

The reconcile SLO counts resource-time, not reconcile results: its error ratio is the share of managed resources
whose Synced condition is not True (kube-state-metrics, docs/resource-state.md), sampled at every scrape. On the
real provider (tests/recordings, docs/real-stack.md) reconcile counts cannot carry an SLO: a successful create is a
`requeue` like a failed call, and per-item back-off (5 ms doubling to 1000 s) makes a failing resource a burst of
attempts and then a few an hour. Alerts page on a fast burn (2% of the period's budget spent in 1h, 5% in 6h) and
open a ticket on a slow burn (10% in 1d or in 3d); for a 30d period those are the workbook's factors
14.4, 6, 3 and 1. Budgets are computed in Decimal: 0.999 stays 0.999.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from gitea_provider_monitoring.alerts import resources
from gitea_provider_monitoring.model import catalog, managed
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
    error_ratio: Callable[[str], str]  # window -> PromQL of the error ratio
    alert_prefix: str
    # (error ratio, samples) -> input series whose error ratio is that, in every window from the first sample on
    test_series: Callable[[Decimal, int], list[Series]]
    expected_labels: dict[str, str]
    # (low, high) -> an error ratio strictly between them that test_series can produce; None: no such ratio
    ratio_between: Callable[[Decimal, Decimal], Decimal | None]
    # an error ratio at most the given one that test_series can produce (the silent case)
    ratio_at_most: Callable[[Decimal], Decimal]
    caveat: str = ""  # what the SLI cannot see, said in the runbook
    no_data: str | None = None  # what a panel of this SLO says when it has no data (why there may be none)
    # (samples) -> input series with nothing to count (no event, no resource with the condition): a silent case
    nothing: Callable[[int], list[Series]] | None = None

    @property
    def budget(self) -> Decimal:
        return Decimal(1) - self.slo.objective

    def record(self, window: str) -> str:
        return f"{self.level}:slo_{self.key}_errors:ratio_rate{window}"

    @property
    def hourly_record(self) -> str:
        """The 1h ratio sampled once an hour (its own group): the source of the windows of a day or more."""
        return f"{self.record(HOUR)}_hourly"


# Event SLOs: counters whose increase per sample has the error ratio exactly (at least 100 events per sample).
def _event_ratio(low: Decimal, high: Decimal) -> Decimal:
    return td.tidy(min(low * Decimal("1.5"), (low + high) / 2), low, high)


def _events(make: Callable[[str, str, str], list[Series]]) -> Callable[[Decimal, int], list[Series]]:
    """Input series of an event SLO from `make(bad, good, total)` (promtool values of each counter)."""
    def series(ratio: Decimal, steps: int) -> list[Series]:
        bad, total = td.per_step(ratio, at_least=100)
        return make(td.counter(bad, steps), td.counter(total - bad, steps), td.counter(total, steps))
    return series


# Resource SLOs: an error ratio of k/n needs n resources, so test cases use the fewest resources whose share is a
# terminating decimal (n = 2^a 5^b: the expected value prints exactly) and at most this many.
MAX_CASE_RESOURCES = 2000
_COUNTS = sorted(2**a * 5**b for a in range(12) for b in range(6) if 2**a * 5**b <= MAX_CASE_RESOURCES)


def _resource_ratio(low: Decimal, high: Decimal) -> Decimal | None:
    """k/n strictly between low and high with the fewest resources n (k nearest 1.5 x low); None beyond
    MAX_CASE_RESOURCES (an objective so strict that one failing resource among fewer crosses every threshold)."""
    target = min(low * Decimal("1.5"), (low + high) / 2)
    for n in _COUNTS:
        ks = [k for k in range(int(low * n), int(high * n) + 2) if low < Decimal(k) / n < high]
        if ks:
            k = min(ks, key=lambda k: abs(Decimal(k) / n - target))
            return (Decimal(k) / n).normalize()
    return None


def _resource_ratio_at_most(limit: Decimal) -> Decimal:
    """One failing resource among the fewest n with 1/n <= limit, or none failing beyond MAX_CASE_RESOURCES."""
    n = next((n for n in _COUNTS if Decimal(1) / n <= limit), None)
    return (Decimal(1) / n).normalize() if n else Decimal(0)


def _synced_series(config: Config) -> Callable[[Decimal, int], list[Series]]:
    """Repositories, the share `ratio` of them Synced=False (ReconcileError), the others Synced=True, constant."""
    def series(ratio: Decimal, steps: int) -> list[Series]:
        n = next(n for n in _COUNTS if (ratio * n) % 1 == 0)
        bad = int(ratio * n)
        return [resources.synced_series(config, f"repo-{i:04d}", ok=i >= bad, values=td.gauge(1767225600, steps))
                for i in range(n)]
    return series


def synced_error_ratio(config: Config) -> Callable[[str], str]:
    """Resource-time share of managed resources whose Synced condition is not True, per cluster, over a window.

    count_over_time counts one sample per resource per kube-state-metrics scrape, so the ratio weighs each resource
    by the time it spent in each state. Only resources with a Synced condition count: one of a kind no controller
    serves never gets one (GiteaResourceKindNotServed), nor does a new resource before its first reconcile. A
    resource being deleted counts while it exists: Synced=False then means the delete in Gitea fails. (Provider
    b5b30da's crossplane-runtime, the fork github.com/rossigee/crossplane-runtime/v2
    v2.4.0-rc.0.0.20260726062756-089a6b3db2f8 its go.mod replaces it with, pkg/reconciler/managed/reconciler.go:
    a failed delete marks Deleting + ReconcileError, a successful one Deleting + ReconcileSuccess, a successful
    create Creating + ReconcileSuccess: a create is never a failure here.) No resource
    at all, or no kube-state-metrics series: no result (never 0, never NaN). The namespace label is the provider's,
    like every alert of this project (routing and inhibition by namespace); the resources' namespaces are theirs.
    """
    cond = managed.metric(managed.CONDITION)
    sel = f'{config.resource_state_selector}, type="Synced"'
    by = config.cluster_label

    def ratio(w: str) -> str:
        every = f"sum by ({by}) (count_over_time({cond}{{{sel}}}[{w}]))"
        bad = f'sum by ({by}) (count_over_time({cond}{{{sel}, status!="True"}}[{w}]))'
        return (f"label_replace(\n  (\n    {bad}\n  or\n    0 * {every}\n  )\n  /\n  {every},\n"
                f'  "namespace", "{config.provider.namespace}", "", ""\n)')
    return ratio


def _le_matcher(seconds: float) -> str:
    """Match a bucket bound as our exporter writes it (client_python: `1.0`) or as a Go client would (`1`)."""
    ours, go = catalog.le(seconds), num(seconds)
    return f'le="{ours}"' if ours == go else f'le=~"{go}|{ours}"'


def slo_defs(config: Config) -> list[SLODef]:
    exp = config.exporter_selector
    by_ns = config.by()
    lat = config.slo.gitea_latency
    latency = lat.latency_seconds
    if latency is None:  # validate_config refuses such a config; the default is 1.0 (monitoring/model/config.py)
        raise ValueError("slo.gitea_latency.latency_seconds is required: the latency the SLO counts as good")
    le = _le_matcher(latency)

    def availability_series(bad: str, good: str, total: str) -> list[Series]:
        return [td.exporter(config, "gitea_api_probes_total", total, endpoint="healthz"),
                td.exporter(config, "gitea_api_probe_failures_total", bad, endpoint="healthz", reason="timeout")]

    def latency_series(bad: str, good: str, total: str) -> list[Series]:
        return [td.exporter(config, "gitea_api_probe_duration_seconds_bucket", good, endpoint="healthz",
                            le=catalog.le(latency)),
                td.exporter(config, "gitea_api_probe_duration_seconds_count", total, endpoint="healthz")]

    backoff = (f"{resources.num_ms(resources.BACKOFF_BASE_SECONDS)} doubling to {resources.BACKOFF_CAP_SECONDS} s, "
               f"about {round(resources.BACKOFF_CAP_SECONDS / 60)} minutes")
    return [
        SLODef("reconcile", "Reconcile success", "namespace", config.slo.reconcile, synced_error_ratio(config),
               "GiteaProviderReconcileSLO", _synced_series(config), td.group_labels(config),
               _resource_ratio, _resource_ratio_at_most,
               nothing=lambda steps: [resources.unserved_series(config, "build", td.gauge(1, steps))],
               no_data="no data: needs the resource-state series (docs/resource-state.md)",
               caveat="The error ratio is resource-time: the share of managed resources whose Synced condition is "
                      "not True, from kube-state-metrics' resource-state series (docs/resource-state.md), at every "
                      "scrape. Without those series (the resource-state component not deployed) the SLO has no data "
                      "and never fires. It cannot see a failure before a resource's first reconcile (no Synced "
                      "condition yet), nor resources of kinds no controller serves (GiteaResourceKindNotServed); a "
                      "resource that fails to delete counts until it is gone. After a fix a resource stays "
                      "Synced=False until its back-off ends (per resource, " + backoff + " at most; force a reconcile "
                      "as GiteaResourceNotSynced's runbook says), and a burn alert resolves when its short window "
                      f"({SHORT_WINDOW} or 30m for the fast burn) falls under the threshold: up to 30 minutes after "
                      "every resource is Synced again. GiteaResourceNotSynced names the failing resources."),
        SLODef("gitea_api_availability", "Gitea API availability", "namespace", config.slo.gitea_availability,
               lambda w: f"sum by ({by_ns}) (rate(gitea_api_probe_failures_total{{{exp}}}[{w}]))\n"
                         f"/\nsum by ({by_ns}) (rate(gitea_api_probes_total{{{exp}}}[{w}]))",
               "GiteaAPIAvailabilitySLO", _events(availability_series), td.group_labels(config),
               _event_ratio, lambda limit: limit),
        SLODef("gitea_api_latency", f"Gitea API latency (probes under {num(latency)}s)",
               "namespace", lat,
               lambda w: f"1 - (\nsum by ({by_ns}) (rate(gitea_api_probe_duration_seconds_bucket{{{exp}, {le}}}[{w}]))\n"
                         f"/\nsum by ({by_ns}) (rate(gitea_api_probe_duration_seconds_count{{{exp}}}[{w}]))\n)",
               "GiteaAPILatencySLO", _events(latency_series), td.group_labels(config),
               _event_ratio, lambda limit: limit),
    ]


def _burn_cases(config: Config, d: SLODef, fast: bool, pairs: list[tuple[str, str, Decimal]]) -> td.Cases:
    """Per pair, an error ratio above its threshold (x 1.5, kept under the pair before it so that this
    pair is the one that fires) held for its short window and `for`; and x 0.5 of the lowest threshold.

    The ratio is constant from the first sample on, so every window's mean is that ratio however much of
    the window has data: holding it for the short window proves the pair without days of input. A pair
    whose threshold is 100% errors or more cannot fire: it only gets the silent case; nor does one whose ratio the
    SLI's test input cannot represent (a resource SLO needing more than MAX_CASE_RESOURCES resources).
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
        ratio = d.ratio_between(limit, high)
        if ratio is None:
            continue
        at = on_grid(duration_seconds(short_w) + for_ + 2 * grid)
        cases.append(fires(f"{long_w}/{short_w} pair: {num(ratio / d.budget)}x budget (factor {num(factor)})",
                           td.fmt_duration(at), d.test_series(ratio, int(at // step) + 3),
                           Expected(d.expected_labels, float(ratio)), interval=interval))
    # 100% errors when even half the lowest threshold is unreachable
    low = d.ratio_at_most(min(min(thresholds) / 2, Decimal(1)))
    at = on_grid(max(duration_seconds(w) for _, w, _ in pairs) + for_ + 2 * grid)
    half = "half the lowest factor" if low == min(min(thresholds) / 2, Decimal(1)) else "under half the lowest factor"
    cases.append(silent(f"{num(low / d.budget)}x budget ({half})", td.fmt_duration(at),
                        d.test_series(low, int(at // step) + 3), interval=interval))
    if d.nothing is not None:
        cases.append(silent("nothing to count: no data, no alert", td.fmt_duration(at), d.nothing(int(at // step) + 3),
                            interval=interval))
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
    severity = "critical" if fast else "warning"
    cases = _burn_cases(config, d, fast, pairs)
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
        cases=cases,
        unreachable="" if any(c.fires for c in cases) else
        f"it can never fire: every burn threshold is 100% errors or more with a {pct}% objective"
        if all(f * d.budget >= 1 for _, _, f in pairs)
        else f"with a {pct}% objective every burn threshold is under one failing resource in {MAX_CASE_RESOURCES}, "
             f"more test resources than a generated case uses (it fires once that share of your resources fails)",
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
