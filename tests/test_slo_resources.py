"""The reconcile SLO on resource-time (alerts/slo.py): its error ratio reads only the managed resources' Synced
condition series, and its generated cases use the fewest resources whose failing share lies between the burn
thresholds (the promtool cases themselves run in `make test` with every config)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from gitea_provider_monitoring.alerts import slo
from gitea_provider_monitoring.model import managed
from gitea_provider_monitoring.model.config import SLO, Config, SLOConfig
from gitea_provider_monitoring.model.promql import selectors


def _reconcile(config: Config) -> slo.SLODef:
    return next(d for d in slo.slo_defs(config) if d.key == "reconcile")


def test_the_error_ratio_reads_the_synced_condition_series_only() -> None:
    config = Config()
    expr = _reconcile(config).error_ratio("5m")
    found = selectors(expr)
    assert {s.name for s in found} == {managed.metric(managed.CONDITION)}
    assert all(("type", "=", "Synced") in s.matchers for s in found), expr
    assert f'"namespace", "{config.provider.namespace}"' in expr  # routed and inhibited like every alert of ours


@pytest.mark.parametrize(("objective", "period"), [("0.9", "30d"), ("0.99", "30d"), ("0.995", "28d"), ("0.999", "7d")])
def test_fire_cases_hold_a_share_of_failing_resources_between_the_thresholds(objective: str, period: str) -> None:
    config = Config(slo=SLOConfig(period=period, reconcile=SLO(objective=Decimal(objective))))
    d = _reconcile(config)
    for fast in (True, False):
        pairs = slo.burn_pairs(config, fast)
        thresholds = [f * d.budget for _, _, f in pairs]
        for i, limit in enumerate(thresholds):
            if limit >= 1:
                continue
            high = min(Decimal(1), limit * 2, thresholds[i - 1] if i else Decimal(1))
            ratio = d.ratio_between(limit, high)
            if ratio is None:  # a share under one resource in MAX_CASE_RESOURCES: the pair gets no firing case
                assert high <= Decimal(1) / (slo.MAX_CASE_RESOURCES // 2), (limit, high)
                continue
            assert limit < ratio < high
            resources = d.test_series(ratio, 3)
            failing = sum('status="False"' in s.series for s in resources)
            assert Fraction(failing, len(resources)) == Fraction(ratio) and len(resources) <= slo.MAX_CASE_RESOURCES
            # The fewest resources: none smaller of the counts the cases use shows a share in between.
            smaller = [n for n in slo._COUNTS if n < len(resources)]
            assert not any(limit < Fraction(k, n) < high for n in smaller for k in range(n + 1))


def test_an_objective_too_strict_for_a_firing_case_says_so_and_keeps_its_silent_cases() -> None:
    config = Config(slo=SLOConfig(period="3d", reconcile=SLO(objective=Decimal("0.9999"))))
    rules = [r for g in slo.rules(config).groups for r in g.rules if getattr(r, "alert", "").startswith(
        "GiteaProviderReconcileSLO")]
    assert rules
    for rule in rules:
        assert not any(c.fires for c in rule.cases) and any(not c.fires for c in rule.cases)
        assert str(slo.MAX_CASE_RESOURCES) in rule.unreachable
