"""Real-stack end-to-end (issue #27 item 2, #28 item 5): the default build's alerts on the real provider.

    sudo .venv/bin/python -m tests.realstack.e2e                 # every scenario, in parallel (~65 min)
    sudo .venv/bin/python -m tests.realstack.e2e --only gitea    # scenarios whose name contains "gitea"

Each scenario runs a real stack of its own (tests/realstack/stack.py: etcd, kube-apiserver, Gitea, the provider
binary b5b30da with the args our DeploymentRuntimeConfig gives it, our exporter, kube-state-metrics with the
GENERATED custom-resource-state config, Prometheus and Alertmanager with the build of the DEFAULT config; only the
receivers' URLs point at a local webhook receiver) in a network namespace of its own, so all run at once. Time is
not scaled: the provider polls every minute and backs off up to 1000 s, and the alerts keep their default `for`s.

Per scenario: the 22 base resources (2 Organizations, 8 Users, 12 Repositories) are created and become Ready, a
healthy period follows in which nothing may fire, then the fault, then the recovery. The table says what fired,
when against its bound, which receiver got it, and how long resolution took. Bound = scrape interval + evaluation
interval + `for` + the window the alert reads (as tests/e2e/harness.py computes it) + the scenario's lead: how long
the fault takes to reach what the alert reads (e.g. one poll until a resource's next reconcile meets it).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from gitea_provider_monitoring.model import managed, provider_facts
from gitea_provider_monitoring.model.config import duration_seconds, load_config
from gitea_provider_monitoring.render.alertmanager import RECEIVERS
from gitea_provider_monitoring.render.compiler import Model, load_model
from tests.e2e.harness import INHIBITED, Result, detection_bound, table
from tests.realstack import failover
from tests.realstack.record import BASE, FAILING_OWNER, KINDS, burst, conditions, repository, start_gitea, stop_gitea
from tests.realstack.stack import (
    KSM_PORT,
    NETNS_ENV,
    RESOURCE_NAMESPACE,
    Stack,
    exit_on_signals,
    in_netns,
    runtime_provider_args,
)
from tests.realstack.tools import locate

PAGE, CHAT = RECEIVERS["critical"], RECEIVERS["warning"]
FAILING = repository(FAILING_OWNER, "orphan")  # its owner does not exist in Gitea: the create fails for good
UNSERVED = {"apiVersion": "team.gitea.m.crossplane.io/v2", "kind": "Team",  # no controller serves Team (managed.py)
            "metadata": {"name": "developers", "namespace": RESOURCE_NAMESPACE},
            "spec": {"forProvider": {"name": "developers", "organization": "platform"},
                     "providerConfigRef": {"kind": "ProviderConfig", "name": "default"}}}
LIMITED_SCOPES = "write:organization,write:repository"  # no read:user: Gitea answers GET /users/{name} with 403
POKE = "reconcile.crossplane.io/poke"  # any annotation change makes the provider reconcile at once


@dataclass
class Scenario:
    name: str
    fault: Callable[[Stack], str] | None  # what breaks; None: the healthy run
    fault_minutes: float  # how long the fault holds (or the healthy run lasts) while alerts are watched
    recover: Callable[[Stack], str] | None
    expected: dict[str, str] = field(default_factory=dict)  # alert -> receiver, or INHIBITED (fires, never notified)
    allowed: dict[str, str] = field(default_factory=dict)  # alert -> why it may fire too
    lead: dict[str, float] = field(default_factory=dict)  # alert -> seconds the fault needs to reach its inputs
    kinds: dict[str, set[str]] = field(default_factory=dict)  # alert -> the exact kinds its instances must name
    mentions: dict[str, str] = field(default_factory=dict)  # alert -> text its description must contain
    exporter_mode: str = "probe"
    healthy_minutes: float = 3.0
    resolve_minutes: float = 10.0


# -- faults and recoveries -------------------------------------------------------------------------
def _failing_and_unserved(stack: Stack) -> str:
    stack.kube.create(FAILING)
    stack.kube.create(UNSERVED)
    return f"Repository {FAILING['metadata']['name']} (owner missing in Gitea) and a Team (no controller) created"


def poke(stack: Stack) -> int:
    """Annotate every managed resource: the provider reconciles each at once instead of after its back-off (what
    the resource alerts' runbooks tell users to do)."""
    n = 0
    for key, api_version in KINDS.values():
        for item in stack.kube.list(key, RESOURCE_NAMESPACE):
            stack.kube.patch({"apiVersion": api_version, "kind": item["kind"], "metadata": item["metadata"]},
                             {"metadata": {"annotations": {POKE: str(time.time())}}})
            n += 1
    return n


def _fix_failing(stack: Stack) -> str:
    r = requests.post(f"{stack.gitea_url}/api/v1/orgs", json={"username": FAILING_OWNER},
                      headers={"Authorization": f"token {stack.gitea_token}"}, timeout=10)
    r.raise_for_status()
    stack.kube.delete(UNSERVED)
    return f"organization {FAILING_OWNER} created in Gitea, the Team deleted, {poke(stack)} resources poked"


def _revoke(stack: Stack) -> str:
    stack.revoke_token("provider")
    return "the provider's token revoked in Gitea (the exporter probes with the same token)"


def _new_full_token(stack: Stack) -> str:
    stack.use_token(stack.new_token(f"provider-{int(time.time())}", "all"))
    return f"a new token (scope all) in the Secret and the exporter's file, {poke(stack)} resources poked"


def _limited_token(stack: Stack) -> str:
    stack.use_token(stack.new_token("provider-limited", LIMITED_SCOPES))
    return f"the Secret now holds a token with scopes {LIMITED_SCOPES} only (no read:user)"


# -- the scenarios ---------------------------------------------------------------------------------
POLL = provider_facts.POLL_SECONDS
BACKOFF_CAP = provider_facts.BACKOFF_CAP_SECONDS
SERVED_KINDS = set(KINDS)


def scenarios(healthy_minutes: float = 60.0) -> list[Scenario]:
    return [
        Scenario("healthy: 22 resources of 3 kinds", None, healthy_minutes, None, healthy_minutes=0),
        Scenario("50 repositories created at once (exporter as proxy)", burst, 20, None, exporter_mode="both"),
        Scenario(
            "gitea down 22 min (exporter as proxy)", stop_gitea, 22, start_gitea,
            expected={"GiteaAPIDown": PAGE, "GiteaResourceNotSynced": PAGE},
            allowed={"GiteaHealthCheckFailing": "inhibited by GiteaAPIDown",
                     "GiteaAPIErrorRatioHigh": "inhibited by GiteaAPIDown",
                     "GiteaAPIWriteErrorsHigh": "inhibited by GiteaAPIDown",
                     "GiteaProviderReconcileFailureRatioHigh": "inhibited by GiteaAPIDown",
                     "GiteaProviderReconcileSLOFastBurn": "every resource not Synced: the budget burns (critical)",
                     "GiteaProviderReconcileSLOSlowBurn": "the outage spends the budget",
                     "GiteaAPIAvailabilitySLOFastBurn": "Gitea is down: its availability budget burns",
                     "GiteaAPIAvailabilitySLOSlowBurn": "Gitea is down: its availability budget burns"},
            lead={"GiteaResourceNotSynced": POLL},  # each resource meets the outage at its next poll
            kinds={"GiteaResourceNotSynced": SERVED_KINDS},
            exporter_mode="both",
            # back-off up to its cap, then one poll, a scrape and an evaluation
            resolve_minutes=(BACKOFF_CAP + POLL + 120) / 60),
        Scenario(
            "one repository failing for good, one resource of an unserved kind", _failing_and_unserved, 35, _fix_failing,
            expected={"GiteaResourceNotSynced": PAGE, "GiteaResourceNotReady": INHIBITED,
                      "GiteaResourceKindNotServed": INHIBITED},
            allowed={"GiteaProviderReconcileSLOSlowBurn": "1 of 23 resources not Synced on a young install (its 1d "
                                                          "window is the hours it has); inhibited by GiteaResourceNotSynced"},
            kinds={"GiteaResourceNotSynced": {"Repository"}, "GiteaResourceNotReady": {"Repository"},
                   "GiteaResourceKindNotServed": {"Team"}},
            mentions={"GiteaResourceNotSynced": FAILING["metadata"]["name"]}),
        Scenario(
            "provider's token revoked", _revoke, 14, _new_full_token,
            expected={"GiteaAPITokenRejected": PAGE, "GiteaResourceNotSynced": PAGE},
            allowed={"GiteaAPIErrorRatioHigh": "inhibited by GiteaAPITokenRejected",
                     "GiteaProviderReconcileFailureRatioHigh": "inhibited",
                     "GiteaProviderReconcileSLOFastBurn": "every resource not Synced: the budget burns (critical)",
                     "GiteaProviderReconcileSLOSlowBurn": "inhibited by GiteaResourceNotSynced"},
            lead={"GiteaResourceNotSynced": POLL},
            kinds={"GiteaResourceNotSynced": SERVED_KINDS}),
        Scenario(
            "token lacking a scope (read:user)", _limited_token, 18, _new_full_token,
            expected={"GiteaResourceNotSynced": PAGE, "GiteaAPITokenLacksScope": INHIBITED},
            allowed={"GiteaAPIErrorRatioHigh": "inhibited",
                     "GiteaProviderReconcileFailureRatioHigh": "the User controller's reconciles fail; inhibited",
                     "GiteaProviderReconcileSLOFastBurn": "8 of 22 resources not Synced: the budget burns (critical)",
                     "GiteaProviderReconcileSLOSlowBurn": "inhibited by GiteaResourceNotSynced"},
            lead={"GiteaResourceNotSynced": POLL},
            kinds={"GiteaResourceNotSynced": {"User"}}),
    ]


# -- one scenario, inside its network namespace ----------------------------------------------------
LINGER = 30 * 60  # an alert reading a window this long may still fire when a scenario's recovery phase ends


def longest_window(model: Model, name: str) -> float:
    """Seconds of the longest range an alert reads, through the recording rules it uses."""
    records = {r.record: r.expr for rf in model.rule_files for r in rf.records()}
    expr = next(a.expr for rf in model.rule_files for a in rf.alerts() if a.alert == name)
    seen, todo, longest = set(), [expr], 0.0
    while todo:
        e = todo.pop()
        longest = max([longest, *(duration_seconds(w) for w in re.findall(r"\[(\d+[smhdwy])\]", e))])
        for rec, rec_expr in records.items():
            if rec in e and rec not in seen:
                seen.add(rec)
                todo.append(rec_expr)
    return longest


def _firing(prom_url: str) -> list[dict]:
    r = requests.get(prom_url + "/api/v1/alerts", timeout=10)
    return [a for a in r.json()["data"]["alerts"] if a["state"] == "firing"]


def _resources_ready(stack: Stack, expected: int) -> bool:
    conds = conditions(stack)
    return len(conds) >= expected and all(c.get("Ready", ("",))[0] == "True" for c in conds.values())


def run_scenario(sc: Scenario, log: Callable[[str], None]) -> dict:
    """Run `sc` on a fresh stack; the result as a JSON-able dict (a tests.e2e.harness.Result plus notes)."""
    found, why = locate()
    if not found:
        raise SystemExit(why)
    base = load_config(None)
    config = dataclasses.replace(base, exporter=dataclasses.replace(base.exporter, mode=sc.exporter_mode))
    model = load_model(config)
    res = Result(sc.name, dict(sc.expected), cluster="realstack")
    notes: list[str] = []
    stack = Stack(found, log=log)
    # An alert on the exporter's series also waits for a probe round to meet the fault (interval + timeout).
    probe = duration_seconds(config.exporter.interval) + duration_seconds(config.exporter.timeout)
    for name in sc.expected:
        rule = next(a for rf in model.rule_files for a in rf.alerts() if a.alert == name)
        res.bounds[name] = detection_bound(model, config, name, lead=sc.lead.get(name, 0.0),
                                           probe=probe if "gitea_api_" in rule.expr else 0.0)
    try:
        stack.start(runtime_provider_args(), config=config)
        stack.start_monitoring(config)
        for obj in BASE:
            stack.kube.create(obj)
        deadline = time.monotonic() + 600
        while not _resources_ready(stack, len(BASE)) and time.monotonic() < deadline:
            time.sleep(5)
        if not _resources_ready(stack, len(BASE)):
            res.problems.append("the base resources did not all become Ready within 10 minutes")
        log(f"{len(BASE)} resources Ready")
        seen_instances: dict[str, list[dict]] = {}

        def watch(until: float, t0: float, phase: str, on_fire: Callable[[str, float], None]) -> None:
            while time.monotonic() < until:
                now = time.monotonic()
                try:
                    alerts = _firing(stack.prom_url)
                except requests.RequestException:
                    alerts = []
                for a in alerts:
                    name = a["labels"]["alertname"]
                    if all(a["labels"] != b["labels"] for b in seen_instances.get(name, [])):
                        seen_instances.setdefault(name, []).append({"labels": a["labels"],
                                                                    "description": a["annotations"].get("description", ""),
                                                                    "phase": phase})
                    on_fire(name, now - t0)
                for at, receiver, status, name in stack.receiver.since(t0):
                    if status == "firing" and name not in res.notified:
                        res.notified[name] = (receiver, at - t0)
                time.sleep(5)

        healthy_fired: dict[str, float] = {}
        t_healthy = time.monotonic()
        if sc.healthy_minutes:
            log(f"healthy for {sc.healthy_minutes:g} min")
            watch(t_healthy + sc.healthy_minutes * 60, t_healthy, "healthy",
                  lambda n, t: healthy_fired.setdefault(n, t))
        res.notified.clear()
        t0 = time.monotonic()
        if sc.fault:
            notes.append(f"fault: {sc.fault(stack)}")
            log(notes[-1])
        watch(t0 + sc.fault_minutes * 60, t0, "fault", lambda n, t: res.fired.setdefault(n, t))
        notes.append(f"conditions at the end of the fault: {_condition_summary(stack)}")
        if sc.fault is None:  # the healthy run: its whole length is the "fault" phase
            healthy_fired.update(res.fired)
            res.fired.clear()
        for name, at in sorted(healthy_fired.items()):
            res.problems.append(f"{name} fired while healthy ({at:.0f}s in)")
        res.unexpected = sorted(set(res.fired) - set(sc.expected) - set(sc.allowed))
        if res.unexpected:
            res.problems.append("unexpected alerts fired: " + ", ".join(res.unexpected))
        also = sorted(set(res.fired) & set(sc.allowed))
        if also:
            notes.append("also fired (allowed): " + ", ".join(f"{n} {res.fired[n]:.0f}s ({sc.allowed[n]})" for n in also))
        for name, receiver in sc.expected.items():
            if name not in res.fired:
                res.problems.append(f"{name} did not fire within {sc.fault_minutes:g} min")
                continue
            if res.fired[name] > res.bounds[name]:
                res.problems.append(f"{name} fired after {res.fired[name]:.0f}s, beyond its bound {res.bounds[name]:.0f}s")
            got = res.notified.get(name, ("nobody",))[0]
            if receiver == INHIBITED and name in res.notified:
                res.problems.append(f"{name} should be inhibited but reached {got}")
            elif receiver != INHIBITED and got != receiver:
                res.problems.append(f"{name} reached {got}, expected {receiver}")
        for name, kinds in sc.kinds.items():
            named = {i["labels"].get(managed.KIND_LABEL, "") for i in seen_instances.get(name, []) if i["phase"] == "fault"}
            if name in res.fired and named != kinds:
                res.problems.append(f"{name} named kinds {sorted(named)}, expected {sorted(kinds)}")
        for name, text in sc.mentions.items():
            if name in res.fired and not any(text in i["description"] for i in seen_instances.get(name, [])):
                res.problems.append(f"{name}'s description does not name {text}")
        for name, instances in sorted(seen_instances.items()):
            for i in instances[:3]:
                notes.append(f"{name} {i['labels'].get(managed.KIND_LABEL, '')}: {i['description'][:300]}")
        # Recovery: what fired resolves and the receivers hear it, but for alerts over windows as long as the
        # recovery phase (SLO burn rates, the 30m failure ratio): they resolve as their windows slide past the
        # fault, which is said in the notes with their state at the end.
        if sc.recover:
            t1 = time.monotonic()
            notes.append(f"recovery: {sc.recover(stack)}")
            log(notes[-1])
            deadline = t1 + sc.resolve_minutes * 60
            lingering = {n for n in res.fired if longest_window(model, n) >= LINGER}
            must = set(res.fired) - lingering
            notified = {n for n in res.notified if n in must}
            still: set[str] = set()
            while time.monotonic() < deadline:
                got = {name for _, _, status, name in stack.receiver.since(t1) if status == "resolved"}
                try:
                    still = {a["labels"]["alertname"] for a in _firing(stack.prom_url)}
                except requests.RequestException:
                    still = must
                if not (still & must) and notified <= got:
                    res.resolved, res.resolve_seconds = True, time.monotonic() - t1
                    break
                time.sleep(5)
            if not res.resolved:
                res.problems.append(f"not resolved within {sc.resolve_minutes:.0f} min after recovery "
                                    f"(still firing: {', '.join(sorted(still & must)) or 'none'})")
            if lingering:
                notes.append("windowed alerts at the end of the recovery (they resolve as their windows pass the "
                             "fault): " + ", ".join(f"{n} ({'firing' if n in still else 'resolved'}, "
                                                   f"window {longest_window(model, n) / 60:g} min)"
                                                   for n in sorted(lingering)))
        else:
            res.resolved = True
        notes.append(f"kube-state-metrics series per resource: {_ksm_series_per_resource(stack)}")
    finally:
        stack.close()
    return {"result": dataclasses.asdict(res), "notes": notes}


def _condition_summary(stack: Stack) -> str:
    """Per kind: resources, how many are not Synced and not Ready (from the API server, not from the alerts)."""
    by_kind: dict[str, list[dict[str, tuple[str, str, str]]]] = {kind: [] for kind in KINDS}
    for res, conds in conditions(stack).items():
        by_kind[res.split("/", 1)[0]].append(conds)
    return "; ".join(f"{kind} {len(cs)} (not Synced {sum(c.get('Synced', ('',))[0] != 'True' for c in cs)}, "
                     f"not Ready {sum(c.get('Ready', ('',))[0] != 'True' for c in cs)})"
                     for kind, cs in sorted(by_kind.items()))


def _ksm_series_per_resource(stack: Stack) -> str:
    """How many series kube-state-metrics exports per managed resource (kind and name), as min-max."""
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"http://127.0.0.1:{KSM_PORT}/metrics", timeout=10).text
    per: dict[tuple[str, str, str], int] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.startswith(managed.PREFIX) and s.labels.get(managed.KIND_LABEL) in SERVED_KINDS | {"Team"}:
                key = (s.labels[managed.KIND_LABEL], s.labels.get("namespace", ""), s.labels.get("name", ""))
                per[key] = per.get(key, 0) + 1
    if not per:
        return "none"
    return f"{min(per.values())}-{max(per.values())} over {len(per)} resources"


