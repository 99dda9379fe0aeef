"""Read lint inputs: rule files, PrometheusRules, dashboards (plain, API-wrapped, in ConfigMaps or
GrafanaDashboards), ServiceMonitor/PodMonitor metricRelabelings and Prometheus scrape configs.

Multi-document YAML (rendered Helm output) and `kind: List` are read document by document. A file that
cannot be read or parsed raises LintInputError naming it; documents of other kinds are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from monitoring import bounded_load

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

    def drops(self, metric: str) -> bool:
        try:
            matched = re.fullmatch(self.regex, metric) is not None
        except re.error:
            return False
        return matched if self.action == "drop" else not matched


@dataclass
class Inputs:
    rules: list[RuleSource] = field(default_factory=list)
    dashboards: list[DashboardSource] = field(default_factory=list)
    drops: list[MetricDrop] = field(default_factory=list)
    files: int = 0
    ignored: list[str] = field(default_factory=list)  # "path: why" for documents nothing checks


def expand(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
        elif path.is_file():
            out.append(path)
        else:
            raise LintInputError(f"{path}: no such file or directory")
    return out


def load(paths: list[Path]) -> Inputs:
    inputs = Inputs()
    for path in expand(paths):
        inputs.files += 1
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise LintInputError(f"{path}: cannot read: {exc}") from None
        for doc in _documents(path, text):
            _classify(str(path), doc, inputs)
    return inputs


def _documents(path: Path, text: str) -> list:
    try:  # bounded: alias bombs, deep nesting and recursive aliases are one error (exit 2)
        if path.suffix == ".json":
            return [bounded_load.load_json(text, str(path))]
        return [d for d in bounded_load.load_yaml_all(text, str(path)) if d is not None]
    except bounded_load.InputTooLarge as exc:
        raise LintInputError(str(exc)) from None


def _name(doc: dict) -> str:
    meta = doc.get("metadata") or {}
    return "/".join(x for x in (meta.get("namespace"), meta.get("name")) if x) or "?"


def _is_dashboard(doc: object) -> bool:
    return isinstance(doc, dict) and ("panels" in doc or "rows" in doc) and ("title" in doc or "uid" in doc)


def _classify(path: str, doc: object, inputs: Inputs, where: str = "") -> None:
    if not isinstance(doc, dict):
        inputs.ignored.append(f"{path}: a {type(doc).__name__} document, not a rule file, manifest or dashboard")
        return
    kind = doc.get("kind")
    if kind == "List":
        for item in doc.get("items") or []:
            _classify(path, item, inputs, where)
    elif kind == "PrometheusRule":
        inputs.rules.append(RuleSource(path, f"PrometheusRule {_name(doc)}", (doc.get("spec") or {}).get("groups") or []))
    elif kind == "ConfigMap":
        for key, value in sorted((doc.get("data") or {}).items()):
            _from_configmap(path, f"ConfigMap {_name(doc)} {key}", key, value, inputs)
    elif kind == "GrafanaDashboard":
        spec = doc.get("spec") or {}
        if isinstance(spec.get("json"), str):
            _from_configmap(path, f"GrafanaDashboard {_name(doc)}", "json.json", spec["json"], inputs)
    elif kind in ("ServiceMonitor", "PodMonitor"):
        key = "endpoints" if kind == "ServiceMonitor" else "podMetricsEndpoints"
        for i, endpoint in enumerate((doc.get("spec") or {}).get(key) or []):
            _drops(path, f"{kind} {_name(doc)} {key}[{i}]", endpoint.get("metricRelabelings") or [], "sourceLabels",
                   inputs)
    elif "groups" in doc and isinstance(doc["groups"], list):
        inputs.rules.append(RuleSource(path, where, doc["groups"]))
    elif "scrape_configs" in doc:
        for job in doc.get("scrape_configs") or []:
            _drops(path, f"scrape_configs {job.get('job_name', '?')}", job.get("metric_relabel_configs") or [],
                   "source_labels", inputs)
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


def _drops(path: str, where: str, configs: list, labels_key: str, inputs: Inputs) -> None:
    for i, cfg in enumerate(configs):
        if not isinstance(cfg, dict):
            continue
        action = str(cfg.get("action", "replace")).lower()
        if action in ("drop", "keep") and list(cfg.get(labels_key) or []) == ["__name__"]:
            inputs.drops.append(MetricDrop(path, f"{where} relabeling[{i}]", action, str(cfg.get("regex", "(.*)"))))
