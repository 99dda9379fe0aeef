"""Replay a recording of the real provider through the build's rules with `promtool test rules`, and say which
alerts fired in each phase.

The recorded series become promtool input series (one sample per recorded scrape, at the recording's 15 s
interval; rules evaluated at the config's evaluation_interval) with the target labels Prometheus would add (job,
namespace, pod, the cluster label), plus `up` = 1 for the provider's target. The recorded condition changes become
the kube-state-metrics series the generated resource-state config would have exported (tests/realstack/kube_state.py),
so the resource alerts and the reconcile SLO run too. The Gitea API rule files are not loaded: the recording has no
exporter series. Per phase, `promql_expr_test`s ask which alerts were firing at any evaluation of the phase
(`max_over_time(ALERTS{alertstate="firing"}[phase])`) and at its last evaluation, and an `alert_rule_test` per alert
asks which instances fire at the phase's end (with their rendered annotations); each expects nothing, and promtool's
failure report lists what was there, which is what this returns. No expectation about any particular alert is
written here: the tests decide what must (not) fire.
"""
from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.render.compiler import build
from tests.realstack.kube_state import condition_series
from tests.realstack.recording import Recording, parse_series, series_key

RULE_FILES = ("recording.yaml", "slo.yaml", "provider-alerts.yaml", "resource-alerts.yaml")
POD = "provider-gitea-5f7c9d8b7-aaaaa"


def _values(values: list[float | None]) -> str:
    return " ".join("_" if v is None else (str(int(v)) if v == int(v) else repr(v)) for v in values)


def promtool_test(recording: Recording, config: Config, rule_paths: list[str], alert_names: list[str]) -> dict:
    step = recording.meta["scrape_interval_seconds"]
    target = {"job": config.provider.job, "namespace": config.provider.namespace, "pod": POD,
              config.cluster_label: "replay"}
    # Samples at multiples of the interval: promtool places sample i at i*interval; recorded scrapes are 15 s apart
    # within a second (the recorder's loop), so the index is the time.
    series = [{"series": series_key(name, {**labels, **target}), "values": _values(values)}
              for name, labels, values in ((*parse_series(k), v) for k, v in sorted(recording.series.items()))]
    series.append({"series": series_key("up", target), "values": f"1x{len(recording.times) - 1}"})
    series += condition_series(recording, config)
    tests, alert_tests = [], []
    for phase in recording.phases:
        idx = phase.indexes(recording.times)
        if len(idx) < 2:
            continue
        window = int((idx[-1] - idx[0]) * step)
        at = f"{int(idx[-1] * step)}s"
        tests.append({"expr": f'max_over_time(ALERTS{{alertstate="firing"}}[{window}s])', "eval_time": at,
                      "exp_samples": []})
        # Firing at the last evaluation: a sample within one evaluation interval (an instant selector would also
        # see an alert resolved up to 5 minutes before, through the lookback).
        tests.append({"expr": f'count_over_time(ALERTS{{alertstate="firing"}}[{config.evaluation_interval}])',
                      "eval_time": at, "exp_samples": []})
        alert_tests += [{"eval_time": at, "alertname": name, "exp_alerts": []} for name in alert_names]
    # Rules are evaluated at the config's evaluation interval, as Prometheus would (`for` and the SLO averages
    # depend on it); the input keeps the recording's scrape interval.
    return {"rule_files": rule_paths, "evaluation_interval": config.evaluation_interval,
            "tests": [{"name": f"replay {recording.name}", "interval": f"{int(step)}s", "input_series": series,
                       "promql_expr_test": tests, "alert_rule_test": alert_tests}]}


FAILED_EXPR = re.compile(r'expr: "(max_over_time|count_over_time)\(ALERTS.*?", time: ([0-9hms]+),')
FAILED_ALERT = re.compile(r"alertname: (\w+), time: ([0-9hms]+),")
LABELS = re.compile(r"\{([^{}]*)\}")
PAIR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def _seconds(promtool_duration: str) -> int:
    """promtool prints eval times as Go durations: 10m30s."""
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([hms])", promtool_duration))


