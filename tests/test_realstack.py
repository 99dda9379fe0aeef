"""The provider simulator against recordings of the real provider, and the recordings through our rules (#27).

The recordings (tests/recordings/<scenario>/recording.json) are of rossigee/provider-gitea b5b30da (v0.10.1+2) on a
real kube-apiserver and a real Gitea (tests/realstack/record.py). Tolerances are stated beside each check; every
check compares against what was recorded, never against a number written here from memory.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import pytest
from prometheus_client import generate_latest

from gitea_provider_monitoring.alerts.slo import slo_defs
from gitea_provider_monitoring.check.promtool import toolsets
from gitea_provider_monitoring.model import catalog, managed
from gitea_provider_monitoring.model.config import DEFAULT_CONTROLLERS, Config
from gitea_provider_monitoring.model.promql import metric_names
from gitea_provider_monitoring.render.compiler import load_model
from tests.realstack import tools
from tests.realstack.record import FAILING_OWNER, compact, parse, rle
from tests.realstack.recording import Recording, available, parse_series, unrle
from tests.realstack.report import recorded_config
from tests.realstack.stack import RESOURCE_NAMESPACE
from tests.sim import provider as sim

RECORDINGS = available()
needs = pytest.mark.skipif(not RECORDINGS, reason="no recordings in tests/recordings (tests/realstack/record.py)")


@cache
def rec(name: str) -> Recording:
    if name not in RECORDINGS:
        pytest.skip(f"no {name} recording in tests/recordings")
    return Recording.load(RECORDINGS[name])


def sim_samples(mode: str = "healthy", seconds: int = 60) -> dict[str, float]:
    """The simulator's leader after `seconds` of `mode`, parsed like a recorded scrape."""
    r = sim.Replica(0, DEFAULT_CONTROLLERS, leader_election=False)  # as recorded: the provider's default
    r.start_controllers()
    for _ in range(seconds):
        r.tick(mode, True, 1.0)
    return parse(generate_latest(r.registry).decode())


def names(samples) -> set[str]:  # noqa: ANN001
    return {parse_series(k)[0] for k in samples}


def label_sets(samples, metric: str) -> set[frozenset[str]]:  # noqa: ANN001
    return {frozenset(ls) - {"le"} for n, ls in (parse_series(k) for k in samples) if n == metric}


def label_values(samples, metric: str, label: str) -> set[str]:  # noqa: ANN001
    return {ls[label] for n, ls in (parse_series(k) for k in samples) if n == metric and label in ls}


# -- the recording format ------------------------------------------------------------------------------------------
def test_rle_round_trips() -> None:
    values = [0.0, 0.0, 0.0, 1.5, None, None, 2.0, 1e-9]
    assert rle(values) == "0*3 1.5 _*2 2 1e-09"
    assert unrle(rle(values)) == values


def test_compaction_of_buckets_is_lossless(tmp_path) -> None:  # noqa: ANN001
    import json

    scrapes = [(0.0, {'h_bucket{le="1"}': 1.0, 'h_bucket{le="2"}': 1.0, 'h_bucket{le="+Inf"}': 3.0, "c{}": 5.0}),
               (15.0, {'h_bucket{le="1"}': 2.0, 'h_bucket{le="2"}': 2.0, 'h_bucket{le="+Inf"}': 4.0, "c{}": 6.0})]
    series, bounds = compact(scrapes)
    assert 'h_bucket{le="2"}' not in series and bounds == {"h_bucket{}": ["1", "2", "+Inf"]}
    path = tmp_path / "x" / "recording.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"meta": {"phases": []}, "t": [0.0, 15.0], "series": series, "buckets": bounds,
                                "conditions": []}))
    assert Recording.load(path).series == {k: [s[k] for _, s in scrapes] for k in scrapes[0][1]}


def test_without_the_built_stack_the_reason_is_one_line() -> None:
    found, why = tools.locate()
    assert (found is None) == bool(why)
    if why:
        assert "\n" not in why and ("make real-stack-tools" in why or "absent" in why or "Go is not" in why)


