"""build/kubernetes composes: every choice of components renders with the real kustomize v5 (`make tools`
builds it into .tools/bin), and every rendered object validates against its schema in ../shared/specs/crds."""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
from pathlib import Path

import pytest
import yaml

from gitea_provider_monitoring.check.promtool import find_tool
from gitea_provider_monitoring.model.config import Config, KubernetesConfig
from gitea_provider_monitoring.render.compiler import COMPONENTS, build
from tests.sim.openapi import specs_dir
from tests.test_kubernetes import schema_errors

COMBINATIONS = [c for n in range(len(COMPONENTS) + 1) for c in itertools.combinations(COMPONENTS, n)]
# Kinds each component adds to the base (PrometheusRule, PodMonitor).
ADDS = {"grafana-sidecar": {"ConfigMap"}, "grafana-operator": {"GrafanaDashboard", "GrafanaFolder"},
        "exporter": {"DeploymentRuntimeConfig"}, "alertmanager-config": {"AlertmanagerConfig"},
        "network-policy": {"NetworkPolicy"},
        "resource-state": {"ConfigMap", "ClusterRole", "ClusterRoleBinding", "ServiceMonitor"}}


@pytest.fixture(scope="module")
def kustomize() -> str:
    found = find_tool("kustomize")
    if not found:
        pytest.skip("kustomize not found: `make tools` builds it into .tools/bin with go install (needs Go)")
    version = subprocess.run([found, "version"], capture_output=True, text=True).stdout
    assert version.startswith("v5."), f"kustomize v5 needed for components, got {version!r}"
    return found


class _Loader(yaml.SafeLoader):
    """kustomize writes `matchType: =` unquoted; Go's YAML reads a string, PyYAML's YAML 1.1 `value` tag fails.
    Read it as the string it is (as SOURCES.md does for the AlertmanagerConfig CRD)."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def render(kustomize: str, kdir: Path, components: tuple[str, ...], where: Path) -> list[dict]:
    """What `kubectl apply -k` would apply for a user kustomization picking `components`."""
    where.mkdir(parents=True, exist_ok=True)
    rel = Path("..") / Path(*[".."] * (len(where.relative_to(kdir.parent).parts) - 1)) / kdir.name
    (where / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [str(rel)], "components": [str(rel / "components" / c) for c in components]}))
    out = subprocess.run([kustomize, "build", str(where)], capture_output=True, text=True)
    assert out.returncode == 0, f"kustomize build with {components}: {out.stderr}"
    return [d for d in yaml.load_all(out.stdout, Loader=_Loader) if d]


def test_every_combination_renders_and_validates(kustomize: str, built: Path) -> None:
    kdir = built / "kubernetes"
    specs = specs_dir()
    for components in COMBINATIONS:
        docs = render(kustomize, kdir, components, built / "users" / ("-".join(components) or "base-only"))
        kinds = {d["kind"] for d in docs}
        assert kinds == {"PrometheusRule", "PodMonitor"}.union(*(ADDS[c] for c in components)), components
        if specs is not None:  # conformance only; rendering above runs on a plain clone
            for doc in docs:
                errors = schema_errors(specs, doc)
                assert not errors, f"{components}: " + "; ".join(errors)
    assert len(COMBINATIONS) == 2 ** len(COMPONENTS)


def test_schema_validation_of_the_rendered_objects(kustomize: str, built: Path, specs: Path) -> None:
    """Skips (saying so) without ../shared/specs; the test above still renders every combination."""
    docs = render(kustomize, built / "kubernetes", COMPONENTS, built / "users" / "all-for-schemas")
    assert len(docs) > 10 and not [e for d in docs for e in schema_errors(specs, d)]


def _config(**kubernetes: object) -> Config:
    c = Config()
    return dataclasses.replace(c, kubernetes_namespace="monitoring",
                               provider=dataclasses.replace(c.provider, namespace="crossplane"),
                               kubernetes=dataclasses.replace(KubernetesConfig(), **kubernetes))


@pytest.fixture(scope="module")
def kube_prometheus_stack_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/install.md's kube-prometheus-stack example: manifests in `monitoring`, the provider in `crossplane`."""
    out = tmp_path_factory.mktemp("kps") / "build"
    release = {"release": "kube-prometheus-stack"}
    build(_config(prometheus_rule_labels=release, pod_monitor_labels=release, labels={"team": "platform"},
                  dashboard_configmap_labels={"grafana_dashboard": "1", "extra": "cm"}), out)
    return out


def _docs(kdir: Path) -> list[dict]:
    return [d for p in sorted(kdir.rglob("*.yaml")) if p.name != "kustomization.yaml"
            for d in yaml.safe_load_all(p.read_text()) if d]


def test_podmonitor_watches_the_providers_namespace(kube_prometheus_stack_build: Path) -> None:
    (pm,) = [d for d in _docs(kube_prometheus_stack_build / "kubernetes") if d["kind"] == "PodMonitor"]
    assert pm["metadata"]["namespace"] == "monitoring"
    assert pm["spec"]["namespaceSelector"] == {"matchNames": ["crossplane"]}


