"""Generated manifests validate against the official CRD and core schemas in ../shared/specs/crds."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

SCHEMAS = {
    ("monitoring.coreos.com/v1", "PrometheusRule"): "monitoring.coreos.com_v1_prometheusrule.json",
    ("monitoring.coreos.com/v1", "PodMonitor"): "monitoring.coreos.com_v1_podmonitor.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "monitoring.coreos.com_v1_servicemonitor.json",
    ("grafana.integreatly.org/v1beta1", "GrafanaDashboard"): "grafana.integreatly.org_v1beta1_grafanadashboard.json",
    ("grafana.integreatly.org/v1beta1", "GrafanaFolder"): "grafana.integreatly.org_v1beta1_grafanafolder.json",
    ("monitoring.coreos.com/v1alpha1", "AlertmanagerConfig"): "monitoring.coreos.com_v1alpha1_alertmanagerconfig.json",
    ("pkg.crossplane.io/v1beta1", "DeploymentRuntimeConfig"): "pkg.crossplane.io_v1beta1_deploymentruntimeconfig.json",
    ("pkg.crossplane.io/v1", "Provider"): "pkg.crossplane.io_v1_provider.json",
    ("v1", "ConfigMap"): "core_v1_configmap.json",
    ("v1", "Secret"): "core_v1_secret.json",
    ("apps/v1", "Deployment"): "apps_v1_deployment.json",
}


# Kinds without a schema in ../shared/specs/crds: checked structurally by their own tests instead.
NO_SCHEMA = {("networking.k8s.io/v1", "NetworkPolicy"), ("rbac.authorization.k8s.io/v1", "ClusterRole"),
             ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding")}


def _global_flags(node: object) -> object:
    """SOURCES.md: Go patterns carry an inline (?i) that Python's re refuses unless it is at the start; the same
    meaning with the flag moved to the front (PrometheusRule's ^(?i)(abort|warn)?$, AlertmanagerConfig's weekdays)."""
    if isinstance(node, dict):
        return {k: (("(?i)" + v.replace("(?i)", "")) if k == "pattern" and isinstance(v, str) and "(?i)" in v[1:]
                    else _global_flags(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_global_flags(v) for v in node]
    return node


_VALIDATORS: dict[str, jsonschema.protocols.Validator] = {}


def _validator(specs: Path, filename: str) -> jsonschema.protocols.Validator:
    if filename in _VALIDATORS:
        return _VALIDATORS[filename]
    schema = _global_flags(json.loads((specs / "crds" / filename).read_text()))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    _VALIDATORS[filename] = cls(schema)
    return _VALIDATORS[filename]


def schema_errors(specs: Path, doc: dict) -> list[str]:
    """Every schema error of one rendered object (its kind must have a schema or be listed in NO_SCHEMA)."""
    key = (doc["apiVersion"], doc["kind"])
    if key in NO_SCHEMA:
        return []
    assert key in SCHEMAS, f"no schema known for {key}"
    errors = sorted(_validator(specs, SCHEMAS[key]).iter_errors(doc), key=lambda e: list(e.path))
    return [f"{doc['kind']} {doc['metadata'].get('name')}: {list(e.path)}: {e.message}" for e in errors[:5]]


def _manifests(built: Path) -> list[tuple[str, dict]]:
    out = []
    for path in sorted((built / "kubernetes").rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                out.append((str(path.relative_to(built)), doc))
    return out


def test_every_manifest_validates_against_its_schema(built: Path, specs: Path) -> None:
    manifests = _manifests(built)
    kinds = {doc["kind"] for _, doc in manifests}
    assert {"PrometheusRule", "ConfigMap", "GrafanaDashboard", "GrafanaFolder", "PodMonitor", "DeploymentRuntimeConfig",
            "Provider", "AlertmanagerConfig", "NetworkPolicy"} <= kinds
    for rel, doc in manifests:
        errors = schema_errors(specs, doc)
        assert not errors, f"{rel}: " + "; ".join(errors)


def test_schema_check_can_fail(specs: Path) -> None:
    """A ConfigMap with a wrong field type must be rejected, or the test above proves nothing."""
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": 1}}
    assert list(_validator(specs, "core_v1_configmap.json").iter_errors(bad))


def test_schema_check_can_fail_on_an_alertmanagerconfig(specs: Path) -> None:
    bad = {"apiVersion": "monitoring.coreos.com/v1alpha1", "kind": "AlertmanagerConfig", "metadata": {"name": "x"},
           "spec": {"route": {"matchers": [{"name": "a", "value": "b", "matchType": "=="}]}}}
    assert schema_errors(specs, bad)


def test_base_and_each_component_list_their_own_files(built: Path) -> None:
    """The base is the rules and the PodMonitor; each component lists exactly the files beside it."""
    kdir = built / "kubernetes"
    base = yaml.safe_load((kdir / "kustomization.yaml").read_text())
    assert base["kind"] == "Kustomization" and base["resources"] == ["podmonitor.yaml", "prometheusrule.yaml"]
    components = sorted(p.parent.name for p in (kdir / "components").glob("*/kustomization.yaml"))
    assert components == sorted(["grafana-sidecar", "grafana-operator", "exporter", "alertmanager-config",
                                 "network-policy", "resource-state"])
    for name in components:
        cdir = kdir / "components" / name
        comp = yaml.safe_load((cdir / "kustomization.yaml").read_text())
        assert comp["kind"] == "Component", name
        assert set(comp["resources"]) == {p.name for p in cdir.glob("*.yaml") if p.name != "kustomization.yaml"}


def test_dashboard_configmaps_carry_sidecar_label(built: Path) -> None:
    for rel, doc in _manifests(built):
        if doc["kind"] == "ConfigMap" and "grafana-sidecar" in str(rel):
            assert doc["metadata"]["labels"]["grafana_dashboard"] == "1", rel
            (payload,) = doc["data"].values()
            assert json.loads(payload)["uid"]


def test_podmonitor_drops_no_metric(built: Path) -> None:
    (pm,) = [d for _, d in _manifests(built) if d["kind"] == "PodMonitor"]
    for endpoint in pm["spec"]["podMetricsEndpoints"]:
        assert "metricRelabelings" not in endpoint
    jobs = {e["relabelings"][0]["replacement"] for e in pm["spec"]["podMetricsEndpoints"]}
    assert jobs == {"provider-gitea", "gitea-api-exporter"}


@pytest.mark.parametrize("kind", ["PrometheusRule"])
def test_prometheusrule_holds_every_group(built: Path, kind: str) -> None:
    (rule,) = [d for _, d in _manifests(built) if d["kind"] == kind]
    names = {g["name"] for g in rule["spec"]["groups"]}
    files = [yaml.safe_load(p.read_text()) for p in (built / "prometheus" / "rules").glob("*.yaml")]
    assert names == {g["name"] for f in files for g in f["groups"]}


def test_sidecar_is_locked_down_and_reads_the_providers_secret(built: Path) -> None:
    (drc,) = [d for _, d in _manifests(built) if d["kind"] == "DeploymentRuntimeConfig"]
    pod = drc["spec"]["deploymentTemplate"]["spec"]["template"]["spec"]
    (sidecar,) = pod["containers"]
    sc = sidecar["securityContext"]
    assert sc["runAsNonRoot"] and sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"]
    assert sc["capabilities"]["drop"] == ["ALL"] and sc["seccompProfile"]["type"] == "RuntimeDefault"
    assert set(sidecar["resources"]) == {"requests", "limits"}
    env = {e["name"]: e.get("value") for e in sidecar["env"]}
    assert "GITEA_TOKEN" not in env  # the token comes from a mounted Secret file, never a literal
    (volume,) = pod["volumes"]
    assert volume["secret"]["secretName"] == "gitea-credentials"
    assert volume["secret"]["optional"] is True  # a wrong Secret name must not keep the provider's pod from starting
    assert env["GITEA_TOKEN_FILE"].startswith(volume_mount(sidecar, volume["name"]))
    (port,) = sidecar["ports"]
    (pm,) = [d for _, d in _manifests(built) if d["kind"] == "PodMonitor"]
    assert port["name"] in {e["port"] for e in pm["spec"]["podMetricsEndpoints"]}
    (provider,) = [d for _, d in _manifests(built) if d["kind"] == "Provider"]
    assert provider["spec"]["runtimeConfigRef"]["name"] == drc["metadata"]["name"]


def volume_mount(container: dict, volume: str) -> str:
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume]
    assert mount["readOnly"]
    return mount["mountPath"]


def test_proxy_mode_sidecar_listens_on_localhost_only(tmp_path: Path) -> None:
    import dataclasses

    from gitea_provider_monitoring.model.config import Config
    from gitea_provider_monitoring.render.compiler import build

    config = Config()
    config = dataclasses.replace(config, exporter=dataclasses.replace(config.exporter, mode="both"))
    build(config, tmp_path / "out")
    drc = yaml.safe_load((tmp_path / "out" / "kubernetes" / "components" / "exporter" / "runtimeconfig.yaml").read_text())
    (sidecar,) = drc["spec"]["deploymentTemplate"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in sidecar["env"]}
    assert env["EXPORTER_MODE"] == "both" and env["PROXY_LISTEN_ADDRESS"] == "127.0.0.1:9524"


@pytest.mark.parametrize(("interval", "timeout", "key"), [("15s", "15s", "exporter.timeout"),
                                                          ("1m30s", "10s", "exporter.interval"),
                                                          ("15s", "0s", "exporter.timeout")])
def test_probe_interval_and_timeout_are_checked_at_build(interval: str, timeout: str, key: str, tmp_path: Path) -> None:
    """What the exporter would refuse at start (crash-looping beside the provider) is refused by the build."""
    import dataclasses

    from gitea_provider_monitoring.model.config import Config
    from gitea_provider_monitoring.model.errors import ConfigError
    from gitea_provider_monitoring.render.compiler import build

    c = Config()
    c = dataclasses.replace(c, exporter=dataclasses.replace(c.exporter, interval=interval, timeout=timeout))
    with pytest.raises(ConfigError) as err:
        build(c, tmp_path / "out")
    assert err.value.key == key
    assert not (tmp_path / "out").exists()


def test_sidecar_requests_come_from_the_benchmark() -> None:
    """docs/exporter.md's benchmark table and the requests are one set of numbers: RSS with headroom, CPU for the
    probe rate."""
    from gitea_provider_monitoring.model.config import Config
    from gitea_provider_monitoring.render import kubernetes as k8s
    from gitea_provider_monitoring.render.compiler import sidecar_settings

    readme = (Path(__file__).resolve().parent.parent / "docs" / "exporter.md").read_text()
    assert f"| resident memory | {k8s.BENCH_RSS_MIB} MiB |" in readme
    assert f"| CPU per 1,000 probes | {k8s.BENCH_CPU_SECONDS_PER_1000_PROBES} s |" in readme
    resources = k8s.sidecar_resources(sidecar_settings(Config()))
    memory = int(resources["requests"]["memory"].removesuffix("Mi"))
    assert k8s.BENCH_RSS_MIB * 1.2 <= memory <= k8s.BENCH_RSS_MIB * 1.5
    assert memory <= int(resources["limits"]["memory"].removesuffix("Mi"))
    # 4 probes every 15 s at 1.59 ms each is under 1 millicore: the floor applies.
    assert resources["requests"]["cpu"] == f"{k8s.CPU_REQUEST_FLOOR_M}m"