# -- the simulator against the real provider ----------------------------------------------------------------------
@needs
def test_every_series_name_the_simulator_serves_is_real() -> None:
    real = names(rec("healthy").series)
    invented = names(sim_samples()) - real
    assert not invented, f"the simulator serves series the real provider does not: {sorted(invented)}"


@needs
def test_every_real_series_our_rules_read_is_simulated() -> None:
    model = load_model(Config())
    read = {n for rf in model.rule_files for r in [*rf.records(), *rf.alerts()] for n in metric_names(r.expr)}
    real = names(rec("healthy").series)
    missing = (read & real) - names(sim_samples())
    assert not missing, f"our rules read real series the simulator lacks: {sorted(missing)}"


@needs
def test_label_names_match() -> None:
    real, simulated = rec("healthy").series, sim_samples()
    for metric in sorted(names(real) & names(simulated)):
        assert label_sets(simulated, metric) <= label_sets(real, metric), (
            f"{metric}: simulator labels {sorted(map(sorted, label_sets(simulated, metric)))}, "
            f"real {sorted(map(sorted, label_sets(real, metric)))}")


@needs
def test_controller_names_and_results_match() -> None:
    real, simulated = rec("healthy").series, sim_samples()
    for metric, label in (("controller_runtime_reconcile_total", "controller"),
                          ("controller_runtime_reconcile_total", "result"),
                          ("workqueue_adds_total", "name")):
        assert label_values(simulated, metric, label) == label_values(real, metric, label), (metric, label)
    # The work queue is named after its controller (controller-runtime pkg/internal/metrics/workqueue.go).
    for k in real:
        n, ls = parse_series(k)
        if n.startswith("workqueue_"):
            assert ls["name"] == ls["controller"], k


@needs
def test_a_depth_series_exists_once_its_queue_got_an_item() -> None:
    """The priority queue's depth children appear with the first item of each priority (the webhook controller,
    without resources, has none), in the recording and in the simulator."""
    for samples in (rec("healthy").series, sim_samples()):
        busy = {parse_series(k)[1]["name"] for k, v in samples.items()
                if k.startswith("workqueue_adds_total") and ((v[-1] if isinstance(v, list) else v) or 0) > 0}
        assert label_values(samples, "workqueue_depth", "controller") == busy


@needs
def test_workqueue_priority_label_values_are_real() -> None:
    real = set().union(*(label_values(rec(s).series, "workqueue_depth", "priority") for s in RECORDINGS))
    assert set(sim.DEPTH_PRIORITIES) <= real, f"real priorities: {sorted(real)}"


@needs
def test_one_worker_per_controller() -> None:
    for name in RECORDINGS:
        values = {v for vs in rec(name).select("controller_runtime_max_concurrent_reconciles").values()
                  for v in vs if v is not None}
        assert values == {float(sim.MAX_WORKERS)}, (name, values)
    simulated = {v for k, v in sim_samples().items() if k.startswith("controller_runtime_max_concurrent_reconciles")}
    assert simulated == {float(sim.MAX_WORKERS)}


# -- the recordings through our rules --------------------------------------------------------------------------------
def _promtool() -> str:
    sets = toolsets("prometheus")
    if not sets:
        pytest.skip("promtool not found: run `make tools`")
    return sets[-1].tool


@cache
def fired(name: str) -> dict:
    from tests.realstack.replay import fired_per_phase

    recording = rec(name)
    return fired_per_phase(recording, recorded_config(recording), _promtool())


