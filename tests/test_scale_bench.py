"""bench/scale.py's pieces that decide what it measures: Grafana's step, the raw form of a panel, the history.

The benchmark itself runs with `make bench` (minutes to an hour); these checks keep it honest in `make test`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gitea_provider_monitoring.alerts import slo
from gitea_provider_monitoring.check.promtool import find_tool
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.promql import parse
from gitea_provider_monitoring.render.compiler import load_model

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def scale():
    spec = importlib.util.spec_from_file_location("scale", REPO / "bench" / "scale.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["scale"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_grafana_step_for_a_full_width_24h_panel(scale) -> None:
    # 86400 s / 1850 px = 46.7 s -> roundInterval gives 1m; $__rate_interval = max(60 + 30, 4 * 30).
    assert scale.grafana_step(24 * 3600) == (60, 120)
    # 1 h on the same panel: 1.9 s -> 2 s, raised to the 30 s min interval (the scrape interval).
    assert scale.grafana_step(3600) == (30, 120)
    assert scale.grafana_round_interval(44_999) == 30_000 and scale.grafana_round_interval(45_000) == 60_000


def test_raw_panels_inline_every_recording_rule(scale) -> None:
    config = Config(multi_cluster=True)
    model = load_model(config)
    records = {r.record for rf in model.rule_files for r in rf.records()}
    panels = scale.panel_queries(config, model)
    assert panels and any(p.recorded for p in panels)
    for p in panels:
        for expr, _ in p.raw_exprs:
            parse(expr)  # still PromQL
            assert not any(r in expr for r in records), (p.title, expr)
        if not p.recorded:
            assert p.raw_exprs == p.exprs


def test_inline_picks_the_quantile_rule_and_turns_ranges_into_subqueries(scale) -> None:
    config = Config()
    model = load_model(config)
    records = scale.raw_records(config, model)
    name = "controller_quantile:controller_runtime_reconcile_time_seconds:histogram_quantile5m"
    raw = scale._inline_records(f'{name}{{quantile="0.99"}}', records, "1m")
    assert "histogram_quantile(0.99," in raw and "rate(controller_runtime_reconcile_time" in raw
    config = Config(thresholds=dataclasses.replace(Config().thresholds, reconcile_latency_quantile=0.9))
    records = scale.raw_records(config, load_model(config))
    raw = scale._inline_records(f'{name}{{quantile="0.9"}}', records, "1m")
    assert "histogram_quantile(0.9," in raw and "0.99" not in raw
    raw = scale._inline_records(slo.slo_defs(config)[0].record("30d"), records, "1m")
    assert "[30d]" in raw and "avg_over_time" not in raw, raw
    raw = scale._inline_records('max_over_time(job:up:sum{namespace="x"}[30m])', records, "1m")
    assert "[30m:1m]" in raw and 'up{namespace="x", ' in raw, raw


def test_history_is_valid_openmetrics_for_promtool(scale, tmp_path: Path) -> None:
    """One installation, 10 scrapes: promtool turns it into a block; counters never go down."""
    config = Config(multi_cluster=True)
    series = list(scale.installation_series(0, config))
    assert len({s.prefix for s in series}) == len(series), "duplicate series"
    for s in series:
        if s.rate:
            values = [float(v) for v in scale._values(s, 0, 50)]
            assert all(b >= a for a, b in zip(values, values[1:], strict=False)), s.prefix
            assert values[-1] > values[0] or s.share < 0.05, f"{s.prefix} never rises"
    text = tmp_path / "h.om.txt"
    assert scale.write_block(text, series, 1_700_000_000, 0, 10) == 10 * len(series)
    promtool = find_tool("promtool")
    if not promtool:
        pytest.skip("promtool not found: run `make tools`")
    out = tmp_path / "data"
    proc = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(text), str(out)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert any(out.iterdir())


def _family(prefix: str) -> str:
    return prefix.split("{", 1)[0]


def test_only_the_leader_serves_controller_and_workqueue_series(scale) -> None:
    """controller-runtime starts controllers (initMetrics, their work queues) on the lease holder only: a standby
    serves up, rest_client, leader_election, process_* and go_*; the leader every controller's 41 buckets."""
    config = Config(multi_cluster=True)
    series = list(scale.installation_series(0, config))
    by_pod: dict[str, set[str]] = {}
    buckets: dict[str, int] = {}
    for s in series:
        pod = re.search(r'pod="([^"]+)"', s.prefix).group(1)
        if 'job="provider-gitea"' in s.prefix:
            by_pod.setdefault(pod, set()).add(_family(s.prefix))
        if s.prefix.startswith("controller_runtime_reconcile_time_seconds_bucket"):
            buckets[pod] = buckets.get(pod, 0) + 1
    assert len(by_pod) == scale.REPLICAS
    controllers = len(config.provider.controllers)
    leader = [pod for pod, names in by_pod.items() if "controller_runtime_reconcile_total" in names]
    assert len(leader) == 1 and buckets == {leader[0]: 41 * controllers}
    for pod, names in by_pod.items():
        assert {"up", "leader_election_master_status", "rest_client_requests_total",
                "process_cpu_seconds_total", "go_goroutines"} <= names
        if pod != leader[0]:
            assert not any(n.startswith(("controller_runtime_", "workqueue_")) for n in names), (pod, names)
    leader_status = {s.prefix: s.value for s in series if s.prefix.startswith("leader_election_master_status")}
    assert sorted(leader_status.values()) == [0, 0, 1]
    # 12 work-queue buckets (ExponentialBuckets(10e-9, 10, 12)) + +Inf, per controller and histogram.
    queue_le = [s for s in series if s.prefix.startswith("workqueue_queue_duration_seconds_bucket")]
    assert len(queue_le) == 13 * controllers
    assert len(scale.WORKQUEUE_BUCKETS) == 12 and math.isclose(scale.WORKQUEUE_BUCKETS[-1], 1e3)


