"""`make e2e`: every scenario on a real Prometheus and Alertmanager, then the dashboard panel report.

Prints a Markdown table (scenario, expected alerts, fired, receiver, detection latency vs bound,
resolved) and the panels that returned no data while healthy. Exit code 1 when anything is off.
"""

from __future__ import annotations

import argparse
import sys
import time

from tests.e2e.harness import SCENARIOS, Environment, panel_report, run, table, wait_quiet, warm_up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.run", description=__doc__)
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="run only scenarios whose name contains TEXT (repeatable)")
    args = parser.parse_args(argv)
    scenarios = [s for s in SCENARIOS if not args.only or any(t in s.name for t in args.only)]
    started = time.monotonic()
    env = Environment()
    try:
        print(f"e2e: Prometheus {env.prom_url}, Alertmanager {env.am_url}, receiver {env.receiver.url}", flush=True)
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
    return 0 if all(r.ok for r in results) and not empty and not leftover else 1


if __name__ == "__main__":
    sys.exit(main())
