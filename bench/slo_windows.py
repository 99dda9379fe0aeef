"""The SLO's long windows (1d, 3d and the 30d period) on 30 days of data: what each evaluation costs.

bench/scale.py keeps 24 h of history, so its SLO windows longer than that read 24 h and the 30d window's
cost is an extrapolation. This one writes 30 days of the recorded SLO ratios alone for N installations (3
SLOs each: reconcile, Gitea availability, Gitea latency), one sample a minute as the 1m rule group writes
them, turns them into blocks with `promtool tsdb create-blocks-from openmetrics`, and times each way of
computing a long window on a real Prometheus (instant queries at the end of the data, engine time from
`stats=all`, median of --repeats):

- `avg_over_time(<5m ratio>[w])`: the mean of the 5m ratio, every sample of the window (Sloth, Pyrra);
- `avg_over_time(<1h ratio>[w:1h])`: a subquery picking the 1h ratio once an hour;
- `avg_over_time(<1h ratio sampled hourly>[w]) or <1h ratio>`: the 1h ratio recorded by a group with
  `interval: 1h` (what alerts/slo.py records; the 1h ratio stands in until the first hourly sample).

It prints engine time per window and per minute (the SLO groups run every minute), as a share of that minute,
and how far the hourly means stray from the mean of every sample. Numbers only; run it niced.
Usage: python bench/slo_windows.py [--installations 100] [--days 30] [--repeats 10] [--work DIR]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import Prometheus, _run, tool  # noqa: E402  (bench/scale.py: the pinned Prometheus 3, niced)

SLOS = ("reconcile", "gitea_api_availability", "gitea_api_latency")
WINDOWS = ("1d", "3d", "30d")
DAY = 86400


def ratio(k: int, seed: int) -> float:
    """A 5m error ratio around 0.1%, different every minute (real ratios do not compress to nothing)."""
    return 0.0005 + ((k * 2654435761 + seed * 40503) % 1000) / 1e6


def write_day(path: Path, n: int, start: int, day: int) -> int:
    """One day of the three series per SLO and installation: 5m ratio and 1h ratio every minute, and the 1h
    ratio once an hour (what an `interval: 1h` group records). Returns the sample count."""
    k0, k1 = day * 1440, (day + 1) * 1440
    samples = 0
    with path.open("w", buffering=1 << 22) as out:
        for i in range(n):
            for j, slo in enumerate(SLOS):
                seed = i * len(SLOS) + j
                labels = f'{{cluster="c{i:03d}",namespace="gitea-system",slo="{slo}"}}'
                window = [ratio(k, seed) for k in range(k0 - 59, k0)]  # the hour before this day
                total = sum(window)
                r5, r1h, hourly = [], [], []
                for k in range(k0, k1):
                    value = ratio(k, seed)
                    total += value - (window.pop(0) if len(window) == 60 else 0.0)
                    window.append(value)
                    t = start + k * 60
                    r5.append(f"{value!r} {t}\n")
                    r1h.append(f"{total / len(window)!r} {t}\n")
                    if k % 60 == 0:
                        hourly.append(f"{total / len(window)!r} {t}\n")
                for name, tails in (("slo_errors:ratio_rate5m", r5), ("slo_errors:ratio_rate1h", r1h),
                                    ("slo_errors:ratio_rate1h_hourly", hourly)):
                    head = f"{name}{labels} "
                    out.write(head + head.join(tails))
                    samples += len(tails)
        out.write("# EOF\n")
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/slo_windows.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--installations", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--work", help="working directory (default: a temporary one, removed)")
    args = parser.parse_args(argv)
    if not (tool("prometheus") and tool("promtool")):
        print("bench/slo_windows.py: prometheus/promtool not found: run `make tools`", file=sys.stderr)
        return 2
    work = Path(args.work or tempfile.mkdtemp(prefix="gitea-slo-"))
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    end = (int(time.time()) // DAY) * DAY  # whole days, all in blocks, the newest ending at most a day ago
    start = end - args.days * DAY
    prom = None
    try:
        samples = 0
        for day in range(args.days):
            text = work / f"day{day}.om"
            samples += write_day(text, args.installations, start, day)
            _run([tool("promtool"), "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=24h",
                  str(text), str(data)], f"promtool create-blocks-from openmetrics (day {day})")
            text.unlink()
        print(f"wrote {samples:,} samples ({args.installations} installations x {len(SLOS)} SLOs, {args.days} days) "
              f"in {time.monotonic() - started:.0f}s", file=sys.stderr)
        prom = Prometheus(data, {"global": {"scrape_interval": "1m"}}, work / "prometheus.log", niceness=0)
        at = end - 60
        ways = {
            "5m ratio, every sample": "avg_over_time(slo_errors:ratio_rate5m[{w}])",
            "1h ratio, hourly subquery": "avg_over_time(slo_errors:ratio_rate1h[{w}:1h])",
            # As alerts/slo.py writes it: the 1h ratio stands in until a series has an hourly sample.
            "1h ratio recorded hourly": "avg_over_time(slo_errors:ratio_rate1h_hourly[{w}]) or slo_errors:ratio_rate1h",
        }
        windows = [w for w in WINDOWS if int(w[:-1]) <= args.days]
        times: dict[tuple[str, str], float] = {}
        values: dict[tuple[str, str], dict[str, float]] = {}
        for way, template in ways.items():
            for w in windows:
                expr = template.format(w=w)
                prom.query(expr, end=at)  # warm-up
                times[way, w] = statistics.median(prom.query(expr, end=at)[2] for _ in range(args.repeats))
                result = requests.get(prom.url + "/api/v1/query", params={"query": expr, "time": at},
                                      timeout=600).json()["data"]["result"]
                values[way, w] = {r["metric"]["cluster"] + r["metric"]["slo"]: float(r["value"][1]) for r in result}
        series = args.installations * len(SLOS)
        print(f"\nEngine time per evaluation (median of {args.repeats}), {series} SLO series "
              f"({args.installations} installations), {args.days} days kept:")
        print("| way | " + " | ".join(windows) + " | these windows, per minute | share of the minute |")
        print("|---|" + "---|" * (len(windows) + 2))
        for way in ways:
            total = sum(times[way, w] for w in windows)
            print(f"| {way} | " + " | ".join(f"{times[way, w] * 1000:.1f} ms" for w in windows)
                  + f" | {total * 1000:.1f} ms | {total / 60:.2%} |")
        first = next(iter(ways))
        for way in list(ways)[1:]:
            worst = max(abs(values[way, w][k] - v) / v for w in windows for k, v in values[first, w].items())
            print(f"{way}: largest relative difference from every sample's mean {worst:.2%}")
    finally:
        if prom:
            prom.stop()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nbench/slo_windows.py --installations {args.installations} --days {args.days}: "
          f"{time.monotonic() - started:.0f}s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
