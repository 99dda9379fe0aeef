"""The target-label model: which labels the scrape puts on series, and which targets a monitor scrapes.

Prometheus adds `job` and `instance` to every scraped series; prometheus-operator's generated scrape
configs add `namespace`, `service`, `pod`, `container`, `endpoint` (and, by kube-prometheus convention,
`metrics_path`); any monitor or scrape config may write more with its relabelings (`targetLabel`,
`labelmap`), `targetLabels`/`podTargetLabels`, or static `labels`. A label in this model is never
"unknown" on a series, and a `labelmap` makes the set open (any label may exist: say nothing).

A monitor's scope (the `job`, `namespace`, `endpoint` values of its targets, when the manifests say
them) tells which rule selectors can take series from it: a relabel drop only matters to those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SCRAPE_DEFAULTS = frozenset({"job", "instance"})
OPERATOR_DEFAULTS = frozenset({"namespace", "service", "pod", "container", "endpoint", "metrics_path"})
# Labels a Prometheus HA pair, a federation or a remote-write tenant commonly puts on every series.
COMMON_EXTERNAL = frozenset({"cluster", "prometheus", "prometheus_replica", "tenant", "region", "env", "node",
                             "endpoint_name"})
DEFAULT_TARGET_LABELS = SCRAPE_DEFAULTS | OPERATOR_DEFAULTS | COMMON_EXTERNAL


@dataclass
class TargetLabels:
    """Labels a scraped series may carry besides its own; `open` when a labelmap can write any."""

    labels: set[str] = field(default_factory=lambda: set(DEFAULT_TARGET_LABELS))
    open: bool = False

    def add_relabelings(self, configs: object, target_key: str) -> None:
        for cfg in configs if isinstance(configs, list) else []:
            if not isinstance(cfg, dict):
                continue
            action = str(cfg.get("action", "replace")).lower()
            target = cfg.get(target_key)
            if action in ("replace", "hashmod", "lowercase", "uppercase") and isinstance(target, str):
                if "$" in target:  # target label built from a capture group: any name
                    self.open = True
                elif not target.startswith("__"):
                    self.labels.add(target)
            elif action == "labelmap":
                self.open = True


@dataclass(frozen=True)
class Scope:
    """The known values of target labels for one monitor's series; a label absent here is unknown."""

    values: tuple[tuple[str, frozenset[str]], ...] = ()

    def knows(self, label: str) -> bool:
        return any(name == label for name, _ in self.values)

    def admits(self, matchers: tuple[tuple[str, str, str], ...], variable_mark: str = "") -> bool:
        """False when a selector's matchers exclude every series of this monitor."""
        known = dict(self.values)
        for label, op, value in matchers:
            values = known.get(label)
            if not values or (variable_mark and variable_mark in value):
                continue
            if op == "=" and value not in values:
                return False
            if op == "!=" and values == {value}:
                return False
            if op in ("=~", "!~"):
                try:
                    hits = {v for v in values if re.fullmatch(value, v)}
                except re.error:
                    continue
                if (op == "=~" and not hits) or (op == "!~" and hits == values):
                    return False
        return True


def _replaced(configs: object, target_key: str, label: str) -> str | None | bool:
    """The constant a relabeling writes to `label` (a string), False when it writes something unknown,
    None when no relabeling touches it."""
    result: str | None | bool = None
    for cfg in configs if isinstance(configs, list) else []:
        if not isinstance(cfg, dict) or cfg.get(target_key) != label:
            continue
        action = str(cfg.get("action", "replace")).lower()
        replacement = cfg.get("replacement")
        sources = cfg.get("sourceLabels") or cfg.get("source_labels")
        if action == "replace" and isinstance(replacement, str) and "$" not in replacement and not sources:
            result = replacement
        else:
            result = False
    return result