def test_history_follows_the_exporter(scale) -> None:
    """The exporter's series come from its own constants (every failure reason, every token state)."""
    from gitea_provider_monitoring.exporters.gitea_api import metrics

    series = [s.prefix for s in scale.installation_series(0, Config(multi_cluster=True))]
    reasons = {re.search(r'reason="([^"]+)"', p).group(1) for p in series if p.startswith("gitea_api_probe_failures")}
    assert reasons == set(metrics.REASONS)
    states = {re.search(r'state="([^"]+)"', p).group(1) for p in series if p.startswith("gitea_api_token_state")}
    assert states == set(metrics.TOKEN_STATES)
    les = {re.search(r'le="([^"]+)"', p).group(1) for p in series if p.startswith("gitea_api_request_duration_seconds_b")}
    assert les == {repr(float(b)) for b in metrics.PROBE_DURATION_BUCKETS} | {"+Inf"}


def test_simulator_standby_serves_no_controller_series_until_it_leads() -> None:
    from prometheus_client import generate_latest

    from tests.sim.provider import QUEUE_BUCKETS, Replica

    standby = Replica(1, ("managed/repository",))
    standby.tick("healthy", leader=False, dt=1)
    samples = [line for line in generate_latest(standby.registry).decode().splitlines() if not line.startswith("#")]
    assert any(s.startswith("leader_election_master_status") for s in samples)
    assert not any(s.startswith(("controller_runtime_", "workqueue_")) for s in samples), samples
    standby.tick("healthy", leader=True, dt=1)  # wins the lease: controllers start
    text = generate_latest(standby.registry).decode()
    assert text.count('controller_runtime_reconcile_time_seconds_bucket{controller="managed/repository"') == 41
    assert text.count("workqueue_queue_duration_seconds_bucket{") == len(QUEUE_BUCKETS) + 1 == 13


