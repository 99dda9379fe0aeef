"""The real-stack e2e scenarios (tests/realstack/e2e.py) say things the default build can hold: checked without the
stack, so a renamed alert or a changed severity fails here and not an hour into `make e2e-real`."""

from __future__ import annotations

import pytest

from gitea_provider_monitoring.model import managed
from gitea_provider_monitoring.model.config import duration_seconds, load_config
from gitea_provider_monitoring.render.alertmanager import RECEIVERS
from gitea_provider_monitoring.render.compiler import load_model
from tests.e2e.harness import INHIBITED, alert_window, rule_for
from tests.realstack import e2e

CONFIG = load_config(None)
MODEL = load_model(CONFIG)
ALERTS = {a.alert: a for rf in MODEL.rule_files for a in rf.alerts()}
SCENARIOS = e2e.scenarios()


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_every_alert_a_scenario_names_is_in_the_default_build(sc: e2e.Scenario) -> None:
    named = set(sc.expected) | set(sc.allowed) | set(sc.lead) | set(sc.kinds) | set(sc.mentions)
    assert named <= set(ALERTS), f"{sc.name}: not in the default build: {sorted(named - set(ALERTS))}"


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_receivers_follow_severity_and_inhibition(sc: e2e.Scenario) -> None:
    criticals = {n for n in sc.expected if ALERTS[n].severity == "critical"}
    for name, receiver in sc.expected.items():
        severity = ALERTS[name].severity
        if receiver == INHIBITED:
            # The generated inhibition mutes warnings while a critical of ours fires in the same cluster and namespace.
            assert severity == "warning" and criticals, f"{sc.name}: {name} cannot be inhibited"
        else:
            assert receiver == RECEIVERS[severity], f"{sc.name}: {name} is {severity}, routed to {RECEIVERS[severity]}"


def test_the_healthy_run_expects_and_allows_nothing_for_an_hour() -> None:
    healthy = next(s for s in SCENARIOS if s.fault is None)
    assert not healthy.expected and not healthy.allowed
    assert healthy.fault_minutes >= 60


def test_kinds_are_the_providers() -> None:
    served = {k.kind for k in managed.MANAGED_KINDS if k.served and k.group.endswith(managed.NAMESPACED_GROUP_SUFFIX)}
    assert e2e.SERVED_KINDS <= served
    team = next(k for k in managed.MANAGED_KINDS if k.kind == e2e.UNSERVED["kind"]
                and e2e.UNSERVED["apiVersion"].startswith(k.group + "/"))
    assert not team.served, "the unserved-kind scenario needs a kind no controller of the provider serves"
    for sc in SCENARIOS:
        for kinds in sc.kinds.values():
            assert kinds <= served | {team.kind}


def test_bounds_add_the_for_and_the_window_the_alert_reads() -> None:
    t = CONFIG.thresholds
    assert rule_for(MODEL, "GiteaResourceNotSynced") == duration_seconds(t.resource_not_synced_for)
    assert alert_window(MODEL, CONFIG, "GiteaResourceNotSynced") == 0
    assert alert_window(MODEL, CONFIG, "GiteaProviderReconcileFailureRatioHigh") == duration_seconds(
        t.reconcile_failure_window)


def test_gitea_down_lasts_until_the_back_off_reaches_its_cap() -> None:
    down = next(s for s in SCENARIOS if s.fault is e2e.stop_gitea)
    assert down.fault_minutes >= 20 and down.resolve_minutes * 60 > e2e.BACKOFF_CAP
