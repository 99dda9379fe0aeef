"""build/helm/<chart>: the chart renders, object by object, what kustomize renders for the same choices.

The pure-Python checks (chart layout, values.yaml against values.schema.json, the schema refusing wrong values,
the chart's objects with default values equal to build/kubernetes) run everywhere. The checks that need the helm
binary (`make tools` builds v3 with go install) skip, saying so, without it: lint --strict, template of every
component combination against kustomize, schema refusal at `helm template`, CRD schemas, promtool with alerts
disabled through values.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from gitea_provider_monitoring import __version__
from gitea_provider_monitoring.check import promtool
from gitea_provider_monitoring.check.promtool import find_tool
from gitea_provider_monitoring.model.config import Config, KubernetesConfig
from gitea_provider_monitoring.model.overrides import AlertOverride, Overrides
from gitea_provider_monitoring.model.rules import SEVERITIES
from gitea_provider_monitoring.render import helm as chart
from gitea_provider_monitoring.render.compiler import BASE, COMPONENTS, build
from tests.test_kubernetes import schema_errors
from tests.test_kustomize import _Loader, kustomize, render  # noqa: F401 (kustomize is a fixture)

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "examples" / "helm" / "kube-prometheus-stack.yaml"
PARTS = (*BASE, *COMPONENTS)


def chart_dir(built: Path) -> Path:
    return built / chart.HELM_DIR


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _key(doc: dict) -> tuple[str, str, str]:
    return doc["kind"], doc["metadata"].get("namespace", ""), doc["metadata"]["name"]


def _by_key(docs: list[dict]) -> dict[tuple[str, str, str], dict]:
    out = {_key(d): d for d in docs}
    assert len(out) == len(docs), "two objects share kind, namespace and name"
    return out


def _kustomize_files(kdir: Path, parts: tuple[str, ...]) -> list[dict]:
    """The objects of build/kubernetes for these parts, straight from its files (kustomize emits them unchanged);
    which file is whose is read from the chart's index beside it."""
    index = json.loads((kdir.parent / chart.HELM_DIR / "files" / "index.json").read_text())
    names = {p["key"]: [Path(f).name.split(".")[0] for o in p["objects"] for f in list(o["files"].values())[:1]]
             for p in index["parts"]}
    paths = [(kdir if part in BASE else kdir / "components" / part) / f"{name}.yaml"
             for part in parts for name in names[chart.part_key(part)]]
    return [d for p in paths for d in yaml.safe_load_all(p.read_text()) if d]


# ----------------------------------------------------------------------------------------------------------------
# Pure Python: no helm needed


def test_chart_layout_and_version(built: Path) -> None:
    cdir = chart_dir(built)
    meta = _load(cdir / "Chart.yaml")
    assert meta["apiVersion"] == "v2" and meta["name"] == cdir.name == "gitea-provider-monitoring"
    assert meta["version"] == meta["appVersion"] == __version__
    index = json.loads((cdir / "files" / "index.json").read_text())
    assert [p["key"] for p in index["parts"]] == [chart.part_key(p) for p in PARTS]
    for part in index["parts"]:
        for obj in part["objects"]:
            for file in obj["files"].values():
                assert (cdir / file).is_file(), file
    values = _load(cdir / "values.yaml")
    for part in PARTS:  # every part (a new component too) is a switch; the kustomize base is on by default
        assert values[chart.part_key(part)]["enabled"] is (part in BASE), part


def test_values_yaml_says_what_stays_in_the_config(built: Path) -> None:
    text = (chart_dir(built) / "values.yaml").read_text()
    assert "Thresholds, `for` windows, selectors" in text and "make build CONFIG=" in text
    assert f"provider.namespace: {Config().provider.namespace}" in text
    assert "# The gitea-api-exporter image" in text  # each value documented above itself