def test_backfill_levels_put_every_record_after_what_it_reads(scale, tmp_path: Path) -> None:
    import yaml

    model = load_model(Config(multi_cluster=True))
    files = scale.rule_levels(model, tmp_path)
    level_of = {}
    for level, path in enumerate(files):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                level_of.setdefault(rule["record"], level)
    assert len(level_of) == len({r.record for rf in model.rule_files for r in rf.records()})
    for path in files:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                for name, level in level_of.items():
                    if name != rule["record"] and re.search(rf"(?<![\w:]){re.escape(name)}(?![\w:])", rule["expr"]):
                        assert level < level_of[rule["record"]], (rule["record"], name)
    assert len(files) >= 3  # bucket rates -> quantiles; per-result rate -> rate -> failure ratio


def test_backfill_chunks_cover_the_range_once(scale) -> None:
    start, end, step = 1_700_001_000, 1_700_001_000 + 86400, 60
    for jobs in (1, 2, 3, 8):
        chunks = scale.backfill_chunks(start, end, jobs, step)
        assert 1 <= len(chunks) <= jobs
        assert chunks[0][0] == start and chunks[-1][1] == end
        assert all(b + step == c for (_, b), (c, _) in zip(chunks, chunks[1:], strict=False))
        assert all(c % scale.BLOCK == 0 for c, _ in chunks[1:])


def test_live_targets_serve_the_history_series_one_target_per_installation(scale) -> None:
    """--live scrapes what the history holds: the same series (labels included) and the same counter model, each
    scrape the next sample; distinct targets so N installations are N scrapes, not one."""
    from prometheus_client.parser import text_string_to_metric_families

    config = Config(multi_cluster=True)
    installations = [list(scale.installation_series(i, config)) for i in range(2)]
    targets = scale.SyntheticTargets(installations)
    try:
        targets.t0 -= 3 * scale.SCRAPE  # the fourth scrape: k = 3
        text = targets.exposition(1).decode()
        samples = {s.name + "{" + ",".join(f'{k}="{v}"' for k, v in s.labels.items()) + "}": s.value
                   for family in text_string_to_metric_families(text) for s in family.samples}
        assert len(samples) == len(installations[1])
        for series in installations[1]:
            # The exposition's label order is the series' own, so the prefix names the sample.
            expected = float(scale._values(series, 3, 4)[0]) if series.rate else series.value
            assert samples[series.prefix] == pytest.approx(expected), series.prefix
        job = targets.scrape_config()
        assert job["honor_labels"] is True
        paths = [c["labels"]["__metrics_path__"] for c in job["static_configs"]]
        instances = {c["labels"]["instance"] for c in job["static_configs"]}
        assert paths == ["/metrics/0", "/metrics/1"] and len(instances) == 2
    finally:
        targets.stop()


def test_live_report_sums_every_group_over_its_interval(scale) -> None:
    outcome = scale.LiveOutcome(n=100, series_raw=94000, recorded_series=77500,
                                groups={"a": (0.391, 60.0), "b": (0.1, 60.0), "c": (0.6, 300.0)},
                                rules={"a: r": 0.14}, load=(0.0, 0.1, 0.3), rss_bytes=476 * 2**20, seconds=719)
    text = scale.live_report([outcome])
    # 0.391/60 + 0.1/60 + 0.6/300 = 1.02%: each group against its own interval.
    assert "| all groups (sum of eval / interval) | | 1.02% |" in text
    assert "| a | 60s | 391 (0.65%) |" in text and "94000; 77500 (775); 476 MiB" in text


def _bucket_values(scale, series, k: int) -> dict[str, dict[float, float]]:
    """Histogram -> {le: cumulative count} at scrape k, from the synthetic series."""
    out: dict[str, dict[float, float]] = {}
    for s in series:
        m = re.match(r'(\w+)_bucket\{(.*),le="([^"]+)"\}$', s.prefix)
        if m and s.rate:
            out.setdefault(f"{m.group(1)}{{{m.group(2)}}}", {})[float(m.group(3))] = float(scale._values(s, k, k + 1)[0])
    return out


