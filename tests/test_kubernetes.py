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
    ("pkg.crossplane.io/v1beta1", "DeploymentRuntimeConfig"): "pkg.crossplane.io_v1beta1_deploymentruntimeconfig.json",
    ("pkg.crossplane.io/v1", "Provider"): "pkg.crossplane.io_v1_provider.json",
    ("v1", "ConfigMap"): "core_v1_configmap.json",
    ("v1", "Secret"): "core_v1_secret.json",
    ("apps/v1", "Deployment"): "apps_v1_deployment.json",
}


def _validator(specs: Path, filename: str) -> jsonschema.protocols.Validator:
    schema = json.loads((specs / "crds" / filename).read_text())
    if filename == "monitoring.coreos.com_v1_prometheusrule.json":
        # SOURCES.md: the Go pattern ^(?i)(abort|warn)?$ is not valid for Python's re; same meaning moved.
        text = json.dumps(schema).replace('"^(?i)(abort|warn)?$"', '"(?i)^(abort|warn)?$"')
        schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


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
    assert {"PrometheusRule", "ConfigMap", "GrafanaDashboard", "PodMonitor", "DeploymentRuntimeConfig", "Provider"} <= kinds
    for rel, doc in manifests:
        key = (doc["apiVersion"], doc["kind"])
        assert key in SCHEMAS, f"{rel}: no schema known for {key}"
        errors = sorted(_validator(specs, SCHEMAS[key]).iter_errors(doc), key=lambda e: list(e.path))
        assert not errors, f"{rel}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_schema_check_can_fail(specs: Path) -> None:
    """A ConfigMap with a wrong field type must be rejected, or the test above proves nothing."""
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": 1}}
    assert list(_validator(specs, "core_v1_configmap.json").iter_errors(bad))


def test_kustomization_lists_every_manifest(built: Path) -> None:
    kdir = built / "kubernetes"
    listed = set(yaml.safe_load((kdir / "kustomization.yaml").read_text())["resources"])
    present = {str(p.relative_to(kdir)) for p in kdir.rglob("*.yaml")
               if p.name != "kustomization.yaml" and p.parent.name != "examples"}
    assert listed == present


def test_dashboard_configmaps_carry_sidecar_label(built: Path) -> None:
    for rel, doc in _manifests(built):
        if doc["kind"] == "ConfigMap":
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

    from monitoring.compiler import build
    from monitoring.config import Config

    config = Config()
    config = dataclasses.replace(config, exporter=dataclasses.replace(config.exporter, mode="both"))
    build(config, tmp_path / "out")
    drc = yaml.safe_load((tmp_path / "out" / "kubernetes" / "runtimeconfig.yaml").read_text())
    (sidecar,) = drc["spec"]["deploymentTemplate"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in sidecar["env"]}
    assert env["EXPORTER_MODE"] == "both" and env["PROXY_LISTEN_ADDRESS"] == "127.0.0.1:9524"