def test_default_values_validate_against_the_schema(built: Path) -> None:
    cdir = chart_dir(built)
    schema = json.loads((cdir / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(_load(cdir / "values.yaml"), schema, cls=jsonschema.Draft7Validator)
    jsonschema.validate(_load(EXAMPLE), schema, cls=jsonschema.Draft7Validator)

    def closed(node: object, where: str) -> None:  # every object with properties refuses unknown keys
        if isinstance(node, dict):
            if "properties" in node:
                assert node.get("additionalProperties") is False, where
            for k, v in node.items():
                closed(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                closed(v, f"{where}[{i}]")
    closed(schema, "$")


WRONG = [  # (values, what the schema error names)
    ({"exporter": {"imagee": "x"}}, "imagee"),
    ({"exporter": {"mode": "sidecar"}}, "sidecar"),
    ({"exporter": {"enabled": "yes"}}, "yes"),
    ({"exporter": {"giteaUrl": "gitea:3000"}}, "gitea:3000"),
    ({"labels": {"Deployment": {"a": "b"}}}, "Deployment"),
    ({"labels": {"common": {"team": "a b"}}}, "a b"),
    ({"namespace": "Not_A_Namespace"}, "Not_A_Namespace"),
    ({"grafanaSidecar": {"enabled": True, "folder": "x"}}, "folder"),
    ({"alertmanagerConfig": {"receivers": {"page": "http://x"}}}, "page"),
]


@pytest.mark.parametrize(("wrong", "named"), WRONG, ids=[w[1] for w in WRONG])
def test_schema_refuses_wrong_values(built: Path, wrong: dict, named: str) -> None:
    schema = json.loads((chart_dir(built) / "values.schema.json").read_text())
    values = _merge(_load(chart_dir(built) / "values.yaml"), wrong)
    with pytest.raises(jsonschema.ValidationError) as err:
        jsonschema.validate(values, schema, cls=jsonschema.Draft7Validator)
    assert named in str(err.value.message) or named in str(list(err.value.path)), err.value.message


def test_schema_refuses_unknown_alert_bad_severity_and_reserved_label(built: Path) -> None:
    schema = json.loads((chart_dir(built) / "values.schema.json").read_text())
    values = _load(chart_dir(built) / "values.yaml")
    alert = next(iter(values["alerts"]))
    for wrong in ({"alerts": {"NoSuchAlert": {"enabled": False}}}, {"alerts": {alert: {"severity": "page"}}},
                  {"alerts": {alert: {"labels": {"severity": "critical"}}}},
                  {"alerts": {alert: {"labels": {"bad-name": "x"}}}}, {"alerts": {alert: {"enabled": "false"}}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(_merge(values, wrong), schema, cls=jsonschema.Draft7Validator)
    assert schema["properties"]["alerts"]["properties"][alert]["properties"]["severity"]["enum"] == list(SEVERITIES)


def _merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _fill(node: object, values: dict) -> object:
    """A marker replaced by the value at its path (what the template's `replace ... toJson` does)."""
    if isinstance(node, dict):
        return {k: _fill(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, values) for v in node]
    if isinstance(node, str) and (m := chart.MARKER_RE.fullmatch(node)):
        for name in m.group(1).split("."):
            values = values[name]
        return values
    return node


def test_chart_objects_with_the_default_values_are_the_kustomize_objects(built: Path) -> None:
    """Without helm: the chart's object files, markers filled with the defaults and labels added, are the files of
    build/kubernetes (the helm checks below run the real template)."""
    cdir = chart_dir(built)
    values = {**_load(cdir / "values.yaml"), "namespace": Config().kubernetes_namespace}
    index = json.loads((cdir / "files" / "index.json").read_text())
    docs = []
    for part in index["parts"]:
        for obj in part["objects"]:
            file = obj["files"][values["exporter"]["mode"]] if obj["by"] else obj["files"][""]
            doc = _fill(json.loads((cdir / file).read_text()), values)
            meta = doc["metadata"]
            meta["labels"] = {**meta["labels"], **values["labels"]["common"], **values["labels"][doc["kind"]]}
            docs.append(doc)
    assert _by_key(docs) == _by_key(_kustomize_files(built / "kubernetes", PARTS))


def test_lint_of_the_build_leaves_the_chart_out(built: Path) -> None:
    """Its files hold markers, not deployable objects: `gitea-monitoring lint build/` says so and reads the rest."""
    from gitea_provider_monitoring.lint.inputs import expand, load

    assert not [p for p in expand([built]) if chart.HELM_DIR in str(p)]
    assert any(str(chart_dir(built)) in i and "Helm chart" in i for i in load([built]).ignored)


def test_markers_are_whole_values_and_every_value_is_used() -> None:
    def render(model: object, inputs: object) -> dict:
        return {"rules": {"x.yaml": {"kind": "ConfigMap", "data": {"a": f"prefix {inputs.kube.namespace}"}}}}

    from gitea_provider_monitoring.model.errors import DefinitionError
    from gitea_provider_monitoring.render.compiler import kube_inputs, load_model

    def render_without_exporter(model: object, inputs: object) -> dict:
        return {"rules": {"x.yaml": {"kind": "ConfigMap", "metadata": {"namespace": inputs.kube.namespace}}}}

    model = load_model(Config())
    inputs, values = kube_inputs(model, Config()), chart.deploy_values(("probe",))
    with pytest.raises(DefinitionError, match="part of a longer string"):
        chart.chart_objects(model, inputs, values, render)
    with pytest.raises(DefinitionError, match=r"exporter\.image.* reach no object"):
        chart.chart_objects(model, inputs, values, render_without_exporter)


def test_exporter_mode_shares_no_port() -> None:
    """A config whose proxy port is the exporter's own offers only probe mode in the schema."""
    from gitea_provider_monitoring.render.compiler import helm_files, load_model

    c = Config()
    shared = dataclasses.replace(c, exporter=dataclasses.replace(c.exporter, proxy_port=c.exporter.port))
    files = helm_files(load_model(shared), shared)
    schema = json.loads(files[f"{chart.HELM_DIR}/values.schema.json"])
    assert schema["properties"]["exporter"]["properties"]["mode"]["enum"] == ["probe"]


# ----------------------------------------------------------------------------------------------------------------
# With the helm binary


HELM_MISSING = "helm not found: `make tools` builds v3 into .tools/bin with go install (needs Go)"


def _helm_v4() -> list[str]:
    """helm v4 builds (`make tools`, .tools/helm-<version>/), run beside v3 by the checks a user's helm does."""
    return sorted(str(p) for p in (REPO_ROOT / ".tools").glob("helm-4.*/helm") if p.is_file())


@pytest.fixture(scope="module")
def helm() -> str:
    found = find_tool("helm")
    if not found:
        pytest.skip(HELM_MISSING)
    return found


@pytest.fixture(scope="module", params=["v3", *_helm_v4()], ids=lambda p: "helm-v3" if p == "v3" else Path(p).parent.name)
def any_helm(request: pytest.FixtureRequest) -> str:
    """Each helm major version `make tools` built: v3 (required for these checks) and v4 when it built."""
    if request.param == "v3":
        return request.getfixturevalue("helm")
    return request.param


def helm_template(helm: str, cdir: Path, namespace: str, *args: str) -> list[dict]:
    out = subprocess.run([helm, "template", "gitea-provider-monitoring", str(cdir), "--namespace", namespace, *args],
                         capture_output=True, text=True)
    assert out.returncode == 0, f"helm template {' '.join(args)}: {out.stderr}"
    return [d for d in yaml.load_all(out.stdout, Loader=_Loader) if d]


def _switches(parts: tuple[str, ...]) -> list[str]:
    return [a for p in PARTS for a in ("--set", f"{chart.part_key(p)}.enabled={str(p in parts).lower()}")]


def test_helm_lint_strict(any_helm: str, built: Path) -> None:
    for args in ([], _switches(PARTS), ["-f", str(EXAMPLE)]):
        out = subprocess.run([any_helm, "lint", "--strict", str(chart_dir(built)), *args], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr


def test_every_combination_equals_kustomize(helm: str, kustomize: str, built: Path) -> None:  # noqa: F811
    """Base on, each of the 2^n component combinations: helm template == kustomize build, object by object."""
    cdir, kdir, ns = chart_dir(built), built / "kubernetes", Config().kubernetes_namespace
    combos = [c for n in range(len(COMPONENTS) + 1) for c in itertools.combinations(COMPONENTS, n)]
    for components in combos:
        docs = helm_template(helm, cdir, ns, *_switches((*BASE, *components)))
        want = render(kustomize, kdir, components, built / "users" / ("helm-" + ("-".join(components) or "base-only")))
        assert _by_key(docs) == _by_key(want), components
    assert len(combos) == 2 ** len(COMPONENTS)


def test_base_parts_switch_off(helm: str, built: Path) -> None:
    cdir, ns = chart_dir(built), Config().kubernetes_namespace
    for parts in ((), ("rules",), ("pod-monitor",), ("rules", "exporter")):
        docs = helm_template(helm, cdir, ns, *_switches(parts))
        assert _by_key(docs) == _by_key(_kustomize_files(built / "kubernetes", parts)), parts


def test_rendered_objects_validate_against_the_crds(helm: str, built: Path, specs: Path) -> None:
    docs = helm_template(helm, chart_dir(built), "monitoring", *_switches(PARTS), "-f", str(EXAMPLE))
    assert len(docs) > 10 and not [e for d in docs for e in schema_errors(specs, d)]


@pytest.fixture(scope="module")
def kps_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The config a kustomize user writes for what examples/helm/kube-prometheus-stack.yaml chooses."""
    c = Config()
    release = {"release": "kube-prometheus-stack"}
    config = dataclasses.replace(c, kubernetes_namespace="monitoring", kubernetes=dataclasses.replace(
        KubernetesConfig(), prometheus_rule_labels=release, pod_monitor_labels=release))
    out = tmp_path_factory.mktemp("kps-helm") / "build"
    build(config, out)
    return out


def test_kube_prometheus_stack_example_equals_its_config(any_helm: str, kustomize: str, built: Path,  # noqa: F811
                                                         kps_build: Path) -> None:
    """The docs' example values render what the equivalent config renders with kustomize."""
    values = _load(EXAMPLE)
    on = tuple(p for p in COMPONENTS if values.get(chart.part_key(p), {}).get("enabled"))
    docs = helm_template(any_helm, chart_dir(built), "monitoring", "-f", str(EXAMPLE))
    want = render(kustomize, kps_build / "kubernetes", on, kps_build / "users" / "helm-example")
    assert _by_key(docs) == _by_key(want)
    assert {d["kind"] for d in docs if d["metadata"]["labels"].get("release") == "kube-prometheus-stack"} == \
        {"PrometheusRule", "PodMonitor"}


def test_exporter_values_reach_the_runtime_config(helm: str, built: Path) -> None:
    docs = helm_template(helm, chart_dir(built), "x", "--set", "exporter.enabled=true", "--set", "exporter.mode=both",
                         "--set", "exporter.image=registry.example/exporter:1", "--set",
                         "exporter.giteaUrl=https://git.example", "--set", "exporter.tokenSecret.name=tok",
                         "--set", "exporter.resources.requests.cpu=50m", "--set", "labels.DeploymentRuntimeConfig.a=b")
    (drc,) = [d for d in docs if d["kind"] == "DeploymentRuntimeConfig"]
    pod = drc["spec"]["deploymentTemplate"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    env = {e["name"]: e["value"] for e in c["env"]}
    assert c["image"] == "registry.example/exporter:1" and env["GITEA_URL"] == "https://git.example"
    assert env["EXPORTER_MODE"] == "both" and "PROXY_LISTEN_ADDRESS" in env  # the proxy variant of the object
    assert c["resources"]["requests"]["cpu"] == "50m" and c["resources"]["limits"]["memory"]  # merged with defaults
    assert pod["volumes"][0]["secret"]["secretName"] == "tok" and drc["metadata"]["labels"]["a"] == "b"


@pytest.mark.parametrize(("args", "message"), [
    (["--set", "exporter.mode=sidecar"], r"exporter/mode.*(probe|must be one of)"),
    (["--set", "exporter.imagee=x"], r"imagee"),
    (["--set", "alerts.NoSuchAlert.enabled=false"], r"NoSuchAlert"),
    (["--set-string", "rules.enabled=yes"], r"rules/enabled.*boolean"),
], ids=["enum", "unknown-key", "unknown-alert", "type"])
def test_helm_refuses_a_wrong_value(any_helm: str, built: Path, args: list[str], message: str) -> None:
    out = subprocess.run([any_helm, "template", "x", str(chart_dir(built)), *args], capture_output=True, text=True)
    assert out.returncode != 0
    assert "values don't meet the specifications of the schema" in out.stderr, out.stderr
    assert re.search(message, out.stderr, re.S), out.stderr


def _alert_choices(values: dict) -> tuple[list[str], str, str]:
    """Two alerts to disable, one to re-route and one to label, from the non-SLO rule files (fast promtool cases)."""
    names = [n for n in values["alerts"] if not n.startswith("GiteaSLO") and "Budget" not in n]
    assert len(names) >= 4
    return names[:2], names[2], names[3]


def test_alerts_values_equal_the_config_overrides_and_pass_promtool(helm: str, built: Path,
                                                                    tmp_path: Path) -> None:
    """alerts.<name>.enabled/severity/labels through values render the PrometheusRule that the same `overrides:` in
    the config render; with its groups as the rule files, the promtool cases generated for that config pass."""
    values = _load(chart_dir(built) / "values.yaml")
    off, rerouted, labelled = _alert_choices(values)
    severity = next(s for s in SEVERITIES if s != values["alerts"][rerouted]["severity"])
    args = _switches(("rules",))
    for name in off:
        args += ["--set", f"alerts.{name}.enabled=false"]
    args += ["--set", f"alerts.{rerouted}.severity={severity}", "--set", f"alerts.{labelled}.labels.team=platform"]
    (rule,) = helm_template(helm, chart_dir(built), Config().kubernetes_namespace, *args)

    c = Config()
    overrides = {**{n: AlertOverride(disabled=True) for n in off}, rerouted: AlertOverride(severity=severity),
                 labelled: AlertOverride(labels={"team": "platform"})}
    out = tmp_path / "build"
    build(dataclasses.replace(c, overrides=Overrides(alerts=overrides)), out)
    (want,) = _kustomize_files(out / "kubernetes", ("rules",))
    assert rule == want
    alerts = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r}
    assert not set(off) & set(alerts) and alerts[rerouted]["labels"]["severity"] == severity
    assert alerts[labelled]["labels"]["team"] == "platform"

    # The rendered groups replace the rule files the generated cases read.
    groups = {g["name"]: g for g in rule["spec"]["groups"]}
    touched = []  # the rule files whose alerts changed: their cases are the ones to run
    for path in sorted((out / "prometheus" / "rules").glob("*.yaml")):
        mine = _load(path)["groups"]
        if any(r.get("alert") in (*off, rerouted, labelled) for g in mine for r in g["rules"]):
            touched.append(path.stem)
        path.write_text(yaml.safe_dump({"groups": [groups.pop(g["name"]) for g in mine]}, sort_keys=False))
    assert not groups, f"groups in no rule file: {list(groups)}"
    tests = [t for t in sorted((out / "tests").glob("*.test.yaml")) if t.name.split(".")[0] in touched]
    assert tests
    tools = promtool.toolsets("prometheus")
    if not tools:
        pytest.skip("no promtool found: run `make tools` (make test does)")
    for test in tests:
        promtool.test_rules(test.name, cwd=test.parent, promtool=tools[-1].tool)


def test_rendered_chart_lints_clean(helm: str, built: Path, tmp_path: Path) -> None:
    """`gitea-monitoring lint` reads what users deploy: the helm template output of every part."""
    from gitea_provider_monitoring import cli

    out = subprocess.run([helm, "template", "x", str(chart_dir(built)), "--namespace", "crossplane-system",
                          *_switches(PARTS)], capture_output=True, text=True, check=True)
    (tmp_path / "rendered.yaml").write_text(out.stdout)
    assert cli.main(["lint", str(tmp_path / "rendered.yaml")]) == 0
