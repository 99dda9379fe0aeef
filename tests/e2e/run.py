"""`make e2e`: every scenario on a real Prometheus and Alertmanager, then the dashboard panel report, then
the multi-cluster scenarios (three agent-mode Prometheus remote-writing into a central one).

Prints a Markdown table (scenario, expected alerts, fired, receiver, detection latency vs bound,
resolved) and the panels that returned no data while healthy. Exit code 1 when anything is off.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from gitea_provider_monitoring.check.promtool import pair_for, select
from tests.e2e import multicluster
from tests.e2e.harness import SCENARIOS, Environment, panel_report, run, table, wait_quiet, warm_up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.run", description=__doc__)
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="run only scenarios whose name contains TEXT (repeatable)")
    parser.add_argument("--prometheus-version", default=os.environ.get("PROMETHEUS_VERSION"), metavar="V",
                        help="run on this Prometheus (e.g. 3.13.5, or 3 for the newest 3.x; default: the oldest "
                             "installed, Debian's); env PROMETHEUS_VERSION")
    parser.add_argument("--alertmanager-version", default=os.environ.get("ALERTMANAGER_VERSION"), metavar="V",
                        help="default: the Alertmanager of the same generation; env ALERTMANAGER_VERSION")
    parser.add_argument("--multi-cluster", choices=("yes", "no", "only"), default="yes",
                        help="run the multi-cluster scenarios too (default), not at all, or only them")
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.multi_cluster == "only":
        return multi_cluster(args.only, started)
    scenarios = [s for s in SCENARIOS if not args.only or any(t in s.name for t in args.only)]
    prometheus = select("prometheus", args.prometheus_version)
    alertmanager = select("alertmanager", args.alertmanager_version) if args.alertmanager_version \
        else pair_for(prometheus)
    env = Environment(prometheus=prometheus, alertmanager=alertmanager)
    try:
        print(f"e2e: {prometheus.id} {env.prom_url}, {alertmanager.id if alertmanager else 'alertmanager'} "
              f"{env.am_url}, receiver {env.receiver.url}", flush=True)
        warm_up(env)
        leftover = wait_quiet(env)
        empty, allowed, by_design = panel_report(env)
        results = []
        for sc in scenarios:
            print(f"e2e: scenario: {sc.name}", flush=True)
            results.append(run(env, sc))
            print("  " + table(results[-1:]).splitlines()[-1], flush=True)
    finally:
        env.close()
    print()
    print(table(results))
    print()
    print("Dashboard panels without data in the healthy state:")
    print("  unexpected: " + (", ".join(empty) or "none"))
    print("  allowed (optional metrics only): " + (", ".join(allowed) or "none"))
    print("  empty by design (alert lists): " + (", ".join(by_design) or "none"))
    if leftover:
        print("alerts active in the healthy state: " + ", ".join(leftover))
    print(f"\ne2e: {len(results)} scenarios in {time.monotonic() - started:.0f}s")
    ok = all(r.ok for r in results) and not empty and not leftover
    if args.multi_cluster == "yes":
        ok = multi_cluster(args.only, time.monotonic()) == 0 and ok
    return 0 if ok else 1


def multi_cluster(only: list[str], started: float) -> int:
    """Three clusters into one central Prometheus: per-cluster alerts, routing, inhibition and panels."""
    scenarios = [s for s in multicluster.MULTI_SCENARIOS if not only or any(t in s.name for t in only)]
    env = multicluster.MultiClusterEnvironment()
    results = []
    try:
        print(f"e2e multi-cluster: central Prometheus {env.prom_url}, agents "
              + ", ".join(f"{n} {c.agent_url}" for n, c in env.clusters.items()), flush=True)
        multicluster.warm_up(env)
        leftover = multicluster.wait_quiet(env)
        problems = multicluster.healthy_checks(env)
        for sc in scenarios:
            print(f"e2e multi-cluster: scenario: {sc.name}", flush=True)
            results += multicluster.run(env, sc)
            for line in table(results[-len(sc.faults):]).splitlines()[2:]:
                print("  " + line, flush=True)
    finally:
        env.close()
    print()
    print(table(results))
    print()
    print("Multi-cluster healthy state: cluster variable, inhibition equal, panel data per cluster: "
          + ("; ".join(problems) or "ok"))
    if leftover:
        print("alerts active in the healthy state: " + ", ".join(f"{n}{{{c}}}" for c, n in leftover))
    print(f"\ne2e multi-cluster: {len(scenarios)} scenarios in {time.monotonic() - started:.0f}s")
    return 0 if all(r.ok for r in results) and not problems and not leftover else 1


if __name__ == "__main__":
    sys.exit(main())
