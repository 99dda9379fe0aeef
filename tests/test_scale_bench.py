"""bench/scale.py's pieces that decide what it measures: Grafana's step, the raw form of a panel, the history.

The benchmark itself runs with `make bench` (minutes to an hour); these checks keep it honest in `make test`.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

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
    raw = scale._inline_records(f'{name}{{quantile="0.95"}}', records, "1m")
    assert "histogram_quantile(0.95," in raw and "0.99" not in raw and "rate(controller_runtime_reconcile_time" in raw
    raw = scale._inline_records("job:slo_reconcile_errors:ratio_rate30d", records, "1m")
    assert "[30d]" in raw and "avg_over_time" not in raw, raw
    raw = scale._inline_records('predict_linear(name:workqueue_depth:sum{namespace="x"}[30m], 3600)', records, "1m")
    assert "[30m:1m]" in raw and "workqueue_depth{" in raw


def test_history_is_valid_openmetrics_for_promtool(scale, tmp_path: Path) -> None:
    """One installation, 10 scrapes: promtool turns it into a block; counters never go down."""
    config = Config(multi_cluster=True)
    series = list(scale.installation_series(0, config))
    assert len({s.prefix for s in series}) == len(series), "duplicate series"
    for s in series:
        if s.rate:
            values = [float(v) for v in scale._values(s, 0, 50)]
            assert all(b > a for a, b in zip(values, values[1:], strict=False)), s.prefix
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
