"""Kubernetes manifests: a kustomize base (PrometheusRule, PodMonitor) and components the user picks.

build/kubernetes/ is the base; build/kubernetes/components/<name>/ are kustomize Components (Grafana sidecar
dashboards, grafana-operator dashboards, the exporter sidecar, the AlertmanagerConfig, the NetworkPolicy).
Renderers take model objects and a small `KubeSettings`, never the whole config, so that what a
manifest depends on is visible in its signature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from gitea_provider_monitoring.model.rules import RuleFile
from gitea_provider_monitoring.render.output import to_json

PART_OF = "gitea-provider-monitoring"

# Measured by `make bench` (bench/exporter_vs_blackbox.py, docs/exporter.md "Benchmark"): the exporter's resident
# memory and CPU per 1,000 probes. The sidecar's requests are computed from them, not guessed.
BENCH_RSS_MIB = 31.1
BENCH_CPU_SECONDS_PER_1000_PROBES = 1.59
MEMORY_HEADROOM = 1.25  # Python's heap grows with scrapes and reconnects
CPU_REQUEST_FLOOR_M = 10  # below this a request schedules nothing useful
MEMORY_LIMIT_MIB = 64


@dataclass(frozen=True)
class KubeSettings:
    namespace: str  # where the namespaced manifests live
    instance_selector: dict[str, str]
    grafana_folder: str
    provider_package: str
    provider_job: str
    exporter_job: str
    scrape_interval: str
    provider_namespace: str = "crossplane-system"  # where the provider's pods run
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> extra labels; "*": every kind
    allow_cross_namespace_import: bool = True
    prometheus_namespace: str = "monitoring"
    prometheus_pod_labels: dict[str, str] = field(default_factory=lambda: {"app.kubernetes.io/name": "prometheus"})
    exporter_port: int = 9523


@dataclass(frozen=True)
class SidecarSettings:
    """What the gitea-api-exporter sidecar needs: image, Gitea URL, probe timing, the token Secret."""

    runtime_config_name: str
    provider_name: str
    provider_package: str
    image: str
    port: int
    port_name: str
    gitea_url: str
    interval: str
    timeout: str
    token_secret_name: str
    token_secret_key: str
    runtime_container: str
    mode: str = "probe"
    proxy_port: int = 9524
    probes_per_round: int = 4
    interval_seconds: float = 15.0
    labels: dict[str, str] = field(default_factory=dict)
    provider_args: tuple[str, ...] = ()  # args of the provider's own container (e.g. --leader-election)
    replicas: int = 1  # provider pods; Crossplane's default (1) is left implicit
    resources: dict | None = None  # None: sidecar_resources() from the benchmark (the chart's default too)


TOKEN_DIR = "/etc/gitea-api-exporter"
PROVIDER_PORT_NAME = "metrics"  # Crossplane names the provider's :8080 port so
EXPORTER_PORT_NAME = "gitea-exporter"


def object_metadata(name: str, namespace: str | None, kind: str, settings: KubeSettings | None = None,
              extra_labels: dict[str, str] | None = None) -> dict:
    """Our part-of label, the kind's own labels, then the user's labels for every object and for this kind."""
    user = settings.labels if settings else {}
    labels = {"app.kubernetes.io/part-of": PART_OF, **(extra_labels or {}), **user.get("*", {}), **user.get(kind, {})}
    meta: dict = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = dict(sorted(labels.items()))
    return meta


def prometheus_rule(rule_files: list[RuleFile], settings: KubeSettings) -> dict:
    groups = [g.to_dict() for rf in rule_files for g in rf.groups]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": object_metadata("gitea-provider-monitoring", settings.namespace, "PrometheusRule", settings),
        "spec": {"groups": groups},
    }


def dashboard_configmap(name: str, dashboard: dict, settings: KubeSettings) -> dict:
    """A ConfigMap the Grafana dashboard sidecar (label grafana_dashboard=1) picks up.

    The sidecar files it under the `grafana_folder` annotation only when the chart sets
    `sidecar.dashboards.folderAnnotation: grafana_folder` (docs/install.md).
    """
    meta = object_metadata(f"grafana-dashboard-{name}", settings.namespace, "ConfigMap", settings, {"grafana_dashboard": "1"})
    meta["annotations"] = {"grafana_folder": settings.grafana_folder}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta,
        "data": {f"{name}.json": to_json(dashboard)},
    }


GRAFANA_FOLDER_NAME = "gitea-provider-monitoring"


def grafana_folder(settings: KubeSettings) -> dict:
    """The grafana-operator GrafanaFolder the dashboards reference (folderRef)."""
    return {
        "apiVersion": "grafana.integreatly.org/v1beta1",
        "kind": "GrafanaFolder",
        "metadata": object_metadata(GRAFANA_FOLDER_NAME, settings.namespace, "GrafanaFolder", settings),
        "spec": {
            "allowCrossNamespaceImport": settings.allow_cross_namespace_import,
            "instanceSelector": {"matchLabels": dict(sorted(settings.instance_selector.items()))},
            "title": settings.grafana_folder,
        },
    }


def grafana_dashboard(name: str, dashboard: dict, settings: KubeSettings) -> dict:
    """A grafana-operator GrafanaDashboard carrying the same JSON, in our GrafanaFolder."""
    return {
        "apiVersion": "grafana.integreatly.org/v1beta1",
        "kind": "GrafanaDashboard",
        "metadata": object_metadata(name, settings.namespace, "GrafanaDashboard", settings),
        "spec": {
            "allowCrossNamespaceImport": settings.allow_cross_namespace_import,
            "instanceSelector": {"matchLabels": dict(sorted(settings.instance_selector.items()))},
            "folderRef": GRAFANA_FOLDER_NAME,
            "uid": dashboard["uid"],
            "json": to_json(dashboard),
        },
    }


def provider_pods(settings: KubeSettings) -> dict:
    """The provider's pods: Crossplane labels them with the Provider object's name."""
    return {"matchLabels": {"pkg.crossplane.io/provider": settings.provider_package}}


def pod_monitor(settings: KubeSettings) -> dict:
    """Scrapes the provider's :8080 and the exporter sidecar in the provider's pods, in the provider's namespace.

    It sets the `job` labels the rules select on and drops no metric.
    """
    def endpoint(port: str, job: str) -> dict:
        return {
            "port": port,
            "path": "/metrics",
            "interval": settings.scrape_interval,
            "relabelings": [{"action": "replace", "targetLabel": "job", "replacement": job}],
        }

    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": object_metadata("gitea-provider", settings.namespace, "PodMonitor", settings),
        "spec": {
            "selector": provider_pods(settings),
            "namespaceSelector": {"matchNames": [settings.provider_namespace]},
            "podMetricsEndpoints": [
                endpoint(PROVIDER_PORT_NAME, settings.provider_job),
                endpoint(EXPORTER_PORT_NAME, settings.exporter_job),
            ],
        },
    }


def network_policy(settings: KubeSettings) -> dict:
    """Only Prometheus reaches the exporter's metrics port; every other port of the pod stays as open as before.

    A policy that selects a pod denies all ingress it does not allow, so the provider's own ports (metrics,
    webhooks) are re-admitted by port ranges around the exporter's port (`endPort`: Kubernetes 1.25+ and a
    CNI that implements it). The proxy port listens on 127.0.0.1, which no NetworkPolicy governs.
    """
    port = settings.exporter_port
    prometheus = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": settings.prometheus_namespace}},
        "podSelector": {"matchLabels": dict(sorted(settings.prometheus_pod_labels.items()))},
    }
    others = [{"protocol": "TCP", "port": lo, "endPort": hi} for lo, hi in ((1, port - 1), (port + 1, 65535)) if lo <= hi]
    others.append({"protocol": "UDP", "port": 1, "endPort": 65535})
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": object_metadata("gitea-api-exporter-metrics", settings.provider_namespace, "NetworkPolicy", settings),
        "spec": {
            "podSelector": provider_pods(settings),
            "policyTypes": ["Ingress"],
            "ingress": [
                {"from": [prometheus], "ports": [{"protocol": "TCP", "port": port}]},
                {"ports": others},
            ],
        },
    }


def kustomization(resources: list[str]) -> dict:
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(resources),
    }


def component(resources: list[str]) -> dict:
    """A kustomize Component: added to the user's kustomization under `components:`."""
    return {
        "apiVersion": "kustomize.config.k8s.io/v1alpha1",
        "kind": "Component",
        "resources": sorted(resources),
    }


