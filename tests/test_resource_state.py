"""The kube-state-metrics config for the managed resources: the model against the provider's CRDs, the config's
shape and delivery, and the real kube-state-metrics v2.20.0 reading objects with it (when it is built)."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import tarfile
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from gitea_provider_monitoring.model import catalog, managed
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.render import compiler, resource_state
from tests.realstack.tools import pinned
from tests.sim import kubeapi

ROOT = Path(__file__).resolve().parents[1]
UPSTREAM = ROOT.parent / "shared" / "upstream" / f"provider-gitea-{managed.PROVIDER_COMMIT}.tar.gz"
PROVIDER_SCHEMA = ROOT.parent / "shared" / "specs" / "crds" / "pkg.crossplane.io_v1_provider.json"
KSM_VERSION = pinned()["KSM_VERSION"]  # written once, in scripts/build-real-stack


def _ksm() -> Path:
    """The kube-state-metrics of `make real-stack-tools`: in .tools/, or in the Go tool cache another checkout filled."""
    cache = Path(os.environ.get("GO_TOOL_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                 / "gitea-provider-monitoring" / "tools")
    for folder in (ROOT / ".tools", cache):
        binary = folder / f"kube-state-metrics-{KSM_VERSION}" / "kube-state-metrics"
        if binary.is_file() and os.access(binary, os.X_OK):
            return binary
    return ROOT / ".tools" / f"kube-state-metrics-{KSM_VERSION}" / "kube-state-metrics"


KSM = _ksm()


# ---------------------------------------------------------------------------------------------
# The model against the provider's source snapshot


def _snapshot_files(pattern: str) -> dict[str, str]:
    if not UPSTREAM.exists():
        pytest.skip(f"provider source snapshot not found: {UPSTREAM} (../shared is not shipped with the repo)")
    out = {}
    with tarfile.open(UPSTREAM) as tar:
        for member in tar.getmembers():
            if member.isfile() and re.search(pattern, member.name):
                out[member.name] = tar.extractfile(member).read().decode()  # type: ignore[union-attr]
    return out


def _managed_crds() -> list[dict]:
    crds = [yaml.safe_load(text) for text in _snapshot_files(r"package/crds/[^/]+\.yaml$").values()]
    assert crds, "no CRDs under package/crds/ in the snapshot"
    # Managed kinds are the ones with spec.forProvider (pullrequests.gitea.crossplane.io lacks the category).
    def spec(version: dict) -> dict:
        return version["schema"]["openAPIV3Schema"]["properties"].get("spec", {}).get("properties", {})

    return [c for c in crds if any("forProvider" in spec(v) for v in c["spec"]["versions"])]


def test_managed_kinds_match_the_provider_crds() -> None:
    found = set()
    for c in _managed_crds():
        s = c["spec"]
        storage = next(v for v in s["versions"] if v["storage"])
        external = any(col["name"] == "EXTERNAL-NAME" for col in storage.get("additionalPrinterColumns", []))
        found.add((s["names"]["kind"], s["names"]["plural"], s["group"], storage["name"], s["scope"] == "Namespaced",
                   external))
    model = {(k.kind, k.plural, k.group, k.version, k.namespaced, k.external_name) for k in managed.MANAGED_KINDS}
    assert model == found, (f"monitoring/model/managed.py differs from the CRDs of {UPSTREAM.name}: "
                            f"only in the model {sorted(model - found)}, only in the CRDs {sorted(found - model)}")


def test_provider_config_matches_its_crd() -> None:
    crds = [yaml.safe_load(t) for t in _snapshot_files(r"package/crds/gitea\.crossplane\.io_providerconfigs\.yaml$").values()]
    assert len(crds) == 1
    s = crds[0]["spec"]
    pc = managed.PROVIDER_CONFIG
    assert (s["group"], s["names"]["kind"], s["names"]["plural"], s["scope"]) == (pc.group, pc.kind, pc.plural, "Cluster")
    assert [v["name"] for v in s["versions"] if v["storage"]] == [pc.version]


def test_served_kinds_match_the_controllers_the_provider_starts() -> None:
    files = _snapshot_files(r"internal/controller/")
    setup = next(text for name, text in files.items() if name.endswith("internal/controller/controller.go"))
    packages = re.findall(r"\b(\w+)\.Setup,", setup)
    served = set()
    for pkg in packages:
        source = next(t for n, t in files.items() if re.search(rf"internal/controller/{pkg}/{pkg}\.go$", n))
        kind = re.search(r"For\(&v2\.(\w+)\{\}\)", source)
        assert kind and 'provider-gitea/apis/' in source, f"{pkg}: no For(&v2.<Kind>{{}}) in its controller"
        served.add(kind.group(1))
    assert served == set(managed.SERVED_KINDS)
    assert {k.kind for k in managed.MANAGED_KINDS if k.served} == served
    # The v2 types are the namespaced groups': only those are served.
    assert all(k.group.endswith(managed.NAMESPACED_GROUP_SUFFIX) for k in managed.MANAGED_KINDS if k.served)


def test_package_conditions_exist_in_crossplanes_provider_schema() -> None:
    if not PROVIDER_SCHEMA.exists():
        pytest.skip(f"{PROVIDER_SCHEMA} not found (../shared is not shipped with the repo)")
    import json

    cond = json.loads(PROVIDER_SCHEMA.read_text())["properties"]["status"]["properties"]["conditions"]["items"]
    assert {"type", "status", "reason", "lastTransitionTime"} <= set(cond["properties"])


# ---------------------------------------------------------------------------------------------
# The generated config


def _config() -> dict:
    return resource_state.custom_resource_state()


def test_every_managed_kind_once_with_its_scope_and_external_name() -> None:
    resources = _config()["spec"]["resources"]
    gvks = [(r["groupVersionKind"]["group"], r["groupVersionKind"]["kind"]) for r in resources]
    assert len(gvks) == len(set(gvks)), "kube-state-metrics exits on two entries for one kind"
    by_gvk = {(r["groupVersionKind"]["group"], r["groupVersionKind"]["kind"]): r for r in resources}
    for k in managed.MANAGED_KINDS:
        r = by_gvk[(k.group, k.kind)]
        assert r["groupVersionKind"]["version"] == k.version and r["resourcePlural"] == k.plural
        assert ("namespace" in r["labelsFromPath"]) == k.namespaced, k
        info = next(m for m in r["metrics"] if m["name"] == managed.INFO)["each"]["info"]["labelsFromPath"]
        assert ("external_name" in info) == k.external_name, k
        cond = next(m for m in r["metrics"] if m["name"] == managed.CONDITION)["each"]["gauge"]
        assert cond["path"] == ["status", "conditions"] and cond["valueFrom"] == ["lastTransitionTime"]
        assert "reason" in cond["labelsFromPath"] and "type" in cond["labelsFromPath"]
    for extra in (managed.PROVIDER_CONFIG, managed.PROVIDER, managed.PROVIDER_REVISION):
        assert (extra.group, extra.kind) in by_gvk
    assert len(resources) == len(managed.MANAGED_KINDS) + 3


def test_rbac_covers_every_kind_and_the_crds() -> None:
    allowed = {(g, r) for rule in resource_state.rbac_rules() for g in rule["apiGroups"] for r in rule["resources"]
               if set(rule["verbs"]) >= {"list", "watch"}}
    assert ("apiextensions.k8s.io", "customresourcedefinitions") in allowed
    for r in _config()["spec"]["resources"]:
        assert (r["groupVersionKind"]["group"], r["resourcePlural"]) in allowed, r["groupVersionKind"]


def test_generated_names_are_in_the_catalog() -> None:
    for name in (managed.CONDITION, managed.INFO, managed.PROVIDER_CONFIG_GENERATION, managed.PACKAGE_CONDITION):
        assert catalog.lookup(managed.metric(name)) is not None, name


def test_three_deliveries_carry_the_same_config(tmp_path: Path) -> None:
    config = Config()
    files = compiler.build(config, tmp_path / "build")
    text = files[compiler.KSM_CONFIG_FILE]
    assert yaml.safe_load(text) == _config()
    values = yaml.safe_load(files[compiler.KSM_VALUES_FILE])["kube-state-metrics"]
    assert values["customResourceState"] == {"enabled": True, "config": _config()}
    assert values["rbac"]["extraRules"] == resource_state.rbac_rules()
    component = "kubernetes/components/resource-state"
    cm = yaml.safe_load(files[f"{component}/configmap.yaml"])
    assert yaml.safe_load(cm["data"][resource_state.CONFIG_KEY]) == _config()
    assert cm["metadata"]["namespace"] == config.resource_state.namespace
    binding = yaml.safe_load(files[f"{component}/clusterrolebinding.yaml"])
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": config.resource_state.service_account,
                                    "namespace": config.resource_state.namespace}]
    monitor = yaml.safe_load(files[f"{component}/servicemonitor.yaml"])
    endpoint = monitor["spec"]["endpoints"][0]
    assert endpoint["honorLabels"] is True
    assert {"action": "replace", "targetLabel": "job", "replacement": config.resource_state.job} in endpoint["relabelings"]
    kustomization = yaml.safe_load(files[f"{component}/kustomization.yaml"])
    assert sorted(kustomization["resources"]) == ["clusterrole.yaml", "clusterrolebinding.yaml", "configmap.yaml",
                                                  "servicemonitor.yaml"]
    written = compiler.write_custom_resource_state(tmp_path / "ksm" / "config.yaml", config)
    assert written.read_text() == text


# ---------------------------------------------------------------------------------------------
# The real kube-state-metrics with the generated config


def _kind(kind: str, group_suffix: str) -> managed.ManagedKind:
    return next(k for k in managed.MANAGED_KINDS if k.kind == kind and k.group.endswith(group_suffix))


def _obj(k: managed.ManagedKind | managed.CustomKind, name: str, *, conditions: list[tuple[str, str, str]] | None = None,
         namespace: str | None = None, extra_meta: dict | None = None, spec: dict | None = None) -> dict:
    meta = {"name": name, "uid": f"uid-{k.kind}-{name}", "resourceVersion": "5", "generation": 1,
            "creationTimestamp": "2026-01-01T00:00:00Z", **(extra_meta or {})}
    if namespace:
        meta["namespace"] = namespace
    obj = {"apiVersion": f"{k.group}/{k.version}", "kind": k.kind, "metadata": meta, "spec": spec or {}}
    if conditions is not None:
        obj["status"] = {"conditions": [{"type": t, "status": s, "reason": r, "lastTransitionTime": "2026-01-01T01:00:00Z"}
                                        for t, s, r in conditions]}
    return obj


HEALTHY = [("Synced", "True", "ReconcileSuccess"), ("Ready", "True", "Available")]


def _objects() -> list[dict]:
    m = managed.NAMESPACED_GROUP_SUFFIX
    repo, action = _kind("Repository", m), _kind("Action", m)
    user = _kind("User", managed.CLUSTER_GROUP_SUFFIX)
    ext = {"annotations": {managed.EXTERNAL_NAME_ANNOTATION: "ext-repo-ok"}}
    return [
        _obj(repo, "repo-ok", conditions=HEALTHY, namespace="team-a", extra_meta=ext),
        _obj(repo, "repo-bad", namespace="team-a",
             conditions=[("Synced", "False", "ReconcileError"), ("Ready", "False", "Creating")]),
        _obj(repo, "repo-gone", conditions=HEALTHY, namespace="team-a",
             extra_meta={"deletionTimestamp": "2026-01-01T02:00:00Z", "finalizers": ["finalizer.managedresource.crossplane.io"]}),
        _obj(action, "build", namespace="team-a"),  # no controller: no status at all
        _obj(user, "alice", conditions=HEALTHY),
        _obj(managed.PROVIDER_CONFIG, "default", extra_meta={"generation": 3}),
        _obj(managed.PROVIDER, "provider-gitea", conditions=[("Installed", "True", "ActivePackageRevision"),
                                                             ("Healthy", "True", "HealthyPackageRevision")]),
        _obj(managed.PROVIDER_REVISION, "provider-gitea-1a2b3c", conditions=[("Healthy", "True", "HealthyPackageRevision")],
             extra_meta={"labels": {managed.PACKAGE_LABEL: "provider-gitea"}}, spec={"desiredState": "Active"}),
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scrape(url: str) -> list[tuple[str, dict[str, str], float]]:
    with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 (loopback)
        text = r.read().decode()
    return [(s.name, s.labels, s.value) for f in text_string_to_metric_families(text) for s in f.samples]


def test_real_kube_state_metrics_reads_the_resources(tmp_path: Path) -> None:
    if not KSM.exists():
        pytest.skip(f"kube-state-metrics {KSM_VERSION} not built ({KSM.relative_to(ROOT)}): `make real-stack-tools`")
    kinds = [*managed.MANAGED_KINDS, managed.PROVIDER_CONFIG, managed.PROVIDER, managed.PROVIDER_REVISION]
    api = kubeapi.KubeAPI([kubeapi.crd(k.group, k.version, k.kind, k.plural, k.namespaced) for k in kinds],
                          _objects()).start()
    config_file = compiler.write_custom_resource_state(tmp_path / "ksm.yaml")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "fake",
        "clusters": [{"name": "fake", "cluster": {"server": api.url}}],
        "users": [{"name": "fake", "user": {}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}]}))
    port, telemetry = _free_port(), _free_port()
    log = io.BytesIO()
    proc = subprocess.Popen([str(KSM), f"--kubeconfig={kubeconfig}", "--custom-resource-state-only",
                             f"--custom-resource-state-config-file={config_file}", "--host=127.0.0.1", f"--port={port}",
                             "--telemetry-host=127.0.0.1", f"--telemetry-port={telemetry}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    want = {managed.metric(managed.CONDITION), managed.metric(managed.INFO),
            managed.metric(managed.PROVIDER_CONFIG_GENERATION), managed.metric(managed.PACKAGE_CONDITION)}
    # Series per metric once every object is read: conditions 2 x 4 reconciled resources, info 5, one
    # ProviderConfig, package conditions 2 + 1.
    expected = {managed.metric(managed.CONDITION): 8, managed.metric(managed.INFO): 5,
                managed.metric(managed.PROVIDER_CONFIG_GENERATION): 1, managed.metric(managed.PACKAGE_CONDITION): 3}
    samples: list[tuple[str, dict[str, str], float]] = []
    try:
        # Wait for the first scrape that has every metric (discovery polls the CRD cache every few seconds);
        # a deadline bounds the wait, nothing is asserted about time.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                samples = _scrape(f"http://127.0.0.1:{port}/metrics")
            except OSError:
                samples = []
            per_metric = {m: sum(1 for n, _, _ in samples if n == m) for m in want}
            if per_metric == expected:
                break
            time.sleep(1)
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        api.stop()
        log.write(err or b"")
    tail = log.getvalue().decode(errors="replace")[-3000:]
    names = {n for n, _, _ in samples}
    assert want <= names, f"kube-state-metrics did not export {sorted(want - names)}; its log:\n{tail}"

    def rows(metric: str) -> list[dict[str, str]]:
        return [lab for n, lab, _ in samples if n == managed.metric(metric)]

    cond = {(lab["name"], lab["type"]): lab for lab in rows(managed.CONDITION)}
    bad = cond[("repo-bad", "Synced")]
    assert (bad["status"], bad["reason"], bad["namespace"]) == ("False", "ReconcileError", "team-a")
    assert bad[managed.KIND_LABEL] == "Repository" and bad[managed.GROUP_LABEL] == "repository.gitea.m.crossplane.io"
    assert cond[("repo-bad", "Ready")]["reason"] == "Creating"
    assert "namespace" not in cond[("alice", "Synced")], "User of the cluster group is cluster-scoped"
    assert not any(name == "build" for name, _ in cond), "an unreconciled Action has no condition series"
    value = next(v for n, lab, v in samples if n == managed.metric(managed.CONDITION) and lab["name"] == "repo-ok"
                 and lab["type"] == "Synced")
    assert value == 1767229200.0  # 2026-01-01T01:00:00Z: the lastTransitionTime as Unix seconds
    info = {lab["name"]: lab for lab in rows(managed.INFO)}
    assert set(info) == {"repo-ok", "repo-bad", "repo-gone", "build", "alice"}
    assert info["repo-ok"]["external_name"] == "ext-repo-ok"
    assert info["repo-gone"]["deletion_timestamp"] == "2026-01-01T02:00:00Z"
    assert not info["repo-ok"].get("deletion_timestamp")
    # Series per managed resource: what docs/resource-state.md states.
    per_resource = {name: sum(1 for lab in rows(managed.CONDITION) if lab["name"] == name) + 1 for name in info}
    assert per_resource["repo-ok"] == managed.SERIES_PER_RESOURCE
    assert per_resource["build"] == 1
    gen = [v for n, lab, v in samples if n == managed.metric(managed.PROVIDER_CONFIG_GENERATION)]
    assert gen == [3.0]
    pkg = {(lab[managed.KIND_LABEL], lab["type"]): lab for lab in rows(managed.PACKAGE_CONDITION)}
    assert pkg[("ProviderRevision", "Healthy")]["package"] == "provider-gitea"
    assert pkg[("ProviderRevision", "Healthy")]["desired_state"] == "Active"
    assert pkg[("Provider", "Installed")]["status"] == "True"
    # Every label a rule or panel may use is in the catalog.
    for metric in (managed.CONDITION, managed.INFO, managed.PACKAGE_CONDITION):
        declared = set(catalog.metric(managed.metric(metric)).labels) | catalog.TARGET_LABELS
        for lab in rows(metric):
            assert set(lab) <= declared, (metric, set(lab) - declared)
