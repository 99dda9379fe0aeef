"""Replay a recording of the real provider through the build's rules with `promtool test rules`, and say which
alerts fired in each phase.

The recorded series become promtool input series (one sample per recorded scrape, at the recording's 15 s
interval; rules evaluated at the config's evaluation_interval) with the target labels Prometheus would add (job,
namespace, pod, the cluster label), plus `up` = 1 for the provider's target. Only the provider's rule files are
loaded: the recording has no exporter or kube-state-metrics series. Per phase, two `promql_expr_test`s ask which
alerts were firing at any evaluation of the phase (`max_over_time(ALERTS{alertstate="firing"}[phase])`) and at its
last evaluation, and expect none; promtool's failure report lists the ones that were, which is what this returns.
No expectation about any particular alert is written here: the tests decide what must (not) fire.
"""
from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.render.compiler import build
from tests.realstack.recording import Recording, parse_series, series_key

PROVIDER_RULE_FILES = ("recording.yaml", "slo.yaml", "provider-alerts.yaml")
POD = "provider-gitea-5f7c9d8b7-aaaaa"


def _values(values: list[float | None]) -> str:
    return " ".join("_" if v is None else (str(int(v)) if v == int(v) else repr(v)) for v in values)


def promtool_test(recording: Recording, config: Config, rule_paths: list[str]) -> dict:
    step = recording.meta["scrape_interval_seconds"]
    target = {"job": config.provider.job, "namespace": config.provider.namespace, "pod": POD,
              config.cluster_label: "replay"}
    # Samples at multiples of the interval: promtool places sample i at i*interval; recorded scrapes are 15 s apart
    # within a second (the recorder's loop), so the index is the time.
    series = [{"series": series_key(name, {**labels, **target}), "values": _values(values)}
              for name, labels, values in ((*parse_series(k), v) for k, v in sorted(recording.series.items()))]
    series.append({"series": series_key("up", target), "values": f"1x{len(recording.times) - 1}"})
    tests = []
    for phase in recording.phases:
        idx = phase.indexes(recording.times)
        if len(idx) < 2:
            continue
        window = int((idx[-1] - idx[0]) * step)
        at = f"{int(idx[-1] * step)}s"
        tests.append({"expr": f'count by (alertname) (max_over_time(ALERTS{{alertstate="firing"}}[{window}s]))',
                      "eval_time": at, "exp_samples": []})
        # Firing at the last evaluation: a sample within one evaluation interval (an instant selector would also
        # see an alert resolved up to 5 minutes before, through the lookback).
        tests.append({"expr": f'count by (alertname) (count_over_time(ALERTS{{alertstate="firing"}}'
                              f'[{config.evaluation_interval}]))', "eval_time": at, "exp_samples": []})
    # Rules are evaluated at the config's evaluation interval, as Prometheus would (`for` and the SLO averages
    # depend on it); the input keeps the recording's scrape interval.
    return {"rule_files": rule_paths, "evaluation_interval": config.evaluation_interval,
            "tests": [{"name": f"replay {recording.name}", "interval": f"{int(step)}s", "input_series": series,
                       "promql_expr_test": tests}]}


FAILED_EXPR = re.compile(r'expr: "count by \(alertname\) \((max_over_time|count_over_time)\(ALERTS.*?", '
                         r'time: ([0-9hms]+),')


def _seconds(promtool_duration: str) -> int:
    """promtool prints eval times as Go durations: 10m30s."""
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([hms])", promtool_duration))


@dataclass
class PhaseAlerts:
    during: list[str]  # firing at some evaluation of the phase
    at_end: list[str]  # firing at the phase's last evaluation


def fired_per_phase(recording: Recording, config: Config, promtool: str) -> dict[str, PhaseAlerts]:
    """phase name -> the alerts that fired in it, with `config`'s build of our rules."""
    with tempfile.TemporaryDirectory(prefix="replay-") as tmp:
        out = Path(tmp) / "build"
        build(config, out)
        rules = out / "prometheus" / "rules"
        paths = [str(rules / f) for f in PROVIDER_RULE_FILES if (rules / f).is_file()]
        test = promtool_test(recording, config, paths)
        path = Path(tmp) / "replay.test.yaml"
        path.write_text(yaml.safe_dump(test, sort_keys=False))
        r = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=600)
        output = r.stdout + r.stderr
        if r.returncode and "FAILED" not in output:
            raise RuntimeError(f"promtool could not run the replay of {recording.name}:\n{output[-3000:]}")
    step = recording.meta["scrape_interval_seconds"]
    during: dict[int, list[str]] = {}
    at_end: dict[int, list[str]] = {}
    # Each failed expression's block runs to the next 'expr:' line.
    for block in re.split(r"(?=\n\s*expr: )", output):
        m = FAILED_EXPR.search(block)
        if m:
            names = sorted(set(re.findall(r'alertname="(\w+)"', block)))
            (during if m.group(1) == "max_over_time" else at_end)[_seconds(m.group(2))] = names
    result: dict[str, PhaseAlerts] = {}
    for phase in recording.phases:
        idx = phase.indexes(recording.times)
        if len(idx) >= 2:
            t = int(idx[-1] * step)
            result[phase.name] = PhaseAlerts(during.get(t, []), at_end.get(t, []))
    return result
