"""Recording rules (`level:metric:operations`) that alerts and dashboards use instead of raw queries, and the
query builders rules and panels share (a panel that reads raw series builds the same expression).

Aggregations keep the configured cluster label, so the same rules run per cluster on a global
Thanos or Mimir ruler. Ratios and quantiles aggregate over replicas first: with leader election
only the leader reconciles, so per-pod ratios would be wrong for 3 replicas.
"""

from __future__ import annotations

from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.rules import RecordingRule, RuleFile, RuleGroup, num

NAME = "recording"

# Names, written once: alerts and dashboards import these.
RECONCILE_RATE_BY_RESULT = "controller_result:controller_runtime_reconcile_total:rate5m"
RECONCILE_RATE = "controller:controller_runtime_reconcile_total:rate5m"
RECONCILE_LATENCY = "controller_quantile:controller_runtime_reconcile_time_seconds:histogram_quantile5m"
WORKQUEUE_WAIT = "name_quantile:workqueue_queue_duration_seconds:histogram_quantile5m"
KUBE_API_ERROR_RATIO = "job:rest_client_requests_errors:ratio_rate5m"
REPLICAS_UP = "job:up:sum"  # replicas scraped successfully
REPLICAS = "job:up:count"  # replicas Prometheus knows about, up or not
GITEA_FAILURE_RATIO = "endpoint:gitea_api_probe_failures:ratio_rate5m"
GITEA_LATENCY = "endpoint_quantile:gitea_api_probe_duration_seconds:histogram_quantile5m"
GITEA_RATE_LIMITED_RATIO = "namespace:gitea_api_probes_rate_limited:ratio_rate5m"  # probes answered 429
GITEA_PROXY_RATE_LIMITED_RATIO = "kind_operation:gitea_api_requests_rate_limited:ratio_rate5m"  # proxy mode
GITEA_REQUEST_LATENCY = "kind_operation_quantile:gitea_api_request_duration_seconds:histogram_quantile5m"

# Throttling (429) has an alert of its own (GiteaAPIRateLimited): the error ratios leave it out so that
# one cause pages once.
RATE_LIMITED_REASON = 'reason="rate_limited"'
NOT_RATE_LIMITED_REASON = 'reason!="rate_limited"'

RECONCILE_TIME = "controller_runtime_reconcile_time_seconds"  # histograms the quantile records and heatmaps read
PROBE_DURATION = "gitea_api_probe_duration_seconds"

FAILED_RESULTS = 'result=~"error|requeue"'
WRITES = 'operation=~"create|update|delete"'  # the proxy's write operations (its other one is observe)


def _sum(by: str) -> str:
    return f"sum by ({by})" if by else "sum"


def reconcile_rate(by: str, selector: str, window: str) -> str:
    """Reconciles per second summed by `by` (all of them when empty): the per-result record and the rate panels."""
    return f"{_sum(by)} (rate(controller_runtime_reconcile_total{{{selector}}}[{window}]))"


def replicas_up(by: str, selector: str) -> str:
    """Replicas scraped successfully; `replicas_known`: all Prometheus has a target for, up or not."""
    return f"{_sum(by)} (up{{{selector}}})"


def replicas_known(by: str, selector: str) -> str:
    return f"count{f' by ({by})' if by else ''} (up{{{selector}}})"


def bucket_rates(histogram: str, by: str, selector: str, window: str) -> str:
    """Per-second rate of each bucket, summed by `by` (which keeps `le`): what quantiles and heatmaps read."""
    return f"sum by ({by}) (rate({histogram}_bucket{{{selector}}}[{window}]))"


def histogram_quantile(quantile: float, histogram: str, by: str, selector: str, window: str) -> str:
    """The `quantile` of the histogram's raw buckets per `by` group."""
    return f"histogram_quantile({num(quantile)}, {bucket_rates(histogram, f'{by}, le', selector, window)})"


def quantile_rule(record: str, histogram: str, by: str, selector: str, quantile: float,
                  window: str) -> RecordingRule:
    """The quantile the histogram's alert compares, from the raw buckets in one rule (told apart by a `quantile`
    label). Recording the bucket rates first (one series per bucket, ~42 per controller) and three quantiles
    from them cost half of all rule evaluation at 100 installations (bench/scale.py --live); this one rule costs
    about what the bucket-rate record alone did. Panels compute other quantiles and heatmaps from the raw
    buckets of the clusters they show."""
    return RecordingRule(record, histogram_quantile(quantile, histogram, by, selector, window),
                         labels={"quantile": num(quantile)})