@needs
@pytest.mark.parametrize("scenario", ["healthy", "gitea-down", "one-failing", "burst-50"])
def test_replay_reports_what_fired_per_phase(scenario: str) -> None:
    """Which alerts the build's rules fire on each recorded phase (printed with -s; docs/real-stack.md has the
    table). In the set-up (22 resources created on a fresh install) and the healthy phase of every scenario nothing
    fires at all, the reconcile SLO included: a healthy install pages nobody and tells nobody."""
    result = fired(scenario)
    print(f"\n{scenario}: " + "; ".join(f"{p}: during {', '.join(a.during) or 'nothing'}, at its end "
                                        f"{', '.join(a.at_end) or 'nothing'}" for p, a in result.items()))
    assert result, f"{scenario}: no phase long enough to evaluate"
    for phase in ("setup", "healthy"):
        if phase in result:
            assert result[phase].during == [], f"{scenario}: alerts fire on the healthy real provider: {result[phase]}"


@needs
def test_a_bulk_create_fires_nothing() -> None:
    """50 Repositories created at once (each create a `requeue`, the queue 49 deep for a scrape): every new resource is
    Synced once reconciled, so neither the resource alerts nor the reconcile SLO fire, in any phase."""
    result = fired("burst-50")
    assert "burst" in result
    assert {p: a.during for p, a in result.items() if a.during} == {}, result


def _kinds_recorded(recording: Recording) -> set[str]:
    return {kind for kind, n in recording.meta["resources"].items() if n}


@needs
def test_gitea_down_fires_not_synced_for_every_kind_and_the_slo_pages() -> None:
    """Gitea stopped for 22 minutes: every resource goes Synced=False within a minute, so GiteaResourceNotSynced fires
    (after its `for`) for each kind with resources, and the reconcile SLO's fast burn (every resource failing is a
    burn far above 14.4x) fires: it pages. Both stop with the recovery: NotSynced is no longer firing at the end of
    the recovered phase (every resource was Synced again 30 s after Gitea came back in this recording)."""
    r = rec("gitea-down")
    result = fired("gitea-down")
    down = result["gitea-down"]
    kinds = {ls.get(managed.KIND_LABEL) for ls in down.instances("GiteaResourceNotSynced")}
    assert kinds == _kinds_recorded(r), down
    firing = {f.labels[managed.KIND_LABEL]: f for f in down.firing_at_end("GiteaResourceNotSynced")}
    for kind in _kinds_recorded(r):
        count = r.meta["resources"][kind]
        assert firing[kind].annotations["description"].startswith(f"{count} {kind} resource(s)"), firing[kind]
        assert firing[kind].labels["severity"] == "critical"
    slo = next(d for d in slo_defs(recorded_config(r)) if d.key == "reconcile")
    assert f"{slo.alert_prefix}FastBurn" in down.during, down
    assert "GiteaResourceNotSynced" not in result["recovered"].at_end, result["recovered"]


@needs
def test_one_failing_resource_is_named_and_burns_no_fast_budget() -> None:
    """A Repository whose owner does not exist, among 22 healthy resources: GiteaResourceNotSynced fires for
    Repository and names it; nothing else fires. One resource of 23 (4 %) stays under the fast-burn thresholds
    (14.4x and 6x a 1 % budget); the slow burn (3x over 1d and 2h, `for` 15m) could not fire in the recording's 14
    minutes."""
    result = fired("one-failing")
    failing = result["one-failing"]
    assert failing.during == ["GiteaResourceNotSynced"], failing
    (alert,) = failing.firing_at_end("GiteaResourceNotSynced")
    assert alert.labels[managed.KIND_LABEL] == "Repository"
    assert f"{RESOURCE_NAMESPACE}/{FAILING_OWNER}-orphan (ReconcileError)" in alert.annotations["description"], alert