def _quantile(q: float, cumulative: dict[float, float]) -> float:
    """histogram_quantile's linear interpolation inside the bucket holding rank q x total (promql/quantile.go
    bucketQuantile; a rank in +Inf gives the last finite bound)."""
    les = sorted(cumulative)
    rank = q * cumulative[math.inf]
    for i, le in enumerate(les):
        if cumulative[le] >= rank:
            if le == math.inf:
                return les[-2]
            lower, below = (les[i - 1], cumulative[les[i - 1]]) if i else (0.0, 0.0)
            return lower + (le - lower) * (rank - below) / (cumulative[le] - below)
    return math.nan


def test_histograms_are_cumulative_and_the_fleet_is_healthy(scale) -> None:
    """Buckets rise with le up to +Inf, and over any rate window no latency alert's condition holds (its
    quantile, interpolated as histogram_quantile does, stays at or under its threshold): a healthy fleet, so the
    bench measures rules, not the bookkeeping of hundreds of pending alerts."""
    config = Config(multi_cluster=True)
    t = config.thresholds
    alerts = {"controller_runtime_reconcile_time_seconds": (t.reconcile_latency_quantile, t.reconcile_latency_seconds),
              "workqueue_queue_duration_seconds": (t.workqueue_wait_quantile, t.workqueue_wait_seconds),
              "gitea_api_probe_duration_seconds": (t.gitea_latency_quantile, t.gitea_latency_seconds),
              "gitea_api_request_duration_seconds": (t.proxy_latency_quantile, t.proxy_latency_seconds)}
    series = list(scale.installation_series(3, config))
    window = 10  # 5m of 30 s scrapes
    seen = set()
    for k in range(window, 400, 7):
        before, after = _bucket_values(scale, series, k - window), _bucket_values(scale, series, k)
        for hist, buckets in after.items():
            les = sorted(buckets)
            assert all(buckets[a] <= buckets[b] for a, b in zip(les, les[1:], strict=False)), hist
            name = hist.split("{", 1)[0]
            if name not in alerts or buckets[math.inf] == before[hist][math.inf]:
                continue
            seen.add(name)
            q, threshold = alerts[name]
            increase = {le: buckets[le] - before[hist][le] for le in les}
            value = _quantile(q, increase)
            assert value <= threshold, f"{hist} at scrape {k}: p{q:g} {value:g}s over {threshold:g}s ({increase})"
    assert seen == set(alerts)


def test_slo_windows_hourly_samples_are_the_mean_of_their_hour(scale, tmp_path: Path) -> None:
    """bench/slo_windows.py: each hourly sample is the mean of the 60 5m-ratio samples of (t - 1h, t], as
    avg_over_time(...[1h]) computes it at t; the text is OpenMetrics promtool accepts."""
    spec = importlib.util.spec_from_file_location("slo_windows", REPO / "bench" / "slo_windows.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = tmp_path / "day.om"
    start = 1_700_000_000 // 86400 * 86400
    assert module.write_day(text, 1, start, 1) == len(module.SLOS) * (1440 + 1440 + 24)
    series: dict[str, dict[int, float]] = {}
    for line in text.read_text().splitlines()[:-1]:
        name_labels, value, stamp = line.rsplit(" ", 2)
        series.setdefault(name_labels, {})[int(stamp)] = float(value)
    labels = '{cluster="c000",namespace="gitea-system",slo="reconcile"}'
    five, hourly = series["slo_errors:ratio_rate5m" + labels], series["slo_errors:ratio_rate1h_hourly" + labels]
    assert len(hourly) == 24
    for t, value in list(hourly.items())[1:]:  # the first hour of the day also averages the day before
        window = [v for s, v in five.items() if t - 3600 < s <= t]
        assert len(window) == 60 and math.isclose(value, sum(window) / 60, rel_tol=1e-9)
    promtool = find_tool("promtool")
    if not promtool:
        pytest.skip("promtool not found: run `make tools`")
    proc = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(text), str(tmp_path / "data")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
