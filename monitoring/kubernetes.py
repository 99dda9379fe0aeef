"""Kubernetes manifests: PrometheusRule, dashboard ConfigMaps, GrafanaDashboards, PodMonitor, exporter sidecar.

Renderers take model objects and a small `KubeSettings`, never the whole config, so that what a
manifest depends on is visible in its signature.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitoring.output import to_json
from monitoring.rules import RuleFile

PART_OF = "gitea-provider-monitoring"


@dataclass(frozen=True)
class KubeSettings:
    namespace: str
    instance_selector: dict[str, str]
    grafana_folder: str
    provider_package: str
    provider_job: str
    exporter_job: str
    scrape_interval: str


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


TOKEN_DIR = "/etc/gitea-api-exporter"
PROVIDER_PORT_NAME = "metrics"  # Crossplane names the provider's :8080 port so
EXPORTER_PORT_NAME = "gitea-exporter"


def _metadata(name: str, namespace: str, extra_labels: dict[str, str] | None = None) -> dict:
    labels = {"app.kubernetes.io/part-of": PART_OF, **(extra_labels or {})}
    return {"name": name, "namespace": namespace, "labels": dict(sorted(labels.items()))}


def prometheus_rule(rule_files: list[RuleFile], settings: KubeSettings) -> dict:
    groups = [g.to_dict() for rf in rule_files for g in rf.groups]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": _metadata("gitea-provider-monitoring", settings.namespace),
        "spec": {"groups": groups},
    }


def dashboard_configmap(name: str, dashboard: dict, settings: KubeSettings) -> dict:
    """A ConfigMap the Grafana dashboard sidecar (label grafana_dashboard=1) picks up."""
    meta = _metadata(f"grafana-dashboard-{name}", settings.namespace, {"grafana_dashboard": "1"})
    meta["annotations"] = {"grafana_folder": settings.grafana_folder}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta,
        "data": {f"{name}.json": to_json(dashboard)},
    }


def grafana_dashboard(name: str, dashboard: dict, settings: KubeSettings) -> dict:
    """A grafana-operator GrafanaDashboard carrying the same JSON."""
    return {
        "apiVersion": "grafana.integreatly.org/v1beta1",
        "kind": "GrafanaDashboard",
        "metadata": _metadata(name, settings.namespace),
        "spec": {
            "instanceSelector": {"matchLabels": dict(sorted(settings.instance_selector.items()))},
            "folder": settings.grafana_folder,
            "uid": dashboard["uid"],
            "json": to_json(dashboard),
        },
    }


def pod_monitor(settings: KubeSettings) -> dict:
    """Scrapes the provider's :8080 and the exporter sidecar in the provider's pods.

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
        "metadata": _metadata("gitea-provider", settings.namespace),
        "spec": {
            "selector": {"matchLabels": {"pkg.crossplane.io/provider": settings.provider_package}},
            "namespaceSelector": {"matchNames": [settings.namespace]},
            "podMetricsEndpoints": [
                endpoint(PROVIDER_PORT_NAME, settings.provider_job),
                endpoint(EXPORTER_PORT_NAME, settings.exporter_job),
            ],
        },
    }


def kustomization(resources: list[str]) -> dict:
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(resources),
    }


def deployment_runtime_config(s: SidecarSettings) -> dict:
    """A Crossplane DeploymentRuntimeConfig adding the exporter beside the provider (cluster-scoped).

    Crossplane merges this template into the provider's Deployment and adds its own `package-runtime`
    container, so only the sidecar is listed. The token is the one the ProviderConfig's Secret holds,
    mounted read-only as a file the exporter re-reads when the Secret is rotated.
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
        "resources": {
            "requests": {"cpu": "10m", "memory": "32Mi"},
            "limits": {"cpu": "200m", "memory": "64Mi"},
        },
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
    return {
        "apiVersion": "pkg.crossplane.io/v1beta1",
        "kind": "DeploymentRuntimeConfig",
        "metadata": {"name": s.runtime_config_name, "labels": {"app.kubernetes.io/part-of": PART_OF}},
        "spec": {
            "deploymentTemplate": {
                "spec": {
                    "selector": {},
                    "template": {
                        "metadata": {
                            "annotations": {"kubectl.kubernetes.io/default-container": s.runtime_container},
                        },
                        "spec": {
                            "containers": [container],
                            "volumes": [{
                                "name": "gitea-token",
                                "secret": {
                                    "secretName": s.token_secret_name,
                                    "items": [{"key": s.token_secret_key, "path": "token"}],
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
