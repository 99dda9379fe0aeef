"""Series and timings for the promtool cases written beside each alert, all derived from the config.

Test series carry a cluster label (`c1`) so every case also proves that aggregation keeps it. Inputs
are computed from the threshold a case tests (a share of threshold x 1.5 fires, x 0.5 stays silent),
held for the alert's `for` plus margins from `Timing`, so the cases stay right for any valid config.
Counters grow linearly from 0: their rates are the same whether a range selector's start is closed
(Prometheus 2) or open (Prometheus 3), so no expected value depends on samples at a window's edge.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from decimal import Decimal

from gitea_provider_monitoring.exporters.gitea_api.durations import duration_seconds, fmt_duration
from gitea_provider_monitoring.model.config import Config, ProviderConfig, example_pods
from gitea_provider_monitoring.model.rules import AlertCase, Expected, Series, fires, num, silent

Cases = list[AlertCase]

CLUSTER = "c1"
# The default config's test pods; a definition takes pods(config), which follows provider.pod_regex.
PODS = example_pods(ProviderConfig()) or ()


def pods(config: Config) -> tuple[str, ...]:
    """Three pod names that the configured `provider.pod_regex` matches (as the provider's pods would)."""
    return example_pods(config.provider) or ()


# ---------------------------------------------------------------------------------------------
# Timing


@dataclass(frozen=True)
class Timing:
    """When a config's cases sample inputs and evaluate alerts (seconds).

    step: time between input samples, at most a fifth of the rate window (so every rate sees several
    samples) and at most the evaluation interval. grid: the evaluation interval of the test file;
    eval times are multiples of it (promtool checks an alert at the last evaluation before eval_time).
    """

    step: float
    grid: float
    rate_window: float

    @property
    def interval(self) -> str:
        return fmt_duration(self.step)

    def on_grid(self, seconds: float) -> float:
        return math.ceil(seconds / self.grid - 1e-9) * self.grid

    def held(self, for_: str | float) -> float:
        """Eval time for a condition true from the first samples on: rate window filled, then `for` + one interval."""
        return self.on_grid(self.rate_window + _seconds(for_) + 2 * self.grid)

    def steps(self, seconds: float) -> int:
        """Samples needed to cover `seconds`, plus a few so no series ends before an evaluation."""
        return math.ceil(seconds / self.step - 1e-9) + 3

    def at(self, seconds: float) -> str:
        return fmt_duration(seconds)


def _seconds(value: str | float) -> float:
    return duration_seconds(value) if isinstance(value, str) else float(value)


def timing(config: Config) -> Timing:
    """Timing of cases on rates: a fifth of the rate window between samples, at most the evaluation interval."""
    rate_window = duration_seconds(config.rate_window)
    grid = duration_seconds(config.evaluation_interval)
    step = max(min(rate_window / 5, grid, 60.0), 0.001)
    return Timing(step=step, grid=max(grid, step), rate_window=rate_window)


def gauge_timing(config: Config, *durations: str) -> Timing:
    """Timing of cases on gauges (no rate): about 40 samples over the longest of `durations`.

    A 1h `for` is tested at 1m steps even when the config evaluates every second (the e2e config):
    an alert's `for` holds the same on any evaluation grid, and promtool evaluates every rule at each step.
    """
    grid = duration_seconds(config.evaluation_interval)
    span = max([duration_seconds(d) for d in durations] + [grid])
    step = _round_step(min(60.0, max(grid, span / 40)))
    return Timing(step=step, grid=max(grid, step), rate_window=0.0)


def window_timing(config: Config, window: str) -> Timing:
    """Timing of cases on increase()/offset over `window`: ten samples per window."""
    step = _round_step(duration_seconds(window) / 10)
    return Timing(step=step, grid=max(duration_seconds(config.evaluation_interval), step), rate_window=0.0)


def _round_step(seconds: float) -> float:
    """Whole seconds (or milliseconds under a second), so eval times stay readable durations."""
    return float(math.floor(seconds)) if seconds >= 1 else max(math.floor(seconds * 1000) / 1000, 0.001)


def gauge(value: float | int | str, steps: int) -> str:
    """promtool values of a gauge constant for `steps` samples."""
    return f"{num(value) if not isinstance(value, str) else value}x{steps}"


def counter(per_step: int | Decimal, steps: int) -> str:
    """promtool values of a counter growing linearly from 0 by `per_step` each sample."""
    return f"0+{num(per_step)}x{steps}"


def flip(before: str, after: str, at_step: int, steps: int) -> str:
    """A gauge that is `before` up to sample `at_step` and `after` from then on."""
    head = f"{before}x{at_step - 1} " if at_step > 0 else ""
    return f"{head}{after}x{steps - at_step}".strip()


# ---------------------------------------------------------------------------------------------
# Values on both sides of a threshold


def dec(value: float | int | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(num(value))


def tidy(target: Decimal, low: Decimal, high: Decimal) -> Decimal:
    """The number with the fewest significant digits strictly between `low` and `high`, near `target`.

    Expected values are rendered with Go's %.4g: a value with 5 significant digits ending in 5 (0.013995)
    could round either way after float arithmetic; one with 3 cannot.
    """
    for digits in range(1, 12):
        exponent = target.adjusted() - digits + 1
        for rounding in ("ROUND_HALF_EVEN", "ROUND_UP", "ROUND_DOWN"):
            value = target.quantize(Decimal(1).scaleb(exponent), rounding=rounding)
            if low < value < high:
                return value.normalize()
    return target


def above(threshold: float | Decimal, ceiling: float | Decimal | None = None) -> Decimal:
    """About threshold x 1.5 (between the threshold and 2x, or `ceiling`, 1 for a ratio), with few digits."""
    t = dec(threshold)
    high = t * 2 if ceiling is None else min(t * 2, dec(ceiling))
    return tidy(min(t * Decimal("1.5"), (t + high) / 2), t, high)


def below(threshold: float | Decimal) -> Decimal:
    """threshold x 0.5: clearly under it."""
    return dec(threshold) / 2


def per_step(share: Decimal, at_least: int = 10) -> tuple[int, int]:
    """(bad, total) events per sample with bad / total == share exactly."""
    total = at_least
    while (share * total) % 1:
        total *= 10
    return int(share * total), total


# ---------------------------------------------------------------------------------------------
# Series


def labels_text(labels: dict[str, str]) -> str:
    return ", ".join(f'{k}="{v}"' for k, v in labels.items())


def provider_target(config: Config, replica: int = 0) -> dict[str, str]:
    """Target labels of one provider replica as the PodMonitor produces them."""
    return {
        config.cluster_label: CLUSTER,
        "job": config.provider.job,
        "namespace": config.provider.namespace,
        "pod": pods(config)[replica],
        "instance": f"10.0.0.{replica + 1}:{config.provider.metrics_port}",
    }


def exporter_target(config: Config, replica: int = 0) -> dict[str, str]:
    return {
        config.cluster_label: CLUSTER,
        "job": config.exporter.job,
        "namespace": config.provider.namespace,
        "pod": pods(config)[replica],
        "instance": f"10.0.0.{replica + 1}:{config.exporter.port}",
    }


def kube_target(config: Config, replica: int = 0) -> dict[str, str]:
    """kube-state-metrics / cAdvisor labels of the provider container."""
    return {
        config.cluster_label: CLUSTER,
        "job": "kube-state-metrics",
        "namespace": config.provider.namespace,
        "pod": pods(config)[replica],
        "container": config.provider.container,
    }


def series(metric: str, target: dict[str, str], values: str, **labels: str) -> Series:
    return Series(f"{metric}{{{labels_text({**target, **labels})}}}", values)


def provider(config: Config, metric: str, values: str, replica: int = 0, **labels: str) -> Series:
    return series(metric, provider_target(config, replica), values, **labels)


def exporter(config: Config, metric: str, values: str, replica: int = 0, **labels: str) -> Series:
    return series(metric, exporter_target(config, replica), values, **labels)


def kube(config: Config, metric: str, values: str, replica: int = 0, **labels: str) -> Series:
    return series(metric, kube_target(config, replica), values, **labels)


def group_labels(config: Config, job: str | None = None, **extra: str) -> dict[str, str]:
    """The labels an alert aggregated `by (cluster, namespace[, job], ...)` carries in the tests."""
    out = {config.cluster_label: CLUSTER, "namespace": config.provider.namespace}
    if job:
        out["job"] = job
    out.update(extra)
    return out


def histogram_around(threshold: float, quantile: float, slow: bool) -> tuple[tuple[str, ...], str, float]:
    """Bucket bounds around a latency threshold, the bucket all observations fall in, and the quantile.

    Slow: all observations in (threshold, upper], with `upper` chosen so that the quantile is a number
    with few digits above the threshold (fires). Fast: all in (threshold/2, threshold], so the quantile
    is at most the threshold (silent).
    """
    t, q = dec(threshold), dec(quantile)
    expected = above(t)
    upper = t + (expected - t) / q
    bounds = (num(t / 2), num(t), num(upper), "+Inf")
    if slow:
        return bounds, bounds[2], float(expected)
    return bounds, bounds[1], float(t / 2 + t / 2 * q)


def histogram(make, metric: str, bounds: tuple[str, ...], slowest: str, per_step: int, steps: int,
              **labels: str) -> list[Series]:
    """Buckets (and _count) of a histogram whose observations all fall in the bucket ending at `slowest`.

    `make` is provider() or exporter() with the config bound, e.g. `functools.partial(provider, config)`.
    """
    out, reached = [], False
    for le in bounds:
        reached = reached or le == slowest
        out.append(make(f"{metric}_bucket", f"0+{per_step if reached else 0}x{steps}", le=le, **labels))
    out.append(make(f"{metric}_count", f"0+{per_step}x{steps}", **labels))
    return out


def template_values(config: Config) -> dict[str, str]:
    """Placeholders of the hand-written promtool tests (tests/rules/*.yaml): labels, step, ${atN}."""
    tm = timing(config)
    values = {"cluster_label": config.cluster_label, "provider_job": config.provider.job,
              "exporter_job": config.exporter.job, "namespace": config.provider.namespace,
              "step": tm.interval, "evaluation_interval": fmt_duration(tm.grid)}
    values.update({f"at{n}": fmt_duration(n * tm.step) for n in range(0, 1001)})
    return values


def latency_cases(config: Config, make, metric: str, threshold: float, quantile: float, for_: str,
                  labels: dict[str, str], **series_labels: str) -> Cases:
    """Cases of `histogram_quantile(q, ...) > threshold` alerts: every observation just above the threshold
    fires (with an expected quantile of few digits), every one in (threshold/2, threshold] stays silent.

    `make` is provider() or exporter().
    """
    tm = timing(config)
    at = tm.held(for_)
    n = tm.steps(at)
    slow_bounds, slow_le, slow_q = histogram_around(threshold, quantile, slow=True)
    fast_bounds, fast_le, _ = histogram_around(threshold, quantile, slow=False)
    hist = lambda bounds, le: histogram(functools.partial(make, config), metric, bounds, le, 6, n,  # noqa: E731
                                        **series_labels)
    limit = num(threshold)
    return [
        fires(f"every observation between {limit}s and {num(float(slow_bounds[2]))}s", tm.at(at),
              hist(slow_bounds, slow_le), Expected(labels, slow_q), interval=tm.interval),
        silent(f"every observation between {num(threshold / 2)}s and {limit}s", tm.at(at), hist(fast_bounds, fast_le),
               interval=tm.interval),
    ]