@needs
def test_synthesized_resource_state_series_are_what_the_generated_config_exports() -> None:
    """tests/realstack/kube_state.py: every synthesized series is a metric of the catalog with its labels (plus the
    scrape's job, instance and cluster), one per resource, condition type and (status, reason) stint; a resource's
    old series gets a staleness marker when its condition changes."""
    from tests.realstack.kube_state import condition_series

    r = rec("gitea-down")
    config = recorded_config(r)
    series = condition_series(r, config)
    metric = catalog.lookup(managed.metric(managed.CONDITION))
    assert metric is not None
    allowed = set(metric.labels) | {"job", "instance", config.cluster_label, "namespace"}
    names = set()
    for s in series:
        name, labels = parse_series(s["series"])
        assert name == metric.name and set(labels) <= allowed, s["series"]
        assert labels["job"] == config.resource_state.job and labels["namespace"] == RESOURCE_NAMESPACE
        names.add((labels[managed.KIND_LABEL], labels["name"]))
    assert len(names) == sum(r.meta["resources"].values())
    # Repository/infra-app01: Synced True, then False (Gitea down), then True again: the False series ends stale.
    synced = {parse_series(s["series"])[1]["status"]: s["values"].split() for s in series
              if 'name="infra-app01"' in s["series"] and 'type="Synced"' in s["series"]}
    assert set(synced) == {"True", "False"}
    false = synced["False"]
    last = max(i for i, v in enumerate(false) if v not in ("_", "stale"))
    assert false[last + 1] == "stale" and synced["True"][last + 1] not in ("_", "stale")


@needs
def test_the_failure_ratio_alert_sees_the_recorded_outage_and_resolves() -> None:
    """Re-decided on these recordings (#27): over its 30m window the failure ratio holds every backed-off resource's
    attempts, so it fires while Gitea is down, and is no longer firing at the end of the recovery."""
    result = fired("gitea-down")
    assert "GiteaProviderReconcileFailureRatioHigh" in result["gitea-down"].during, result
    assert "GiteaProviderReconcileFailureRatioHigh" not in result["recovered"].at_end, result


@needs
def test_replay_detects_a_firing_alert() -> None:
    """The replay can see an alert fire: the recorded provider ran without --leader-election, so it exports no
    leader_election_master_status; a build that expects a leader pages about it on the healthy recording."""
    from tests.realstack.replay import fired_per_phase

    recording = rec("healthy")
    base = Config()
    config = dataclasses.replace(base, provider=dataclasses.replace(base.provider, leader_election=True))
    got = fired_per_phase(recording, config, _promtool())
    assert any("Leader" in a for a in got["healthy"].at_end), got


# -- per phase: the result mix, retries, depth, the back-off --------------------------------------------------------
MIX_TOLERANCE = 0.10  # absolute difference of each result's share of a controller's reconciles in a phase


def managed_controllers(recording: Recording) -> list[str]:
    """Managed controllers that reconciled anything in the recording (the webhook controller has no resources)."""
    out = []
    for k, v in recording.select("controller_runtime_reconcile_total").items():
        c = parse_series(k)[1]["controller"]
        if c.startswith("managed/") and (v[-1] or 0) > 0 and c not in out:
            out.append(c)
    return sorted(out)


def shares(counts: dict[str, float]) -> dict[str, float]:
    total = sum(counts.values())
    return {r: n / total for r, n in counts.items()} if total else {}


def sim_increase(mode: str, seconds: int, controller: str) -> dict[str, float]:
    start, end = sim_samples(mode, 1), sim_samples(mode, seconds + 1)
    out = {}
    for k, v in end.items():
        n, ls = parse_series(k)
        if n == "controller_runtime_reconcile_total" and ls["controller"] == controller:
            out[ls["result"]] = v - start.get(k, 0.0)
    return out


@needs
def test_healthy_result_mix() -> None:
    """Healthy: every managed reconcile ends in requeue_after (the poll); the providerconfig controller says success."""
    r = rec("healthy")
    phase = r.phase("healthy")
    for c in [*managed_controllers(r), "providerconfig.gitea.crossplane.io"]:
        real = {res: r.increase("controller_runtime_reconcile_total", phase, controller=c, result=res)
                for res in ("success", "error", "requeue", "requeue_after")}
        if not sum(real.values()):
            continue  # nothing happened to it in the phase (providerconfig: no change, no requeue)
        simulated = shares(sim_increase("healthy", 120, c))
        for res, share in shares(real).items():
            assert abs(simulated.get(res, 0.0) - share) <= MIX_TOLERANCE, (c, res, share, simulated)