def rules(config: Config) -> RuleFile:
    t = config.thresholds
    w = config.rate_window  # the names say 5m, the default; the e2e config shortens the window
    prov, exp = config.provider_selector, config.exporter_selector
    by_job = config.by("job")
    by_ctrl = config.by("job", "controller")
    by_name = config.by("job", "name")
    by_endpoint = config.by("endpoint")
    by_kind_op = config.by("kind", "operation")

    provider_rules: list[RecordingRule] = [
        RecordingRule(RECONCILE_RATE_BY_RESULT, reconcile_rate(config.by("job", "controller", "result"), prov, w)),
        # From the per-result record above (same group, evaluated after it): the raw counters are read once.
        RecordingRule(RECONCILE_RATE, f"sum by ({by_ctrl}) ({RECONCILE_RATE_BY_RESULT})"),
        # No 5m failure-ratio record: GiteaProviderReconcileFailureRatioHigh reads the counters over its own long
        # window (per-item back-off leaves 5m windows empty; alerts/provider.py reconcile_failures).
        quantile_rule(RECONCILE_LATENCY, RECONCILE_TIME, by_ctrl, prov,
                      t.reconcile_latency_quantile, w),
        # Work-queue depth and worker saturation have no record: a record of a gauge sum is as costly to read
        # as the gauges themselves (bench/scale.py: panels 1.1-4x), so their alerts and panels read the gauges.
        quantile_rule(WORKQUEUE_WAIT, "workqueue_queue_duration_seconds", by_name, prov, t.workqueue_wait_quantile, w),
        RecordingRule(KUBE_API_ERROR_RATIO,
                      f'sum by ({by_job}) (rate(rest_client_requests_total{{{prov}, code=~"5..|429"}}[{w}]))\n'
                      f"/\nsum by ({by_job}) (rate(rest_client_requests_total{{{prov}}}[{w}]))"),
        RecordingRule(REPLICAS_UP, replicas_up(by_job, prov)),
        RecordingRule(REPLICAS, replicas_known(by_job, prov)),
    ]

    gitea_rules: list[RecordingRule] = [
        RecordingRule(GITEA_FAILURE_RATIO,
                      f"sum by ({by_endpoint}) (rate(gitea_api_probe_failures_total{{{exp}, {NOT_RATE_LIMITED_REASON}}}"
                      f"[{w}]))\n/\nsum by ({by_endpoint}) (rate(gitea_api_probes_total{{{exp}}}[{w}]))"),
        RecordingRule(GITEA_RATE_LIMITED_RATIO,
                      f"sum by ({config.by()}) (rate(gitea_api_probe_failures_total{{{exp}, {RATE_LIMITED_REASON}}}"
                      f"[{w}]))\n/\nsum by ({config.by()}) (rate(gitea_api_probes_total{{{exp}}}[{w}]))"),
        # "or ... * 0": the 429 series exists only after the first 429; until then the share is 0, not absent.
        RecordingRule(GITEA_PROXY_RATE_LIMITED_RATIO,
                      f"(\n  sum by ({by_kind_op}) (rate(gitea_api_requests_total{{{exp}, code=\"429\"}}[{w}]))\n"
                      f"  or\n  sum by ({by_kind_op}) (rate(gitea_api_requests_total{{{exp}}}[{w}])) * 0\n)\n"
                      f"/\nsum by ({by_kind_op}) (rate(gitea_api_requests_total{{{exp}}}[{w}]))"),
        quantile_rule(GITEA_LATENCY, PROBE_DURATION, by_endpoint, exp, t.gitea_latency_quantile, w),
        # Proxy mode (optional): GiteaAPIWriteLatencyHigh and its panel read this, not 24 h of raw buckets.
        # Writes only: nothing reads the observe calls' quantile, and they are a quarter of the buckets.
        quantile_rule(GITEA_REQUEST_LATENCY, "gitea_api_request_duration_seconds", by_kind_op, f"{exp}, {WRITES}",
                      t.proxy_latency_quantile, w),
    ]

    return RuleFile(NAME, (
        RuleGroup("gitea-provider.recording", tuple(provider_rules)),
        RuleGroup("gitea-api.recording", tuple(gitea_rules)),
    ))
