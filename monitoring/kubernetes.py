"""Kubernetes manifests: PrometheusRule, dashboard ConfigMaps, GrafanaDashboards, PodMonitor.

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
                endpoint("metrics", settings.provider_job),
                endpoint("gitea-exporter", settings.exporter_job),
            ],
        },
    }


def kustomization(resources: list[str]) -> dict:
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(resources),
    }