@needs
def test_retries_count_every_delayed_add() -> None:
    """workqueue_retries_total counts every add with a delay, healthy polls included: for managed controllers in the
    healthy phase it equals workqueue_adds_total within 10 %, in the recording and in the simulator."""
    r = rec("healthy")
    phase = r.phase("healthy")
    simulated = sim_samples("healthy", 120)
    for c in managed_controllers(r):
        adds = r.increase("workqueue_adds_total", phase, name=c)
        retries = r.increase("workqueue_retries_total", phase, name=c)
        assert adds > 0 and abs(retries - adds) <= 0.1 * adds, (c, adds, retries)
        key = f'{{controller="{c}",name="{c}"}}'
        assert abs(simulated["workqueue_retries_total" + key] - simulated["workqueue_adds_total" + key]) <= (
            0.1 * simulated["workqueue_adds_total" + key]), c


@needs
def test_depth_stays_zero_while_items_back_off() -> None:
    """Items waiting out their back-off are not in the queue: depth stays (near) 0 through the outage, and the
    simulator's gitea_down mode says the same."""
    r = rec("gitea-down")
    idx = r.phase("gitea-down").indexes(r.times)
    depth = max((v[i] or 0) for v in r.select("workqueue_depth").values() for i in idx)
    assert depth <= 1, depth
    simulated = [v for k, v in sim_samples("gitea_down", 300).items() if k.startswith("workqueue_depth")]
    assert max(simulated) <= 1


COUNT_TOLERANCE = 0.15  # relative: failed reconciles per resource over the outage, model vs recording
RECOVERY_TOLERANCE = 45.0  # seconds: 2 scrapes + the recorder's condition poll, time until every resource is back
KIND_OF = {"managed/repository": "Repository", "managed/organization": "Organization", "managed/user": "User"}


def model_outage(recording: Recording, controller: str, items: int) -> tuple[dict[str, int], float]:
    """The simulator's per-item schedule over the recorded outage. The recorded resources were created together, so
    their polls are in step: the model's first failure is placed in the scrape interval where the recording's first
    failed reconcile of `controller` is. Returns the results counted during the outage and when (seconds after
    Gitea came back) the last resource is reconciled, successfully, again."""
    down, back = recording.phase("gitea-down"), recording.phase("recovered")
    per = recording.per_scrape("controller_runtime_reconcile_total", down, controller=controller, result="requeue")
    idx = down.indexes(recording.times)
    first = next(j for j, n in enumerate(per) if n)
    s = sim.ItemSchedule(items)
    s.due = [(recording.times[idx[first]] + recording.times[idx[first + 1]]) / 2] * items
    s.now = down.start
    counts = s.advance(back.start, lambda _i: True)
    return counts, max(s.due) - back.start


def recovered_after(recording: Recording, kind: str) -> float | None:
    """Seconds from Gitea's restart until the last resource of `kind` is Synced again (from the conditions)."""
    back = recording.phase("recovered").start
    last: dict[str, float] = {}
    for t, res, ctype, status, *_ in recording.conditions:
        if res.startswith(kind + "/") and ctype == "Synced" and status == "True" and t >= back:
            last[res] = min(last.get(res, t), t)
    n = recording.meta["resources"][kind]
    return max(last.values()) - back if len(last) >= n else None


