"""kube-state-metrics' CustomResourceStateMetrics config for the provider's managed resources, and its delivery.

Three ways to deploy the same config (docs/resource-state.md): a kube-prometheus-stack values snippet
(`kube-state-metrics.customResourceState`, plus the RBAC rules the chart asks for in `rbac.extraRules`),
a kustomize component (the config in a ConfigMap, a ClusterRole and ClusterRoleBinding letting the user's
kube-state-metrics list and watch the kinds) and a ServiceMonitor scraping that kube-state-metrics.

The config format is kube-state-metrics v2.20.0's pkg/customresourcestate (config.go,
config_metrics_types.go): per resource a groupVersionKind, labelsFromPath and metrics of type Gauge or Info.
A condition's `status` string becomes a label; its value is `lastTransitionTime`, which kube-state-metrics
parses as RFC 3339 into Unix seconds (registry_factory.go toFloat64).
"""

from __future__ import annotations

from dataclasses import dataclass

from gitea_provider_monitoring.model import managed
from gitea_provider_monitoring.render.kubernetes import KubeSettings, object_metadata

# Errors resolving a path (a resource not yet reconciled has no status.conditions) are logged only at -v=5:
# they are expected, and one per resource per scrape would flood the log.
QUIET = 5


@dataclass(frozen=True)
class ResourceStateSettings:
    """What the kube-state-metrics config and its manifests need (from the config's resource_state section)."""

    job: str
    namespace: str
    service_account: str
    service_labels: dict[str, str]
    port_name: str
    config_map_name: str
    scrape_interval: str
    kube: KubeSettings | None = None  # the user's extra labels for every object and kind


# The user's per-kind labels these objects take (config kubernetes.*_labels): only the ones for every object,
# so the config's ConfigMap never carries the dashboard ConfigMaps' grafana_dashboard label. The ServiceMonitor
# takes pod_monitor_labels: Prometheus selects ServiceMonitors and PodMonitors by the same release label.
LABELS_KIND = "resource-state"
CONFIG_KEY = "config.yaml"  # the ConfigMap key, mounted as a file for --custom-resource-state-config-file


def _conditions(name: str, help_: str, extra: dict[str, list[str]] | None = None) -> dict:
    labels = {"type": ["type"], "status": ["status"], "reason": ["reason"], **(extra or {})}
    return {
        "name": name,
        "help": help_,
        "each": {"type": "Gauge", "gauge": {"path": ["status", "conditions"], "labelsFromPath": labels,
                                            "valueFrom": ["lastTransitionTime"]}},
        "errorLogV": QUIET,
    }


def _gvk(group: str, version: str, kind: str) -> dict:
    return {"group": group, "version": version, "kind": kind}


def _managed(kind: managed.ManagedKind, prefix: str) -> dict:
    labels = {"name": ["metadata", "name"]}
    if kind.namespaced:
        labels["namespace"] = ["metadata", "namespace"]
    info = {"created": ["creationTimestamp"], "deletion_timestamp": ["deletionTimestamp"]}
    if kind.external_name:
        info["external_name"] = ["annotations", managed.EXTERNAL_NAME_ANNOTATION]
    return {
        "groupVersionKind": _gvk(kind.group, kind.version, kind.kind),
        "resourcePlural": kind.plural,
        "metricNamePrefix": prefix,
        "labelsFromPath": labels,
        "metrics": [
            _conditions(managed.CONDITION, "Crossplane condition of a Gitea managed resource (Synced, Ready); "
                                           "value: its lastTransitionTime in Unix seconds."),
            {"name": managed.INFO, "help": "A Gitea managed resource: creation and deletion timestamps, external name.",
             "each": {"type": "Info", "info": {"path": ["metadata"], "labelsFromPath": info}}, "errorLogV": QUIET},
        ],
    }


