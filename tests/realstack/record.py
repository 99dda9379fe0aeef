"""Record the real provider: its /metrics every 15 s and its managed resources' conditions, over a scenario.

    sudo .venv/bin/python -m tests.realstack.record --scenario healthy --out tests/recordings/healthy/

Runs the real stack (tests/realstack/stack.py) in a private network namespace, creates the base resources
(2 Organizations, 8 Users, 12 Repositories), then plays the scenario's phases. The recording
(recording.json, format in tests/recordings/README.md) keeps only the provider's controller-runtime,
work-queue, leader-election and client-go series, per scrape, run-length encoded, plus every change of a
managed resource's conditions. `--scale 0.1` shortens every phase (a smoke run; not for committing).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.realstack.stack import NETNS_ENV, PROVIDER_METRICS, RESOURCE_NAMESPACE, Stack, in_netns, runtime_provider_args
from tests.realstack.tools import locate

SCRAPE_SECONDS = 15.0
KEEP = re.compile(r"^(controller_runtime_|workqueue_|leader_election_|rest_client_requests_total)")
KINDS = {  # kind -> (kind key for tests.realstack.kube, apiVersion)
    "Organization": ("Organization.organization.gitea.m.crossplane.io", "organization.gitea.m.crossplane.io/v2"),
    "User": ("User.user.gitea.m.crossplane.io", "user.gitea.m.crossplane.io/v2"),
    "Repository": ("Repository.repository.gitea.m.crossplane.io", "repository.gitea.m.crossplane.io/v2"),
}
PC_REF = {"kind": "ProviderConfig", "name": "default"}
FAILING_OWNER = "no-such-org"  # a Repository whose owner does not exist in Gitea: its create fails for good


def _obj(kind: str, name: str, external: str, for_provider: dict) -> dict:
    return {"apiVersion": KINDS[kind][1], "kind": kind,
            "metadata": {"name": name, "namespace": RESOURCE_NAMESPACE,
                         "annotations": {"crossplane.io/external-name": external}},
            "spec": {"forProvider": for_provider, "providerConfigRef": PC_REF}}


def organization(name: str) -> dict:
    return _obj("Organization", name, name, {"username": name, "fullName": name.title(), "visibility": "public"})


def user(name: str) -> dict:
    return _obj("User", name, name, {"username": name, "email": f"{name}@example.com", "password": "Realstack-pw-1234",
                                     "mustChangePassword": False, "sendNotify": False})


def repository(owner: str, name: str) -> dict:
    # The external name is owner/name: the provider's Observe splits it (internal/controller/repository).
    return _obj("Repository", f"{owner}-{name}", f"{owner}/{name}", {"name": name, "owner": owner, "private": False,
                                                                    "autoInit": False})


BASE_ORGS = ("platform", "infra")
BASE = ([organization(o) for o in BASE_ORGS] + [user(f"dev{i:02d}") for i in range(1, 9)]
        + [repository(BASE_ORGS[i % 2], f"app{i:02d}") for i in range(1, 13)])


@dataclass
class Phase:
    name: str
    seconds: float
    start: Callable[[Stack], str] | None = None  # what it does to the stack; returns a description


def stop_gitea(stack: Stack) -> str:
    """The faults below are shared with the real-stack e2e (tests/realstack/e2e.py)."""
    stack.stop_gitea()
    return "Gitea stopped (SIGTERM)"


def start_gitea(stack: Stack) -> str:
    stack.start_gitea(first=False)
    return "Gitea started again"


def add_failing(stack: Stack) -> str:
    stack.kube.create(repository(FAILING_OWNER, "orphan"))
    return f"Repository {FAILING_OWNER}/orphan created (its owner does not exist)"


def burst(stack: Stack) -> str:
    for i in range(1, 51):
        stack.kube.create(repository("platform", f"burst{i:02d}"))
    return "50 Repositories created at once"


SCENARIOS: dict[str, list[Phase]] = {
    "healthy": [Phase("healthy", 600)],
    "gitea-down": [Phase("healthy", 180), Phase("gitea-down", 1320, stop_gitea), Phase("recovered", 1080, start_gitea)],
    "one-failing": [Phase("healthy", 120), Phase("one-failing", 840, add_failing)],
    "burst-50": [Phase("healthy", 120), Phase("burst", 600, burst)],
}


def parse(text: str) -> dict[str, float]:
    """The kept series of one exposition: 'name{a="1",b="2"}' (labels sorted) -> value."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if KEEP.match(s.name):
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                out[f"{s.name}{{{labels}}}"] = s.value
    return out