@needs
def test_outage_back_off_matches_the_per_item_schedule() -> None:
    """Gitea down: each resource's failed reconciles (`requeue`) back off on their own, 5 ms doubling to the 1000 s
    cap (controller-runtime's per-item limiter): the count per resource over the outage, and how long after Gitea
    is back the last resource recovers, match sim.ItemSchedule within the stated tolerances."""
    r = rec("gitea-down")
    down = r.phase("gitea-down")
    checked = 0
    for c, kind in KIND_OF.items():
        n = r.meta["resources"][kind]
        real = r.increase("controller_runtime_reconcile_total", down, controller=c, result="requeue") / n
        counts, recovered = model_outage(r, c, n)
        model = counts["requeue"] / n
        assert abs(real - model) <= COUNT_TOLERANCE * model, (c, real, model)
        assert r.increase("controller_runtime_reconcile_total", down, controller=c, result="requeue_after") <= n, c
        got = recovered_after(r, kind)
        assert got is not None, f"not every {kind} recovered within the recording"
        assert abs(got - recovered) <= RECOVERY_TOLERANCE, (kind, got, recovered)
        checked += 1
    assert checked == 3


@needs
def test_the_simulator_gitea_down_mode_thins_out() -> None:
    """The simulator's gitea_down mode (ItemSchedule) fails less and less often, as recorded: the second half of the
    outage holds a small share of its failed reconciles, in both."""
    r = rec("gitea-down")
    down = r.phase("gitea-down")
    per = r.per_scrape("controller_runtime_reconcile_total", down, controller="managed/repository", result="requeue")
    half = len(per) // 2
    real_late = sum(per[half:]) / sum(per)
    s = sim.ItemSchedule(sim.SCHEDULED_ITEMS)
    first = s.advance(down.end - down.start - (down.end - down.start) / 2, lambda _i: True)["requeue"]
    second = s.advance(down.end - down.start, lambda _i: True)["requeue"]
    assert real_late < 0.2 and second / (first + second) < 0.2, (real_late, second / (first + second))


@needs
def test_a_failing_create_backs_off_four_times_per_step() -> None:
    """One Repository whose owner does not exist, among healthy ones: its failed creates come in steps whose gaps
    grow about x4 (two rate-limited reconciles per step: the create rewrites the external-create annotations),
    as sim.ItemSchedule(attempts_per_failure=2) has it; over the phase the counts agree within COUNT_TOLERANCE
    (+1: the create event's own reconcile). Nothing else fails: the healthy resources keep polling."""
    r = rec("one-failing")
    phase = r.phase("one-failing")
    per = r.per_scrape("controller_runtime_reconcile_total", phase, controller="managed/repository", result="requeue")
    steps = [i for i, n in enumerate(per) if n]
    gaps = [b - a for a, b in zip(steps[1:], steps[2:], strict=False)]  # the first step fills one scrape
    assert len(gaps) >= 2 and all(3 <= b / a <= 5 for a, b in zip(gaps, gaps[1:], strict=False)), (steps, gaps)
    s = sim.ItemSchedule(1, attempts_per_failure=2)
    s.due = [0.0]
    model = s.advance(phase.end - phase.start, lambda _i: True)["requeue"]
    real = sum(per)
    assert abs(real - model) <= COUNT_TOLERANCE * model + 1, (real, model)
    healthy = r.phase("healthy")
    polls = r.increase("controller_runtime_reconcile_total", phase, controller="managed/repository", result="requeue_after")
    per_minute = polls / ((phase.end - phase.start) / 60)
    assert abs(per_minute - r.meta["resources"]["Repository"]) <= 2, (per_minute, healthy)


@needs
def test_the_worker_is_mostly_idle_when_healthy() -> None:
    """One worker, a few milliseconds a minute per resource: busy in at most a fifth of healthy scrapes, recorded and
    simulated (more and the saturation alert could fire on a healthy provider)."""
    r = rec("healthy")
    idx = r.phase("healthy").indexes(r.times)
    for values in r.select("controller_runtime_active_workers").values():
        assert sum(bool(values[i]) for i in idx) <= len(idx) / 5
    busy = 0
    replica = sim.Replica(0, DEFAULT_CONTROLLERS, leader_election=False)
    for _ in range(200):
        replica.tick("healthy", True, 1.0)
        busy += replica.active.labels("managed/repository")._value.get() > 0
    assert busy <= 200 / 5
