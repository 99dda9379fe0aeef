"""The kube-state-metrics series the GENERATED custom-resource-state config would have exported during a recording.

A recording holds every change of each managed resource's conditions (`conditions`: [t, "Kind/name", type, status,
reason, message], read from the API server at each scrape; tests/recordings/README.md). This turns them into the
condition series that kube-state-metrics v2.20.0 exports with our config
(gitea_provider_monitoring.render.resource_state.custom_resource_state), one sample per recorded scrape, so that the
replay (tests/realstack/replay.py) runs the resource alerts and the reconcile SLO on what the real provider did.

Where each part comes from:
- metric name: the resource's `metricNamePrefix` joined to the metric's `name` with `_` (kube-state-metrics
  pkg/customresourcestate/registry_factory.go, fullName);
- customresource_group / _version / _kind: the resource's groupVersionKind, added to every series of a custom
  resource (registry_factory.go, compile: CommonLabels[customResourceState+"_group"] ...);
- name, namespace: the resource's `labelsFromPath`, read from the object's metadata (the recorded resources are
  the provider's namespaced v2 kinds in tests.realstack.stack.RESOURCE_NAMESPACE, tests/realstack/record.py KINDS);
- type, status, reason: the condition metric's `labelsFromPath`, read from each condition;
- value: `valueFrom` lastTransitionTime: the recorded time of the change (seconds on the replay's clock, which
  starts at the first scrape; the recorder reads the conditions right after each scrape);
- job, the cluster label, instance: the scrape (render/resource_state.service_monitor sets `job` to
  resource_state.job and drops the target's own namespace, so `namespace` is only ever the resource's).

What the recordings cannot give: resources before their first condition (a new resource has none until its first
reconcile) and their creation/deletion timestamps, so no info series is synthesized (GiteaResourceKindNotServed and
GiteaResourceStuckDeleting have nothing to read: the recorded scenarios have neither unserved kinds nor deletions).
"""

from __future__ import annotations

from typing import Any

from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.render.resource_state import custom_resource_state
from tests.realstack.record import KINDS
from tests.realstack.recording import Recording, series_key
from tests.realstack.stack import RESOURCE_NAMESPACE

INSTANCE = "10.0.9.1:8080"


def _at(obj: Any, path: list[str]) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _condition_metric(config: dict, kind: str, group: str) -> tuple[str, dict, dict]:
    """(metric name, resource entry, condition metric entry) of the generated config for a kind in a group."""
    for entry in config["spec"]["resources"]:
        gvk = entry["groupVersionKind"]
        if gvk["kind"] == kind and gvk["group"] == group:
            for metric in entry["metrics"]:
                each = metric["each"]
                if each["type"] == "Gauge" and each["gauge"]["path"] == ["status", "conditions"]:
                    name = "_".join(p for p in (entry.get("metricNamePrefix", ""), metric["name"]) if p)
                    return name, entry, metric
    raise LookupError(f"the generated kube-state-metrics config has no condition metric for {kind} in {group}")


def recorded_group(kind: str) -> str:
    """The API group the recorder created `kind` in (its apiVersion in tests/realstack/record.py KINDS)."""
    return KINDS[kind][1].rsplit("/", 1)[0]


def condition_labels(config: dict, kind: str, name: str, cond: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The series kube-state-metrics exports for one condition of one recorded resource, from the generated config."""
    metric_name, entry, metric = _condition_metric(config, kind, recorded_group(kind))
    gvk = entry["groupVersionKind"]
    obj = {"metadata": {"name": name, "namespace": RESOURCE_NAMESPACE}}
    labels = {"customresource_group": gvk["group"], "customresource_version": gvk["version"],
              "customresource_kind": gvk["kind"]}
    for label, path in entry.get("labelsFromPath", {}).items():
        value = _at(obj, path)
        if value is not None:
            labels[label] = str(value)
    for label, path in metric["each"]["gauge"].get("labelsFromPath", {}).items():
        value = _at(cond, path)
        if value is not None:
            labels[label] = str(value)
    return metric_name, labels


def condition_series(recording: Recording, config: Config) -> list[dict[str, str]]:
    """promtool input series: per resource, condition type and (status, reason) stint, its lastTransitionTime at
    every scrape it held, `stale` at the first scrape after (as Prometheus marks a series a scrape no longer has)."""
    generated = custom_resource_state()
    target = {"job": config.resource_state.job, config.cluster_label: "replay", "instance": INSTANCE}
    n = len(recording.times)
    state: dict[tuple[str, str], tuple[str, str, float]] = {}  # (resource, type) -> (status, reason, since)
    changes = sorted(recording.conditions, key=lambda c: c[0])
    values: dict[str, list[str]] = {}
    j = 0
    for i, t in enumerate(recording.times):
        while j < len(changes) and changes[j][0] <= t:
            at, res, ctype, status, reason, *_ = changes[j]
            state[(res, ctype)] = (status, reason, at)
            j += 1
        for (res, ctype), (status, reason, since) in state.items():
            kind, name = res.split("/", 1)
            metric, labels = condition_labels(generated, kind, name, {"type": ctype, "status": status, "reason": reason})
            key = series_key(metric, {**labels, **target})
            values.setdefault(key, ["_"] * n)[i] = str(int(since)) if since == int(since) else repr(since)
    out = []
    for key, vs in sorted(values.items()):
        for i in range(1, n):  # a scrape without the series right after one with it: a staleness marker
            if vs[i] == "_" and vs[i - 1] not in ("_", "stale"):
                vs[i] = "stale"
        out.append({"series": key, "values": " ".join(vs)})
    return out
