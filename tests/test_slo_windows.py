"""The SLO windows' sources (alerts/slo.py): up to 6h from the 5m ratio every minute, a day or more from the
hourly samples of the 1h ratio with the 1h ratio as fallback. promtool evaluates every group at every step
(cmd/promtool/unittest.go), so the generated cases cannot see the hourly interval; these checks pin it, and
tests/e2e's healthy-state check proves the fallback on a real Prometheus (budget panels have data at once)."""

from __future__ import annotations

import pytest

from gitea_provider_monitoring.alerts import slo
from gitea_provider_monitoring.model.config import Config, SLOConfig, duration_seconds
from gitea_provider_monitoring.model.promql import selectors


def _reads(expr: str) -> set[tuple[str, float | None]]:
    """(series, range in seconds or None for an instant read) of every selector of `expr`."""
    return {(s.name, duration_seconds(s.range) if s.range else None) for s in selectors(expr)}


@pytest.mark.parametrize("period", ["30d", "7d", "3d"])
def test_long_windows_read_the_hourly_record_and_fall_back_on_the_1h_ratio(period: str) -> None:
    config = Config(slo=SLOConfig(period=period))
    groups = {g.name: g for g in slo.rules(config).groups}
    for d in slo.slo_defs(config):
        (hourly_rule,) = groups[f"slo.{d.key}.hourly"].rules
        assert groups[f"slo.{d.key}.hourly"].interval == "1h" and hourly_rule.record == d.hourly_record
        assert _reads(hourly_rule.expr) == {(d.record("5m"), 3600)}
        order = [r.name for r in groups[f"slo.{d.key}"].rules]
        for window in dict.fromkeys((*slo.WINDOWS[1:], period)):
            rule = next(r for r in groups[f"slo.{d.key}"].rules if r.name == d.record(window))
            read, seconds = _reads(rule.expr), duration_seconds(window)
            if seconds >= duration_seconds("1d"):
                assert read == {(d.hourly_record, seconds), (d.record("1h"), None)}, rule.expr
                assert order.index(d.record("1h")) < order.index(rule.name), "the fallback must be evaluated first"
            else:
                assert read == {(d.record("5m"), seconds)}, rule.expr
