"""The pure parts of the two-replica failover scenario (tests/realstack/failover.py): the namespace and address
plan, reading the leader from replicas' /metrics and from a Lease, and the bounds it checks against. The scenario
itself needs root and the real stack (docs/real-stack.md); these need neither."""

from __future__ import annotations

import ipaddress

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from gitea_provider_monitoring.model import provider_facts as facts
from gitea_provider_monitoring.model.config import Config, duration_seconds
from gitea_provider_monitoring.render.compiler import load_model
from tests.e2e.harness import alert_window, detection_bound, reads_record, rule_for
from tests.realstack import failover
from tests.realstack.stack import runtime_provider_args


def test_plan_keeps_every_address_and_interface_inside_our_namespaces() -> None:
    topo = failover.plan("4242", replicas=3)
    ours = set(topo.namespaces)
    assert len(ours) == 4 and all("4242" in ns for ns in ours)
    for cmd in topo.setup_commands():
        assert cmd[0] == "ip"
        # Either a namespace of ours is created, or the command runs inside one (-n): never in the caller's.
        assert cmd[1:3] == ["netns", "add"] and cmd[3] in ours or cmd[1] == "-n" and cmd[2] in ours, cmd
        if "peer" in cmd:  # the veth's other end goes straight into the replica's namespace
            assert cmd[cmd.index("netns") + 1] in ours
    addresses = [ipaddress.ip_interface(a) for link in topo.links for a in (link.hub_addr, link.replica_addr)]
    addresses.append(ipaddress.ip_interface(f"{topo.service}/32"))
    assert all(a.ip.is_private and not a.ip.is_loopback for a in addresses)
    assert len({a.ip for a in addresses}) == len(addresses)
    for link in topo.links:  # the replica reaches the service address through its own hub end
        hub, replica = ipaddress.ip_interface(link.hub_addr), ipaddress.ip_interface(link.replica_addr)
        assert hub.network == replica.network
        assert ipaddress.ip_address(topo.service) not in hub.network
        route = ["ip", "-n", link.netns, "route", "add", "default", "via", str(hub.ip)]
        assert route in topo.setup_commands()
        assert max(len(link.hub_if), len(link.replica_if)) <= 15  # IFNAMSIZ - 1
    assert len({link.hub_if for link in topo.links}) == 3
    assert failover.Topology.from_json(topo.to_json()) == topo


@pytest.mark.parametrize(("tag", "replicas", "prefix"), [("1", 0, "10.213"), ("1", 2, "8.8")])
def test_plan_refuses_what_could_reach_outside(tag: str, replicas: int, prefix: str) -> None:
    with pytest.raises(ValueError, match="replicas|not a private network"):
        failover.plan(tag, replicas, prefix)


def _exposition(leader: float | None, lease: str = facts.LEASE_NAME, reconciles: dict[str, int] | None = None) -> str:
    registry = CollectorRegistry()
    if leader is not None:
        Gauge("leader_election_master_status", "leader", ["name"], registry=registry).labels(lease).set(leader)
    total = Counter("controller_runtime_reconcile", "reconciles", ["controller", "result"], registry=registry)
    for key, n in (reconciles or {}).items():
        controller, result = key.split(":")
        total.labels(controller, result).inc(n)
    return generate_latest(registry).decode()


def test_the_leader_is_the_replica_whose_lease_status_is_one() -> None:
    metrics = {"a": _exposition(0), "b": _exposition(1), "standby": _exposition(None), "dead": "",
               "other-lease": _exposition(1, lease="someone-else")}
    assert failover.leaders(metrics) == ["b"]
    assert failover.leaders({"a": _exposition(None), "b": ""}) == []


def test_reconciles_sum_every_controller_and_result() -> None:
    text = _exposition(1, reconciles={"managed/repository:requeue_after": 12, "managed/user:success": 3,
                                      "managed/user:error": 2})
    assert failover.reconciles(text) == 17
    assert failover.reconciles("") == 0


def test_lease_holder() -> None:
    assert failover.lease_holder(None) == ""
    assert failover.lease_holder({"spec": {}}) == ""
    assert failover.lease_holder({"spec": {"holderIdentity": "host_0b1c"}}) == "host_0b1c"


def test_failover_config_turns_leader_election_on_and_passes_the_flag() -> None:
    config = failover.failover_config()
    assert config.provider.leader_election and config.provider.replicas == 2
    assert runtime_provider_args(config) == [facts.flag("leader-election").option]
    assert runtime_provider_args(None) == []  # the default build: the provider's default, no flag


def test_a_killed_leader_is_replaced_before_no_leader_can_fire() -> None:
    """With the default config the standby leads (lease runs out, next try, a scrape) well before
    GiteaProviderNoLeader's `for` ends: a failover pages nobody. The bound grows with LeaseDuration."""
    config = failover.failover_config()
    no_leader = rule_for(load_model(config), "GiteaProviderNoLeader")
    assert no_leader == duration_seconds(config.thresholds.no_leader_for)
    assert failover.takeover_bound(config) + duration_seconds(config.evaluation_interval) < no_leader
    assert failover.takeover_bound(config) == (facts.LEASE_DURATION_SECONDS + 2 * facts.LEASE_RETRY_SECONDS
                                               + duration_seconds(config.scrape_interval))


def test_detection_and_resolve_bounds_add_up_from_the_config() -> None:
    config = failover.failover_config()
    model = load_model(config)
    scrape, evaluation = duration_seconds(config.scrape_interval), duration_seconds(config.evaluation_interval)
    assert alert_window(model, config, "GiteaProviderReplicaDown") == 0  # reads `up`, no window
    # It compares job:up:sum with job:up:count, recorded in another group: one evaluation more (measured: 19-28 s
    # past the bound without it, docs/real-stack.md).
    assert reads_record(model, "GiteaProviderReplicaDown")
    assert detection_bound(model, config, "GiteaProviderReplicaDown") == (
        scrape + 2 * evaluation + duration_seconds(config.thresholds.replica_down_for))
    assert not reads_record(model, "GiteaProviderDown")  # reads `up` itself
    assert detection_bound(model, config, "GiteaProviderDown") == (
        scrape + evaluation + duration_seconds(config.thresholds.provider_down_for))
    # An alert on a windowed ratio adds its window (the harness's rule, shared).
    assert alert_window(model, config, "GiteaAPIErrorRatioHigh") == duration_seconds(config.rate_window)
    assert detection_bound(model, config, "GiteaAPIErrorRatioHigh", probe=25) == (
        scrape + evaluation * (2 if reads_record(model, "GiteaAPIErrorRatioHigh") else 1)
        + rule_for(model, "GiteaAPIErrorRatioHigh") + duration_seconds(config.rate_window) + 25)
    assert failover.resolve_bound(config) == scrape + evaluation + duration_seconds(config.alertmanager.group_interval)
    assert Config().provider.leader_election is False  # the scenario changes only its own copy