def test_release_label_reaches_prometheusrule_and_podmonitor(kube_prometheus_stack_build: Path) -> None:
    docs = _docs(kube_prometheus_stack_build / "kubernetes")
    for doc in docs:
        labels = doc["metadata"].get("labels", {})
        if doc["kind"] in ("PrometheusRule", "PodMonitor", "ServiceMonitor"):
            assert labels["release"] == "kube-prometheus-stack", doc["kind"]
        elif doc["kind"] != "Provider":  # the example Provider is the user's, not ours
            assert "release" not in labels, doc["kind"]  # per kind: nothing else is selected by it
        if doc["kind"] != "Provider":
            assert labels["team"] == "platform" and labels["app.kubernetes.io/part-of"] == "gitea-provider-monitoring"
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith("grafana-dashboard-"):
            assert labels["extra"] == "cm" and labels["grafana_dashboard"] == "1"
        elif doc["kind"] == "ConfigMap":  # the kube-state-metrics config: not a dashboard for the sidecar
            assert "grafana_dashboard" not in labels


def test_namespaced_objects_go_where_they_act(kube_prometheus_stack_build: Path) -> None:
    """NetworkPolicy and AlertmanagerConfig act on the provider's namespace (the operator adds a namespace
    matcher equal to the AlertmanagerConfig's own); the rest live in kubernetes_namespace."""
    for doc in _docs(kube_prometheus_stack_build / "kubernetes"):
        ns = doc["metadata"].get("namespace")
        if doc["kind"] in ("NetworkPolicy", "AlertmanagerConfig"):
            assert ns == "crossplane", doc["kind"]
        elif doc["kind"] in ("DeploymentRuntimeConfig", "Provider", "ClusterRole", "ClusterRoleBinding"):
            assert ns is None  # cluster-scoped
        elif doc["metadata"]["name"] == Config().resource_state.config_map_name:
            assert ns == Config().resource_state.namespace, doc["kind"]  # beside the user's kube-state-metrics
        else:
            assert ns == "monitoring", doc["kind"]


def test_grafana_operator_objects_import_across_namespaces(built: Path, tmp_path: Path) -> None:
    docs = [d for d in _docs(built / "kubernetes") if d["kind"] in ("GrafanaDashboard", "GrafanaFolder")]
    (folder,) = [d for d in docs if d["kind"] == "GrafanaFolder"]
    assert folder["spec"]["title"] == Config().grafana_folder
    for doc in docs:
        assert doc["spec"]["allowCrossNamespaceImport"] is True
        assert doc["spec"]["instanceSelector"] == {"matchLabels": Config().grafana_instance_selector}
        if doc["kind"] == "GrafanaDashboard":
            assert doc["spec"]["folderRef"] == folder["metadata"]["name"] and "folder" not in doc["spec"]
    build(_config(grafana_allow_cross_namespace_import=False), tmp_path / "b")
    assert all(d["spec"]["allowCrossNamespaceImport"] is False for d in _docs(tmp_path / "b" / "kubernetes")
               if d["kind"].startswith("Grafana"))


def test_network_policy_admits_only_prometheus_to_the_exporter_port(built: Path) -> None:
    (np,) = [d for d in _docs(built / "kubernetes") if d["kind"] == "NetworkPolicy"]
    port = Config().exporter.port
    spec = np["spec"]
    assert spec["podSelector"] == {"matchLabels": {"pkg.crossplane.io/provider": Config().provider.package_name}}
    assert spec["policyTypes"] == ["Ingress"]
    exporter_rules = [r for r in spec["ingress"] if any(p.get("port") <= port <= p.get("endPort", p["port"])
                                                        and p["protocol"] == "TCP" for p in r["ports"])]
    (only,) = exporter_rules  # exactly one rule opens the exporter's port...
    assert only["ports"] == [{"protocol": "TCP", "port": port}]
    (peer,) = only["from"]  # ...to Prometheus pods in Prometheus' namespace
    assert peer["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    assert peer["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}
    # Every other TCP port stays open to all, as before the policy (the provider's metrics, its webhooks).
    (rest,) = [r for r in spec["ingress"] if r is not only]
    assert "from" not in rest
    covered = set()
    for p in rest["ports"]:
        if p["protocol"] == "TCP":
            covered.update(range(p["port"], p["endPort"] + 1))
    assert covered == set(range(1, 65536)) - {port}


def test_runtime_config_merges_into_an_existing_one(specs: Path) -> None:
    """docs/install.md: applied server-side under the name of the Provider's existing DeploymentRuntimeConfig, the sidecar
    merges in, because the CRD keys containers and volumes by name (list-type map); checked on the real CRD."""
    import json

    schema = json.loads((specs / "crds" / "pkg.crossplane.io_v1beta1_deploymentruntimeconfig.json").read_text())
    pod = schema["properties"]["spec"]["properties"]["deploymentTemplate"]["properties"]["spec"]["properties"][
        "template"]["properties"]["spec"]["properties"]
    for key in ("containers", "volumes"):
        assert pod[key]["x-kubernetes-list-type"] == "map" and pod[key]["x-kubernetes-list-map-keys"] == ["name"]