def sidecar_resources(s: SidecarSettings) -> dict:
    """Requests from the benchmark: measured RSS with headroom, CPU for this probe rate (floored)."""
    memory = math.ceil(BENCH_RSS_MIB * MEMORY_HEADROOM / 8) * 8
    probes_per_second = s.probes_per_round / s.interval_seconds
    cpu = max(CPU_REQUEST_FLOOR_M, math.ceil(probes_per_second * BENCH_CPU_SECONDS_PER_1000_PROBES))
    return {
        "requests": {"cpu": f"{cpu}m", "memory": f"{memory}Mi"},
        "limits": {"cpu": "200m", "memory": f"{max(memory, MEMORY_LIMIT_MIB)}Mi"},
    }


def deployment_runtime_config(s: SidecarSettings) -> dict:
    """A Crossplane DeploymentRuntimeConfig adding the exporter beside the provider (cluster-scoped).

    Crossplane merges this template into the provider's Deployment and adds its own `package-runtime`
    container, so only the sidecar is listed. The token is the one the ProviderConfig's Secret holds,
    mounted read-only as a file the exporter re-reads when the Secret is rotated.

    The CRD declares `containers` and `volumes` as lists keyed by `name` (x-kubernetes-list-type: map), so
    `kubectl apply --server-side` of this object under the name of an existing runtime config adds the
    sidecar and its volume to it and leaves the rest alone (docs/install.md, "Merge into an existing runtime config").
    """
    container = {
        "name": "gitea-api-exporter",
        "image": s.image,
        "imagePullPolicy": "IfNotPresent",
        "env": [
            {"name": "GITEA_URL", "value": s.gitea_url},
            {"name": "GITEA_TOKEN_FILE", "value": f"{TOKEN_DIR}/token"},
            {"name": "PROBE_INTERVAL", "value": s.interval},
            {"name": "PROBE_TIMEOUT", "value": s.timeout},
            {"name": "LISTEN_ADDRESS", "value": f":{s.port}"},
            {"name": "EXPORTER_MODE", "value": s.mode},
        ] + ([{"name": "PROXY_LISTEN_ADDRESS", "value": f"127.0.0.1:{s.proxy_port}"}] if s.mode != "probe" else []),
        "ports": [{"name": s.port_name, "containerPort": s.port, "protocol": "TCP"}],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": s.port_name}, "periodSeconds": 20},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": s.port_name}, "periodSeconds": 10},
        "resources": sidecar_resources(s) if s.resources is None else s.resources,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "runAsGroup": 65532,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "gitea-token", "mountPath": TOKEN_DIR, "readOnly": True}],
    }
    # Crossplane adds the provider's container itself; naming it here merges these args into it.
    runtime = [{"name": s.runtime_container, "args": list(s.provider_args)}] if s.provider_args else []
    return {
        "apiVersion": "pkg.crossplane.io/v1beta1",
        "kind": "DeploymentRuntimeConfig",
        "metadata": object_metadata(s.runtime_config_name, None, "DeploymentRuntimeConfig",
                              extra_labels=s.labels),
        "spec": {
            "deploymentTemplate": {
                "spec": {
                    **({"replicas": s.replicas} if s.replicas != 1 else {}),
                    "selector": {},
                    "template": {
                        "metadata": {
                            "annotations": {"kubectl.kubernetes.io/default-container": s.runtime_container},
                        },
                        "spec": {
                            "containers": [*runtime, container],
                            "volumes": [{
                                "name": "gitea-token",
                                "secret": {
                                    "secretName": s.token_secret_name,
                                    "items": [{"key": s.token_secret_key, "path": "token"}],
                                    # A wrong Secret name or key must not keep the provider's pod from
                                    # starting: the exporter runs without a token and says so.
                                    "optional": True,
                                    # World-readable inside the pod: the sidecar's UID need not match
                                    # the fsGroup Crossplane sets, and only this pod mounts it.
                                    "defaultMode": 0o444,
                                },
                            }],
                        },
                    },
                },
            },
        },
    }


def provider(s: SidecarSettings) -> dict:
    """The Provider, referencing the runtime config: an example to merge into the user's own Provider."""
    return {
        "apiVersion": "pkg.crossplane.io/v1",
        "kind": "Provider",
        "metadata": {"name": s.provider_name},
        "spec": {
            "package": s.provider_package,
            "runtimeConfigRef": {
                "apiVersion": "pkg.crossplane.io/v1beta1",
                "kind": "DeploymentRuntimeConfig",
                "name": s.runtime_config_name,
            },
        },
    }