def _scope(job: str | None, namespaces: list[str] | None, endpoint: str | None,
           metrics_path: str | None = None) -> Scope:
    values = []
    if metrics_path:
        values.append(("metrics_path", frozenset({metrics_path})))
    if job:
        values.append(("job", frozenset({job})))
    if namespaces:
        values.append(("namespace", frozenset(namespaces)))
    if endpoint:
        values.append(("endpoint", frozenset({endpoint})))
    return Scope(tuple(values))


def monitor_scope(doc: dict, endpoint: dict, services: dict[tuple[str, str], dict]) -> Scope:
    """Scope of one ServiceMonitor/PodMonitor endpoint. `services` maps (namespace, name) to the linted
    Services' labels, which give the job name when the monitor's selector picks them."""
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    ns_sel = spec.get("namespaceSelector") if isinstance(spec.get("namespaceSelector"), dict) else {}
    if ns_sel.get("any"):
        namespaces = None
    elif isinstance(ns_sel.get("matchNames"), list):
        namespaces = [str(n) for n in ns_sel["matchNames"]]
    else:
        namespaces = [str(meta.get("namespace"))] if meta.get("namespace") else None
    relabelings = endpoint.get("relabelings")
    job: str | None = None
    written = _replaced(relabelings, "targetLabel", "job")
    if isinstance(written, str):
        job = written
    elif written is None:
        job = _job_from_selector(doc, spec, namespaces, services)
    port = endpoint.get("port")
    path = endpoint.get("path") if isinstance(endpoint.get("path"), str) else "/metrics"
    written_path = _replaced(relabelings, "targetLabel", "metrics_path")
    if written_path is not None:
        path = written_path if isinstance(written_path, str) else None
        if _copies_metrics_path(relabelings):
            path = endpoint.get("path") if isinstance(endpoint.get("path"), str) else "/metrics"
    return _scope(job, namespaces, port if isinstance(port, str) else None, path)


def _copies_metrics_path(configs: object) -> bool:
    """The kube-prometheus idiom: `sourceLabels: [__metrics_path__], targetLabel: metrics_path`."""
    return any(isinstance(c, dict) and c.get("targetLabel") == "metrics_path"
               and c.get("sourceLabels") == ["__metrics_path__"] and str(c.get("action", "replace")) == "replace"
               and c.get("regex", "(.*)") == "(.*)" and c.get("replacement", "$1") == "$1"
               for c in (configs if isinstance(configs, list) else []))


def _job_from_selector(doc: dict, spec: dict, namespaces: list[str] | None,
                       services: dict[tuple[str, str], dict]) -> str | None:
    """prometheus-operator's job: the value of the `jobLabel` label of the Service (PodMonitor: of the
    pod), else the Service name (PodMonitor: namespace/name of the monitor)."""
    selector = spec.get("selector") if isinstance(spec.get("selector"), dict) else {}
    match = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), dict) else {}
    job_label = spec.get("jobLabel")
    if isinstance(job_label, str) and job_label in match:
        return str(match[job_label])
    if doc.get("kind") == "PodMonitor":
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        return f"{meta.get('namespace')}/{meta.get('name')}" if not job_label and meta.get("name") else None
    if not match or selector.get("matchExpressions"):
        return None
    names = {name for (ns, name), labels in services.items()
             if (namespaces is None or ns in namespaces) and all(labels.get(k) == v for k, v in match.items())}
    if len(names) != 1:
        return None
    name = names.pop()
    if not job_label:
        return name
    labels = next(lbl for (ns, n), lbl in services.items() if n == name and all(lbl.get(k) == v for k, v in match.items()))
    value = labels.get(job_label)
    return str(value) if value else None


def scrape_config_scope(job: dict) -> Scope:
    written = _replaced(job.get("relabel_configs"), "target_label", "job")
    name = job.get("job_name")
    path = job.get("metrics_path") if isinstance(job.get("metrics_path"), str) else "/metrics"
    if isinstance(written, str):
        return _scope(written, None, None, path)
    return _scope(str(name) if isinstance(name, str) and written is None else None, None, None, path)