@dataclass
class Firing:
    """One alert instance firing at a phase's end, as promtool prints it."""

    labels: dict[str, str]
    annotations: dict[str, str]


@dataclass
class PhaseAlerts:
    during: list[str]  # firing at some evaluation of the phase
    at_end: list[str]  # firing at the phase's last evaluation
    during_labels: list[dict[str, str]] = field(default_factory=list)  # each alert instance firing in the phase
    at_end_alerts: list[Firing] = field(default_factory=list)  # each instance firing at the end, with annotations

    def instances(self, alertname: str) -> list[dict[str, str]]:
        """Label sets of `alertname`'s instances that fired at some evaluation of the phase."""
        return [ls for ls in self.during_labels if ls.get("alertname") == alertname]

    def firing_at_end(self, alertname: str) -> list[Firing]:
        return [f for f in self.at_end_alerts if f.labels.get("alertname") == alertname]


def _labels(text: str) -> dict[str, str]:
    return {k: re.sub(r"\\(.)", r"\1", v) for k, v in PAIR.findall(text)}


def _firing(block: str) -> list[Firing]:
    """The `got:` alerts of a failed alert_rule_test block (promtool's unittest.go prints a `Labels:{...}` line and
    an `Annotations:{...}` line per alert, each but the last followed by a comma)."""
    got = block.split("got:", 1)[1] if "got:" in block else ""
    out: list[Firing] = []
    for line in got.splitlines():
        line = line.strip().rstrip(",")
        if line.startswith("Labels:"):
            out.append(Firing(_labels(line[len("Labels:"):]), {}))
        elif line.startswith("Annotations:") and out:
            out[-1].annotations.update(_labels(line[len("Annotations:"):]))
    return out


def _names(instances: list[dict[str, str]]) -> list[str]:
    return sorted({ls["alertname"] for ls in instances if "alertname" in ls})


def fired_per_phase(recording: Recording, config: Config, promtool: str) -> dict[str, PhaseAlerts]:
    """phase name -> the alerts that fired in it, with `config`'s build of our rules."""
    with tempfile.TemporaryDirectory(prefix="replay-") as tmp:
        out = Path(tmp) / "build"
        build(config, out)
        rules = out / "prometheus" / "rules"
        paths = [str(rules / f) for f in RULE_FILES if (rules / f).is_file()]
        names = sorted({r["alert"] for path in paths for g in yaml.safe_load(Path(path).read_text())["groups"]
                        for r in g["rules"] if "alert" in r})
        test = promtool_test(recording, config, paths, names)
        path = Path(tmp) / "replay.test.yaml"
        path.write_text(yaml.safe_dump(test, sort_keys=False))
        r = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=600)
        output = r.stdout + r.stderr
        if r.returncode and "FAILED" not in output:
            raise RuntimeError(f"promtool could not run the replay of {recording.name}:\n{output[-3000:]}")
    step = recording.meta["scrape_interval_seconds"]
    during: dict[int, list[dict[str, str]]] = {}
    at_end: dict[int, list[dict[str, str]]] = {}
    firing: dict[int, list[Firing]] = {}
    # Each failed test's block runs to the next 'expr:' or 'alertname:' line.
    for block in re.split(r"(?=\n\s*(?:expr|alertname): )", output):
        m = FAILED_EXPR.search(block)
        if m:
            got = block.split("got:", 1)[1] if "got:" in block else ""
            (during if m.group(1) == "max_over_time" else at_end)[_seconds(m.group(2))] = [
                _labels(x) for x in LABELS.findall(got)]
        a = FAILED_ALERT.search(block)
        if a:
            firing.setdefault(_seconds(a.group(2)), []).extend(_firing(block))
    result: dict[str, PhaseAlerts] = {}
    for phase in recording.phases:
        idx = phase.indexes(recording.times)
        if len(idx) >= 2:
            t = int(idx[-1] * step)
            result[phase.name] = PhaseAlerts(_names(during.get(t, [])), _names(at_end.get(t, [])), during.get(t, []),
                                             firing.get(t, []))
    return result
