"""Read lint inputs: rule files, PrometheusRules, dashboards (plain, API-wrapped, in ConfigMaps or
GrafanaDashboards), ServiceMonitor/PodMonitor metricRelabelings and Prometheus scrape configs.

Multi-document YAML (rendered Helm output) and every `*List` kind (List, ConfigMapList, ...) are read
item by item. A file that cannot be read or parsed raises LintInputError naming it; documents of other
kinds are skipped, and a file with nothing checkable at all is listed in `Inputs.unchecked`.
Services are read too: with a monitor's selector they name the job whose series a relabel drop removes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from gitea_provider_monitoring.exporters.gitea_api.durations import DURATION_RE, duration_seconds
from gitea_provider_monitoring.lint.targets import Scope, TargetLabels, monitor_scope, scrape_config_scope
from gitea_provider_monitoring.model import bounded_load

SUFFIXES = (".yaml", ".yml", ".json")


class LintInputError(Exception):
    """Unusable input: the command exits 2 with this message."""


@dataclass(frozen=True)
class RuleSource:
    path: str
    where: str  # "" for a plain rule file, else e.g. "PrometheusRule monitoring/my-rules"
    groups: list


@dataclass(frozen=True)
class DashboardSource:
    path: str
    where: str  # "" for a plain JSON file, else e.g. "ConfigMap monitoring/dash key.json"
    dashboard: dict


@dataclass(frozen=True)
class MetricDrop:
    """A relabel step on __name__ that drops (action drop) or keeps only (action keep) matching metrics."""

    path: str
    where: str
    action: str  # drop | keep
    regex: str
    scope: Scope = Scope()  # the targets whose series it drops

    def drops(self, metric: str) -> bool:
        try:
            matched = re.fullmatch(self.regex, metric) is not None
        except re.error:
            return False
        return matched if self.action == "drop" else not matched


@dataclass(frozen=True)
class MetricSource:
    """One monitor endpoint or scrape job: the targets it scrapes (scope) and the metrics it drops."""

    where: str
    scope: Scope
    drops: tuple[MetricDrop, ...]
    interval: float | None = None  # seconds between scrapes, when the monitor or scrape config says it


@dataclass
class Inputs:
    rules: list[RuleSource] = field(default_factory=list)
    dashboards: list[DashboardSource] = field(default_factory=list)
    drops: list[MetricDrop] = field(default_factory=list)
    sources: list[MetricSource] = field(default_factory=list)
    files: int = 0
    ignored: list[str] = field(default_factory=list)  # "path: why" for documents nothing checks
    unchecked: list[str] = field(default_factory=list)  # files with nothing checkable
    target_labels: TargetLabels = field(default_factory=TargetLabels)
    services: dict[tuple[str, str], dict] = field(default_factory=dict)  # (namespace, name) -> labels
    monitors: list[tuple[str, dict]] = field(default_factory=list)  # (path, ServiceMonitor/PodMonitor doc)

    def checkable(self) -> int:
        return len(self.rules) + len(self.dashboards) + len(self.monitors) + len(self.sources)


def helm_charts(path: Path) -> list[Path]:
    """Helm chart folders under `path`: their templates and files are not manifests until `helm template` renders
    them (lint that output), so a directory walk leaves them out."""
    return sorted(p.parent for p in path.rglob("Chart.yaml") if p.is_file())


def expand(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            charts = helm_charts(path)
            out += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES
                          and not any(p.is_relative_to(c) for c in charts))
        elif path.is_file():
            out.append(path)
        else:
            raise LintInputError(f"{path}: no such file or directory")
    return out


def load(paths: list[Path]) -> Inputs:
    inputs = Inputs()
    for chart in (c for p in paths if p.is_dir() for c in helm_charts(p)):
        inputs.ignored.append(f"{chart}: a Helm chart, not read: lint its rendered output (helm template) instead")
    for path in expand(paths):
        inputs.files += 1
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise LintInputError(f"{path}: cannot read: {exc}") from None
        before = inputs.checkable()
        for doc in _documents(path, text):
            _classify(str(path), doc, inputs)
        if inputs.checkable() == before:
            inputs.unchecked.append(str(path))
    for path, doc in inputs.monitors:
        _monitor(path, doc, inputs)
    return inputs


def _documents(path: Path, text: str) -> list:
    try:  # bounded: alias bombs, deep nesting and recursive aliases are one error (exit 2)
        if path.suffix == ".json":
            return [bounded_load.load_json(text, str(path))]
        return [d for d in bounded_load.load_yaml_all(text, str(path)) if d is not None]
    except bounded_load.InputTooLarge as exc:
        raise LintInputError(str(exc)) from None


def _name(doc: dict) -> str:
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    return "/".join(x for x in (meta.get("namespace"), meta.get("name")) if x) or "?"


def _is_dashboard(doc: object) -> bool:
    return isinstance(doc, dict) and ("panels" in doc or "rows" in doc) and ("title" in doc or "uid" in doc)


def _classify(path: str, doc: object, inputs: Inputs, where: str = "") -> None:
    if not isinstance(doc, dict):
        inputs.ignored.append(f"{path}: a {type(doc).__name__} document, not a rule file, manifest or dashboard")
        return
    kind = doc.get("kind")
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    if isinstance(kind, str) and kind.endswith("List") and isinstance(doc.get("items"), list):
        for item in doc["items"]:
            _classify(path, item, inputs, where)
    elif kind == "PrometheusRule":
        inputs.rules.append(RuleSource(path, f"PrometheusRule {_name(doc)}", spec.get("groups") or []))
    elif kind == "ConfigMap" and isinstance(doc.get("data"), dict):
        for key, value in sorted(doc["data"].items(), key=lambda kv: str(kv[0])):
            _from_configmap(path, f"ConfigMap {_name(doc)} {key}", str(key), value, inputs)
    elif kind == "GrafanaDashboard":
        if isinstance(spec.get("json"), str):
            _from_configmap(path, f"GrafanaDashboard {_name(doc)}", "json.json", spec["json"], inputs)
    elif kind in ("ServiceMonitor", "PodMonitor"):
        inputs.monitors.append((path, doc))
    elif kind == "Service":
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
        inputs.services[(str(meta.get("namespace") or ""), str(meta.get("name") or ""))] = labels
        inputs.ignored.append(f"{path}: {where + ': ' if where else ''}Service {_name(doc)} (read for job names)")
    elif "groups" in doc and isinstance(doc["groups"], list):
        inputs.rules.append(RuleSource(path, where, doc["groups"]))
    elif "scrape_configs" in doc and isinstance(doc["scrape_configs"], list):
        top = doc.get("global") if isinstance(doc.get("global"), dict) else {}
        default = _interval(top.get("scrape_interval", "1m"))  # Prometheus' default global scrape_interval
        for job in (j for j in doc["scrape_configs"] if isinstance(j, dict)):
            inputs.target_labels.add_relabelings(job.get("relabel_configs"), "target_label")
            inputs.target_labels.add_relabelings(job.get("metric_relabel_configs"), "target_label")
            for static in job.get("static_configs") or []:
                if isinstance(static, dict) and isinstance(static.get("labels"), dict):
                    inputs.target_labels.labels |= {str(k) for k in static["labels"]}
            _drops(path, f"scrape_configs {job.get('job_name', '?')}", job.get("metric_relabel_configs"),
                   "source_labels", inputs, scrape_config_scope(job),
                   _interval(job["scrape_interval"]) if "scrape_interval" in job else default)
    elif "dashboard" in doc and _is_dashboard(doc["dashboard"]):
        inputs.dashboards.append(DashboardSource(path, where or "dashboard", doc["dashboard"]))
    elif _is_dashboard(doc):
        inputs.dashboards.append(DashboardSource(path, where, doc))
    else:
        what = f"kind {kind}" if kind else "keys " + ", ".join(sorted(map(str, doc))[:4])
        inputs.ignored.append(f"{path}: {where + ': ' if where else ''}{what} (not a rule file, manifest or dashboard)")


def _from_configmap(path: str, where: str, key: str, value: object, inputs: Inputs) -> None:
    if not isinstance(value, str):
        return
    try:
        doc = (bounded_load.load_json(value, f"{path}: {where}") if key.endswith(".json")
               else bounded_load.load_yaml(value, f"{path}: {where}"))
    except bounded_load.InputTooLarge as exc:
        raise LintInputError(str(exc)) from None
    if isinstance(doc, dict):
        _classify(path, doc, inputs, where)


def _monitor(path: str, doc: dict, inputs: Inputs) -> None:
    """A ServiceMonitor/PodMonitor: the labels its relabelings write, and its drops with their scope."""
    kind = doc.get("kind")
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    for key in ("targetLabels", "podTargetLabels"):
        if isinstance(spec.get(key), list):
            inputs.target_labels.labels |= {str(x) for x in spec[key]}
    key = "endpoints" if kind == "ServiceMonitor" else "podMetricsEndpoints"
    endpoints = spec.get(key) if isinstance(spec.get(key), list) else []
    for i, endpoint in enumerate(e for e in endpoints if isinstance(e, dict)):
        inputs.target_labels.add_relabelings(endpoint.get("relabelings"), "targetLabel")
        inputs.target_labels.add_relabelings(endpoint.get("metricRelabelings"), "targetLabel")
        scope = monitor_scope(doc, endpoint, inputs.services)
        _drops(path, f"{kind} {_name(doc)} {key}[{i}]", endpoint.get("metricRelabelings"), "sourceLabels",
               inputs, scope, _interval(endpoint.get("interval")))


def _interval(value: object) -> float | None:
    """Seconds of a scrape interval as written in a monitor or scrape config; None when absent or invalid."""
    if not isinstance(value, str) or not DURATION_RE.match(value):
        return None
    try:
        return duration_seconds(value) or None
    except ValueError:
        return None


def _drops(path: str, where: str, configs: object, labels_key: str, inputs: Inputs, scope: Scope,
           interval: float | None = None) -> None:
    """Record one metric source and the __name__ drop/keep steps of its metric relabelings."""
    before = len(inputs.drops)
    for i, cfg in enumerate(configs if isinstance(configs, list) else []):
        if not isinstance(cfg, dict):
            continue
        action = str(cfg.get("action", "replace")).lower()
        if action in ("drop", "keep") and list(cfg.get(labels_key) or []) == ["__name__"]:
            inputs.drops.append(MetricDrop(path, f"{where} relabeling[{i}]", action, str(cfg.get("regex", "(.*)")),
                                           scope))
    inputs.sources.append(MetricSource(where, scope, tuple(inputs.drops[before:]), interval))