def custom_resource_state(prefix: str = managed.PREFIX) -> dict:
    """The CustomResourceStateMetrics document: every managed kind of both groups, ProviderConfig, the package."""
    resources = [_managed(k, prefix) for k in managed.MANAGED_KINDS]
    pc = managed.PROVIDER_CONFIG
    resources.append({
        "groupVersionKind": _gvk(pc.group, pc.version, pc.kind),
        "resourcePlural": pc.plural,
        "metricNamePrefix": prefix,
        "labelsFromPath": {"name": ["metadata", "name"]},
        "metrics": [{"name": managed.PROVIDER_CONFIG_GENERATION,
                     "help": "metadata.generation of a Gitea ProviderConfig: it grows with every spec change.",
                     "each": {"type": "Gauge", "gauge": {"path": ["metadata", "generation"]}}}],
    })
    for kind, extra in ((managed.PROVIDER, {}),
                        (managed.PROVIDER_REVISION, {"package": ["metadata", "labels", managed.PACKAGE_LABEL],
                                                     "desired_state": ["spec", "desiredState"]})):
        resources.append({
            "groupVersionKind": _gvk(kind.group, kind.version, kind.kind),
            "resourcePlural": kind.plural,
            "metricNamePrefix": prefix,
            "labelsFromPath": {"name": ["metadata", "name"], **extra},
            "metrics": [_conditions(managed.PACKAGE_CONDITION, "Crossplane condition of a package object "
                                    "(Installed, Healthy); value: its lastTransitionTime in Unix seconds.")],
        })
    return {"kind": "CustomResourceStateMetrics", "spec": {"resources": resources}}


def rbac_rules() -> list[dict]:
    """What kube-state-metrics needs to read these kinds: list/watch each plural, and the CRDs (it discovers
    the kinds' versions and plurals from them, internal/discovery)."""
    by_group: dict[str, set[str]] = {}
    kinds = [(k.group, k.plural) for k in managed.MANAGED_KINDS]
    kinds += [(k.group, k.plural) for k in (managed.PROVIDER_CONFIG, managed.PROVIDER, managed.PROVIDER_REVISION)]
    for group, plural in kinds:
        by_group.setdefault(group, set()).add(plural)
    rules = [{"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"],
              "verbs": ["list", "watch"]}]
    rules += [{"apiGroups": [g], "resources": sorted(p), "verbs": ["list", "watch"]} for g, p in sorted(by_group.items())]
    return rules


def helm_values(s: ResourceStateSettings) -> dict:
    """kube-prometheus-stack values: its kube-state-metrics subchart reads customResourceState.config and
    creates a ConfigMap from it; the RBAC for the custom resources goes to rbac.extraRules (the chart's
    values.yaml says so)."""
    return {"kube-state-metrics": {
        "rbac": {"extraRules": rbac_rules()},
        "customResourceState": {"enabled": True, "config": custom_resource_state()},
    }}


def config_map(s: ResourceStateSettings, text: str) -> dict:
    """The config for a kube-state-metrics the user runs: mount it and pass
    --custom-resource-state-config-file=/etc/<dir>/config.yaml (docs/resource-state.md)."""
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": object_metadata(s.config_map_name, s.namespace, LABELS_KIND, s.kube),
            "data": {CONFIG_KEY: text}}


def cluster_role(s: ResourceStateSettings) -> dict:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": object_metadata(s.config_map_name, None, LABELS_KIND, s.kube),
            "rules": rbac_rules()}


def cluster_role_binding(s: ResourceStateSettings) -> dict:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": object_metadata(s.config_map_name, None, LABELS_KIND, s.kube),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": s.config_map_name},
            "subjects": [{"kind": "ServiceAccount", "name": s.service_account, "namespace": s.namespace}]}


def service_monitor(s: ResourceStateSettings) -> dict:
    """Scrapes the user's kube-state-metrics, setting the job the resource alerts select on.

    honorLabels keeps the resource's own `namespace` label; the target's `namespace` (kube-state-metrics'
    own) is dropped so that cluster-scoped resources carry none instead of a misleading one.
    """
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": object_metadata(s.config_map_name, s.namespace, "PodMonitor", s.kube),
        "spec": {
            "selector": {"matchLabels": dict(sorted(s.service_labels.items()))},
            "namespaceSelector": {"matchNames": [s.namespace]},
            "endpoints": [{
                "port": s.port_name,
                "path": "/metrics",
                "interval": s.scrape_interval,
                "honorLabels": True,
                "relabelings": [{"action": "replace", "targetLabel": "job", "replacement": s.job},
                                {"action": "labeldrop", "regex": "namespace"}],
            }],
        },
    }