# -- the parent: every scenario at once ------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.realstack.e2e", description=__doc__.splitlines()[0])
    p.add_argument("--only", action="append", default=[], metavar="TEXT",
                   help="run only scenarios whose name contains TEXT (repeatable)")
    p.add_argument("--healthy-minutes", type=float, default=60.0,
                   help="length of the healthy run (default 60: the default build must fire nothing for an hour)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply every phase's length (smoke runs of the harness: alerts with a long `for` then "
                        "cannot fire)")
    p.add_argument("--scenario", help=argparse.SUPPRESS)  # one scenario, inside its namespace (internal)
    p.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--stagger", type=float, default=30.0,
                   help="seconds between scenario starts (start-up is the CPU-heavy part; default 30)")
    a = p.parse_args(argv)
    all_scenarios = [dataclasses.replace(s, healthy_minutes=s.healthy_minutes * a.scale,
                                         fault_minutes=s.fault_minutes * a.scale,
                                         resolve_minutes=s.resolve_minutes * a.scale)
                     for s in scenarios(a.healthy_minutes)]
    if a.scenario:
        sc = next(s for s in all_scenarios if s.name == a.scenario)
        if not os.environ.get(NETNS_ENV):
            return in_netns([sys.executable, "-m", "tests.realstack.e2e", *(argv or sys.argv[1:])])
        exit_on_signals()
        out = run_scenario(sc, lambda m: print(f"[{sc.name[:24]}] {m}", flush=True))
        a.json.write_text(json.dumps(out, indent=1))
        return 0
    found, why = locate()
    if not found:
        print(f"real-stack e2e skipped: {why}")
        return 0
    if os.geteuid() != 0:
        print("real-stack e2e skipped: it needs root for `ip netns add` (the provider binds :8080 on every interface)")
        return 0
    chosen = [s for s in all_scenarios if not a.only or any(t in s.name for t in a.only)]
    # Two replicas with leader election need a topology of their own (tests/realstack/failover.py): run as is.
    failover_wanted = not a.only or any(t in failover.SCENARIO for t in a.only)
    outdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"realstack-e2e-{os.getpid()}"
    outdir.mkdir(parents=True, exist_ok=True)
    procs: list[tuple[Scenario, Path, subprocess.Popen]] = []
    started = time.monotonic()

    def stop_all(signum: int, _frame: object) -> None:
        for _, _, proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop_all)
    try:
        for i, sc in enumerate(chosen):
            if i:
                time.sleep(a.stagger)
            path = outdir / f"{i}.json"
            procs.append((sc, path, subprocess.Popen([sys.executable, "-m", "tests.realstack.e2e", "--scenario", sc.name,
                                                      "--json", str(path), "--healthy-minutes", str(a.healthy_minutes),
                                                      "--scale", str(a.scale)])))
        if failover_wanted:
            time.sleep(a.stagger if procs else 0)
            path = outdir / "failover.json"
            sc = Scenario(failover.SCENARIO, None, 0, None, expected=dict(failover.EXPECTED))
            procs.append((sc, path, subprocess.Popen([sys.executable, "-m", "tests.realstack.failover", "--json", str(path),
                                                      "--healthy", str(180 * a.scale)])))
        for _, _, proc in procs:
            proc.wait()
    except KeyboardInterrupt:
        stop_all(signal.SIGTERM, None)
        for _, _, proc in procs:
            proc.wait()
        raise
    results, notes = [], []
    for sc, path, proc in procs:
        if not path.exists():
            results.append(Result(sc.name, dict(sc.expected), cluster="realstack",
                                  problems=[f"the scenario crashed (exit {proc.returncode}); see its output above"]))
            continue
        out = json.loads(path.read_text())
        r = out["result"]
        r["notified"] = {k: tuple(v) for k, v in r["notified"].items()}
        results.append(Result(**r))
        notes += [f"- {sc.name}: {n}" for n in out["notes"]]
    print()
    print(table(results))
    print()
    print("\n".join(notes))
    print(f"\nreal-stack e2e: {len(results)} scenarios in {time.monotonic() - started:.0f}s")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