def conditions(stack: Stack) -> dict[str, dict[str, tuple[str, str, str]]]:
    """kind/name -> condition type -> (status, reason, message) of every managed resource."""
    out = {}
    for kind, (key, _) in KINDS.items():
        for item in stack.kube.list(key, RESOURCE_NAMESPACE):
            conds = item.get("status", {}).get("conditions", [])
            out[f"{kind}/{item['metadata']['name']}"] = {
                c["type"]: (c.get("status", ""), c.get("reason", ""), (c.get("message") or "")[:200]) for c in conds}
    return out


def _number(v: float) -> str:
    return str(int(v)) if v == int(v) and abs(v) < 1e15 else f"{v:.6g}"


def rle(values: list[float | None]) -> str:
    """'3 3 3 4' -> '3*3 4'; a missing sample is '_'."""
    out: list[str] = []
    prev, count = None, 0
    for v in [("_" if v is None else _number(v)) for v in values] + [None]:
        if v == prev:
            count += 1
            continue
        if prev is not None:
            out.append(prev if count == 1 else f"{prev}*{count}")
        prev, count = v, 1
    return " ".join(out)


def compact(scrapes: list[tuple[float, dict[str, float]]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Series -> RLE values; histogram buckets equal to the next lower bucket in every scrape are left out
    (lossless: a missing bucket has the value of the nearest lower one). Returns (series, all bucket bounds
    per histogram series without `le`)."""
    names = sorted({k for _, s in scrapes for k in s})
    columns = {k: [s.get(k) for _, s in scrapes] for k in names}
    buckets: dict[str, list[tuple[float, str]]] = {}
    for k in names:
        m = re.match(r'^(\w+_bucket)\{(.*)\}$', k)
        if m:
            labels = m.group(2).split(",")
            le = next(x for x in labels if x.startswith('le="'))
            rest = ",".join(x for x in labels if x != le)
            buckets.setdefault(f"{m.group(1)}{{{rest}}}", []).append((float(le[4:-1]), k))
    bounds: dict[str, list[str]] = {}
    for hist, items in buckets.items():
        items.sort()
        bounds[hist] = [_number(le) if le != float("inf") else "+Inf" for le, _ in items]
        kept = None
        for _, k in items:
            if kept is not None and columns[k] == columns[kept] and not k.endswith('le="+Inf"}'):
                del columns[k]
            else:
                kept = k
    return {k: rle(v) for k, v in columns.items()}, bounds


def record(scenario: str, out: Path, scale: float, provider_args: list[str], monitoring_config=None) -> None:  # noqa: ANN001
    found, why = locate(optional=("kube-state-metrics",))
    if not found:
        sys.exit(why)
    phases = SCENARIOS[scenario]
    stack = Stack(found, log=lambda m: print(f"[record {scenario}] {m}", flush=True))
    scrapes: list[tuple[float, dict[str, float]]] = []
    changes: list[list] = []
    last: dict[str, dict[str, tuple[str, str, str]]] = {}
    marks: list[dict] = []
    alert_changes: list[list] = []
    alert_state: dict[str, str] = {}
    t0 = 0.0

    def scrape() -> None:
        now = time.monotonic() - t0
        try:
            scrapes.append((round(now, 1), parse(requests.get(PROVIDER_METRICS, timeout=10).text)))
        except requests.RequestException as exc:
            scrapes.append((round(now, 1), {}))
            stack.log(f"scrape failed: {type(exc).__name__}")
        for res, conds in sorted(conditions(stack).items()):
            for ctype, value in sorted(conds.items()):
                if last.get(res, {}).get(ctype) != value:
                    changes.append([round(now, 1), res, ctype, *value])
            last[res] = conds
        if stack.prom_url:
            try:
                now_alerts = stack.alerts()
            except requests.RequestException:
                now_alerts = alert_state
            for name in sorted(set(now_alerts) | set(alert_state)):
                if now_alerts.get(name, "inactive") != alert_state.get(name, "inactive"):
                    alert_changes.append([round(now, 1), name, now_alerts.get(name, "inactive")])
            alert_state.clear()
            alert_state.update(now_alerts)

    def wait_until(deadline: float, ready_check: Callable[[], bool] | None = None) -> None:
        nxt = (len(scrapes)) * SCRAPE_SECONDS
        while True:
            now = time.monotonic() - t0
            if now >= deadline or (ready_check and ready_check()):
                return
            if now >= nxt:
                scrape()
                nxt += SCRAPE_SECONDS
            time.sleep(max(0.0, min(nxt, deadline) - (time.monotonic() - t0)))

    def all_ready() -> bool:
        return len(last) >= len(BASE) and all(c.get("Ready", ("",))[0] == "True" for c in last.values())

    try:
        stack.start(provider_args, ksm=found.kube_state_metrics.is_file())
        if monitoring_config is not None:
            stack.start_monitoring(monitoring_config)
        t0 = time.monotonic()
        scrape()
        marks.append({"phase": "setup", "at": 0.0, "did": f"{len(BASE)} resources created"})
        for obj in BASE:
            stack.kube.create(obj)
        wait_until(600 * max(scale, 0.5), all_ready)
        if not all_ready():
            stack.log("not every base resource became Ready within the setup time; recording anyway")
        # Phases start on a scrape boundary so that each phase's first sample is its own.
        start = len(scrapes) * SCRAPE_SECONDS
        wait_until(start)
        for phase in phases:
            at = time.monotonic() - t0
            did = phase.start(stack) if phase.start else ""
            stack.log(f"phase {phase.name} at {at:.0f}s{': ' + did if did else ''}")
            marks.append({"phase": phase.name, "at": round(at, 1), "did": did})
            start += phase.seconds * scale
            wait_until(start)
        scrape()
    finally:
        provider_log = stack.logs("provider", tail=20)
        stack.close()
    series, bounds = compact(scrapes)
    v = found.versions
    recording = {
        "meta": {
            "scenario": scenario,
            "provider": f"rossigee/provider-gitea {v['PROVIDER_VERSION']} (v0.10.1+2, built from "
                        f"../shared/upstream/{v['PROVIDER_TARBALL']})",
            "provider_args": provider_args,
            "gitea": v["GITEA_VERSION"], "kubernetes": v["KUBERNETES_VERSION"], "etcd": v["ETCD_VERSION"],
            "scrape_interval_seconds": SCRAPE_SECONDS,
            "scale": scale,
            "resources": {kind: sum(o["kind"] == kind for o in BASE) for kind in KINDS},
            "crds_rejected": stack.crds_rejected,
            "phases": marks,
            "command": f"sudo .venv/bin/python -m tests.realstack.record --scenario {scenario} --out {out}",
            "format": "tests/recordings/README.md",
        },
        "t": [t for t, _ in scrapes],
        "buckets": bounds,
        "series": series,
        "conditions": changes,
    }
    if monitoring_config is not None:
        recording["alerts"] = alert_changes  # [t, alertname, pending|firing|inactive] on a real Prometheus
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "recording.json.tmp"
    tmp.write_text(json.dumps(recording, indent=0, sort_keys=True) + "\n")
    tmp.replace(out / "recording.json")
    print(f"[record {scenario}] wrote {out / 'recording.json'} ({(out / 'recording.json').stat().st_size} bytes, "
          f"{len(scrapes)} scrapes, {len(series)} series)\nprovider log tail:\n{provider_log}", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--scale", type=float, default=1.0, help="multiply every phase's length (smoke runs)")
    p.add_argument("--config", help="our config file: the provider gets the args its runtime config gives")
    p.add_argument("--with-prometheus", action="store_true",
                   help="also run Prometheus and Alertmanager with the config's build (scrape every 15 s; leader "
                        "election as the provider's args have it) and record the alerts' states")
    a = p.parse_args(argv)
    if not os.environ.get(NETNS_ENV):
        return in_netns([sys.executable, "-m", "tests.realstack.record", *(argv or sys.argv[1:])])
    args = runtime_provider_args(a.config)
    monitoring = None
    if a.with_prometheus:
        import dataclasses

        from gitea_provider_monitoring.model.config import load_config

        base = load_config(a.config)
        monitoring = dataclasses.replace(base, scrape_interval="15s", provider=dataclasses.replace(
            base.provider, leader_election=any(x in ("--leader-election", "-l", "--leader-election=true") for x in args)))
    record(a.scenario, a.out.resolve(), a.scale, args, monitoring)
    return 0


if __name__ == "__main__":
    sys.exit(main())
