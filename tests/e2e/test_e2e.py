"""A short end-to-end subset for `make test` (the full run is `make e2e`, tests/e2e/run.py).

One environment: real Prometheus and Alertmanager with the project's rules and routing, the provider and
Gitea simulators and the real exporter. Gitea goes down: the critical alert pages, the warning it
inhibits reaches nobody, both resolve; dashboards return data except where documented.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from gitea_provider_monitoring.check.promtool import Toolset, pair_for
from tests.e2e.harness import SCENARIOS, Environment, panel_report, run, wait_quiet, warm_up
from tests.sim.provider import ProviderSimulator


@pytest.fixture(scope="module")
def env(prometheus_tools: Toolset) -> Iterator[Environment]:
    """One environment per Prometheus version, with the Alertmanager of the same generation (pair_for)."""
    alertmanager = pair_for(prometheus_tools)
    if prometheus_tools.server is None or alertmanager is None or alertmanager.server is None:
        pytest.skip("prometheus/alertmanager not found: run `make tools` (make test does)")
    environment = Environment(prometheus=prometheus_tools, alertmanager=alertmanager)
    try:
        warm_up(environment)
    except BaseException:
        environment.close()
        raise
    yield environment
    environment.close()


def test_healthy_state_is_quiet_and_dashboards_have_data(env: Environment) -> None:
    assert wait_quiet(env, timeout=60) == []
    empty, optional, by_design = panel_report(env)
    assert empty == [], f"panels without data in the healthy state: {empty}"
    # Proxy mode is off and Gitea is plain http: those panels may be empty, and say why.
    assert "gitea-api: TLS certificate expiry" in optional
    assert all(p.startswith(("resource-management:", "gitea-api:")) for p in optional), optional


def test_gitea_down_pages_inhibits_and_resolves(env: Environment) -> None:
    (scenario,) = [s for s in SCENARIOS if s.name == "gitea down"]
    result = run(env, scenario)
    assert result.ok, result.problems
    assert result.fired["GiteaAPIDown"] <= result.bounds["GiteaAPIDown"] + 5


def test_gitea_throttling_warns_and_the_prober_backs_off(env: Environment) -> None:
    (scenario,) = [s for s in SCENARIOS if s.name.startswith("gitea throttles")]
    result = run(env, scenario)
    assert result.ok, result.problems
    assert result.fired["GiteaAPIRateLimited"] <= result.bounds["GiteaAPIRateLimited"] + 5
    before, during = result.probe_rates
    assert during < before / 2, result.probe_rates


def test_provider_simulator_matches_the_catalog() -> None:
    """Every family the provider simulator serves is in the metric catalog with the same type and labels."""
    from prometheus_client.parser import text_string_to_metric_families

    from gitea_provider_monitoring.model import catalog

    sim = ProviderSimulator(replicas=1)
    try:
        text = requests.get(f"http://{sim.targets[0][0]}/metrics", timeout=5).text
    finally:
        sim.close()
    for family in text_string_to_metric_families(text):
        series = {s.name for s in family.samples}
        for name in series:
            entry = catalog.lookup(name)
            assert entry is not None, f"{name} is served but not in the catalog"
            labels = {k for s in family.samples if s.name == name for k in s.labels} - {"le"}
            assert labels == set(entry.labels), f"{name}: labels {labels} != catalog {entry.labels}"
