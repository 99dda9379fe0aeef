"""The public extension API and the config's overrides, proven on examples/extension/ with real promtool."""

from __future__ import annotations

import ast
import dataclasses
import importlib.metadata
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from gitea_provider_monitoring import api
from gitea_provider_monitoring.check import promtool
from gitea_provider_monitoring.model.config import Config, load_config
from gitea_provider_monitoring.model.errors import ConfigError, DefinitionError
from gitea_provider_monitoring.model.extensions import ENTRY_POINT_GROUP
from gitea_provider_monitoring.render.compiler import build, load_model

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "examples" / "extension"
PACKAGE = EXAMPLE / "acme_monitoring"


@pytest.fixture(scope="module", autouse=True)
def example_on_path() -> None:
    """The example package importable, as `pip install examples/extension` would make it."""
    sys.path.insert(0, str(EXAMPLE))
    yield
    sys.path.remove(str(EXAMPLE))
    sys.modules.pop("acme_monitoring", None)


@pytest.fixture(scope="module")
def example_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("acme") / "build"
    build(load_config(EXAMPLE / "config.yaml"), out)
    return out


def _rules(out: Path) -> dict[str, dict]:
    """alert name -> rule as written to build/prometheus/rules/."""
    found = {}
    for f in sorted((out / "prometheus" / "rules").glob("*.yaml")):
        for group in yaml.safe_load(f.read_text())["groups"]:
            found.update({r["alert"]: r for r in group["rules"] if "alert" in r})
    return found


def _tests(out: Path) -> dict[str, list[dict]]:
    """alert name -> its generated promtool tests."""
    found: dict[str, list[dict]] = {}
    for f in sorted((out / "tests").glob("*.test.yaml")):
        for test in yaml.safe_load(f.read_text())["tests"]:
            found.setdefault(test["alert_rule_test"][0]["alertname"], []).append(test)
    return found


def _config(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return load_config(path)


# ---------------------------------------------------------------------------------------------
# The example package: public names only, built, promtool-tested


def test_example_imports_no_private_name() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module not in ("__future__",):
                assert node.module == "gitea_provider_monitoring" and [a.name for a in node.names] == ["api"], \
                    f"{path.name}:{node.lineno} imports from {node.module}"
            elif isinstance(node, ast.Import):
                pytest.fail(f"{path.name}:{node.lineno} imports {[a.name for a in node.names]}")
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "api":
                assert node.attr in api.__all__ and not node.attr.startswith("_"), f"api.{node.attr} is not public"


# What first-party definitions may use from the model without the API offering it: machinery and our own texts.
FIRST_PARTY_ONLY = {"gitea_provider_monitoring.model.config.SLO", "gitea_provider_monitoring.model.panels.OPTIONAL_HINT"}


def first_party_uses_outside_the_api(source: str) -> set[str]:
    """Names a definition file takes from the model (`from ...model.x import y`, `td.y`, `p.y`) that api lacks."""
    public = {id(getattr(api, n)) for n in api.__all__}
    tree, modules, missing = ast.parse(source), {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gitea_provider_monitoring.model"):
            module = importlib.import_module(node.module)
            for alias in node.names:
                obj = getattr(module, alias.name)
                if isinstance(obj, type(ast)):
                    modules[alias.asname or alias.name] = obj
                elif id(obj) not in public:
                    missing.add(f"{node.module}.{alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
            if id(modules[node.value.id]) not in public and id(getattr(modules[node.value.id], node.attr)) not in public:
                missing.add(f"{modules[node.value.id].__name__}.{node.attr}")
    return missing - FIRST_PARTY_ONLY


def test_the_api_offers_what_our_own_definitions_use() -> None:
    """An extension can be written the way alerts/ and dashboards/ are (docs/extending.md is)."""
    files = [f for d in ("alerts", "dashboards") for f in sorted((REPO_ROOT / d).glob("*.py")) if f.name != "__init__.py"]
    assert len(files) >= 8
    missing = {f"{f.relative_to(REPO_ROOT)}: {name}" for f in files for name in first_party_uses_outside_the_api(
        f.read_text())}
    assert not missing, "export these from monitoring/api.py (or list them in FIRST_PARTY_ONLY):\n" + "\n".join(
        sorted(missing))
    # The check can fail: a model name the api does not export.
    assert first_party_uses_outside_the_api("from gitea_provider_monitoring.model.rules import _caller\n") == {
        "gitea_provider_monitoring.model.rules._caller"}


def test_every_public_name_exists_and_is_typed() -> None:
    for name in api.__all__:
        obj = getattr(api, name)
        if callable(obj) and not isinstance(obj, type) and getattr(obj, "__module__", "").startswith(
                "gitea_provider_monitoring"):
            assert "return" in obj.__annotations__, f"api.{name} has no return type"


def test_example_appears_in_every_output(example_build: Path) -> None:
    rules = _rules(example_build)
    assert {"AcmeMirrorSyncFailing", "AcmeGiteaTokenRejected"} <= set(rules)
    recording = yaml.safe_load((example_build / "prometheus/rules/acme-mirrors.yaml").read_text())
    assert recording["groups"][0]["rules"][0]["record"] == "repo:acme_mirror_sync_failures_total:rate5m"
    assert {"AcmeMirrorSyncFailing", "AcmeGiteaTokenRejected"} <= set(_tests(example_build))
    runbooks = (example_build / "docs" / "runbooks.md").read_text()
    assert "## AcmeMirrorSyncFailing" in runbooks and "ACME's mirror-sync job keeps failing" in runbooks
    # Routing is by the project label (not by name): the extension's alerts carry it like ours.
    project = Config()
    assert rules["AcmeMirrorSyncFailing"]["labels"][project.project_label_name] == project.project_label_value
    alertmanager = (example_build / "alertmanager" / "alertmanager.yml").read_text()
    assert f"{project.project_label_name}=" in alertmanager or project.project_label_name in alertmanager
    prometheus_rule = (example_build / "kubernetes" / "prometheusrule.yaml").read_text()
    assert "AcmeMirrorSyncFailing" in prometheus_rule
    assert (example_build / "grafana/dashboards/acme-mirrors.json").is_file()
    assert (example_build / "kubernetes/components/grafana-operator/grafanadashboard-acme-mirrors.yaml").is_file()
    overview = (example_build / "grafana/dashboards/provider-overview.json").read_text()
    assert '"title": "ACME mirrors"' in overview and "repo:acme_mirror_sync_failures_total:rate5m" in overview


@pytest.mark.slow
def test_example_promtool_tests_pass(example_build: Path) -> None:
    """Ours (with the overrides) and the extension's; the long SLO histories are covered by test_promtool."""
    files = [example_build / "tests" / f"{stem}.test.yaml" for stem in ("acme-mirrors", "provider-alerts",
                                                                          "gitea-api-alerts")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda f: promtool.test_rules(f.name, cwd=f.parent), files))
    assert all("SUCCESS" in r.output for r in results)


def test_example_build_is_lint_clean_and_deterministic(example_build: Path, tmp_path: Path) -> None:
    from gitea_provider_monitoring.lint import lint_paths

    result = lint_paths([example_build])
    assert not result.errors, [str(f) for f in result.findings]
    again = tmp_path / "again"
    build(load_config(EXAMPLE / "config.yaml"), again)
    for f in sorted(example_build.rglob("*")):
        if f.is_file():
            assert f.read_bytes() == (again / f.relative_to(example_build)).read_bytes(), f


# ---------------------------------------------------------------------------------------------
# Overrides, as the example config sets them


def test_disabled_alert_is_gone_everywhere(example_build: Path) -> None:
    assert "GiteaProviderReplicaDown" not in _rules(example_build)
    assert "GiteaProviderReplicaDown" not in _tests(example_build)
    for rel in ("docs/runbooks.md", "alertmanager/alertmanager.yml", "kubernetes/prometheusrule.yaml"):
        assert "GiteaProviderReplicaDown" not in (example_build / rel).read_text(), rel


def test_severity_labels_and_annotations_reach_rules_tests_and_runbooks(example_build: Path) -> None:
    rules, tests = _rules(example_build), _tests(example_build)
    project = Config()
    assert rules["GiteaProviderDown"]["labels"] == {"severity": "warning", "team": "platform",
                                                    project.project_label_name: project.project_label_value}
    assert rules["GiteaAPIDown"]["labels"]["team"] == "gitea-admins"  # the glob wins over the global label
    assert all(r["annotations"]["chat"] == "#platform-oncall" for r in rules.values())
    for name, cases in tests.items():
        for case in cases:
            for exp in case["alert_rule_test"][0]["exp_alerts"]:
                assert exp["exp_labels"]["severity"] == rules[name]["labels"]["severity"]
                assert exp["exp_labels"]["team"] == rules[name]["labels"]["team"]
                assert exp["exp_annotations"]["chat"] == "#platform-oncall"
    runbooks = (example_build / "docs" / "runbooks.md").read_text()
    section = runbooks.split("## GiteaProviderDown\n", 1)[1].split("\n## ", 1)[0]
    assert "**Severity:** warning &nbsp; **For:** 8m" in section and "`team=platform`" in section
    assert "`chat=#platform-oncall`" in section


def test_for_and_threshold_overrides_change_the_alert_and_its_cases(example_build: Path) -> None:
    rules, tests = _rules(example_build), _tests(example_build)
    assert rules["GiteaProviderDown"]["for"] == "8m"
    mirror = rules["AcmeMirrorSyncFailing"]
    assert mirror["for"] == "30m" and mirror["expr"].endswith("> 0.02")
    # The cases derive their hold time and rate from the values in force: 30m and 4 x 0.02/s.
    fires = next(t for t in tests["AcmeMirrorSyncFailing"] if "fires" in t["name"])
    assert fires["alert_rule_test"][0]["eval_time"] == "40m"
    assert fires["input_series"][0]["values"] == "0+4x50"
    # Other alerts keep the global values.
    assert rules["GiteaProviderReplicasChanged"]["for"] == Config().thresholds.replicas_changed_for
    # The extension's panel takes its measure from api.config_for: it draws the overridden threshold too.
    dashboard = yaml.safe_load((example_build / "grafana" / "dashboards" / "acme-mirrors.json").read_text())
    (panel,) = [p for p in dashboard["panels"] if p["title"] == "Mirror sync failures"]
    assert [s["value"] for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]] == [None, 0.02]


def test_a_for_override_only_changes_that_alert() -> None:
    """SLO alerts share slo.fast_burn_for: overriding one leaves its sibling alone."""
    base = {a.alert: a for rf in load_model(Config()).rule_files for a in rf.alerts()}
    fast = [n for n, a in base.items() if a.for_ == Config().slo.fast_burn_for and "FastBurn" in n]
    assert len(fast) >= 2
    config = dataclasses.replace(Config(), overrides=api_overrides({fast[0]: {"for": "7m"}}))
    after = {a.alert: a for rf in load_model(config).rule_files for a in rf.alerts()}
    assert after[fast[0]].for_ == "7m" and after[fast[1]].for_ == base[fast[1]].for_


def api_overrides(alerts: dict) -> object:
    from gitea_provider_monitoring.model.overrides import Overrides

    return Overrides.from_config({"alerts": alerts}, "<test>", "overrides")


@pytest.mark.parametrize("text, key, problem", [
    ("overrides: {alerts: {NoSuchAlert: {disabled: true}}}", "overrides.alerts.NoSuchAlert", "matches no alert"),
    ("overrides: {alerts: {GiteaProviderDown: {severity: page}}}", "overrides.alerts.GiteaProviderDown.severity",
     "is not one of"),
    ("overrides: {alerts: {GiteaProviderDown: {for: soon}}}", "overrides.alerts.GiteaProviderDown.for",
     "not a Prometheus duration"),
    ("overrides: {annotations: {summary: x}}", "overrides.annotations.summary", "comes from the alert's definition"),
    ("overrides: {labels: {severity: page}}", "overrides.labels.severity", "cannot be set here"),
    ("overrides: {labels: {'bad-name': x}}", "overrides.labels.bad-name", "not a Prometheus label name"),
    ("overrides: {alerts: {GiteaProviderDown: {thresholds: {workqueue_depth: 5}}}}",
     "overrides.alerts.GiteaProviderDown.thresholds.workqueue_depth", "does not change GiteaProviderDown"),
    ("overrides: {alerts: {GiteaProviderDown: {thresholds: {nope: 5}}}}",
     "overrides.alerts.GiteaProviderDown.thresholds.nope", "not a field of thresholds"),
    ("overrides: {alerts: {GiteaProviderDown: {mute: true}}}", "overrides.alerts.GiteaProviderDown.mute",
     "unknown key"),
])
def test_bad_overrides_name_the_key(tmp_path: Path, text: str, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_model(_config(tmp_path, text))
    assert err.value.key == key and problem in err.value.problem
    assert err.value.path == str(tmp_path / "config.yaml")


def test_a_for_that_the_config_does_not_set_is_refused(tmp_path: Path) -> None:
    config = _config(tmp_path, "extensions: [acme_monitoring]\n"
                               "overrides: {alerts: {AcmeGiteaTokenRejected: {for: 5m}}}")
    with pytest.raises(ConfigError, match="not read from the config"):
        load_model(config)


def test_threshold_override_changes_the_alert_and_its_panels(tmp_path: Path) -> None:
    config = _config(tmp_path, "overrides: {alerts: {GiteaProviderWorkQueueDepthHigh: "
                               "{thresholds: {workqueue_depth: 250}}}}")
    model = load_model(config)
    alert = next(a for rf in model.rule_files for a in rf.alerts() if a.alert == "GiteaProviderWorkQueueDepthHigh")
    assert "> 250" in alert.expr and "250" in alert.description
    # The panels drawing the alert's measure follow it (tests/test_overrides.py checks every threshold and panel).
    assert load_model(Config()).dashboards != model.dashboards


# ---------------------------------------------------------------------------------------------
# Loading extensions


def test_config_names_modules_and_entry_points_add_more(monkeypatch: pytest.MonkeyPatch) -> None:
    ep = importlib.metadata.EntryPoint("acme", "acme_monitoring", ENTRY_POINT_GROUP)
    real = importlib.metadata.entry_points
    registered: list = []
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda **kw: list(registered) if kw.get("group") == ENTRY_POINT_GROUP else real(**kw))
    assert "acme-mirrors" not in load_model(Config()).dashboards
    assert "acme-mirrors" in load_model(dataclasses.replace(Config(), extensions=("acme_monitoring",))).dashboards
    registered.append(ep)
    assert "acme-mirrors" in load_model(Config()).dashboards
    assert "acme-mirrors" not in load_model(dataclasses.replace(Config(), entry_point_extensions=False)).dashboards


def _module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, source: str) -> Config:
    (tmp_path / f"{name}.py").write_text("from gitea_provider_monitoring import api\n" + source)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop(name, None)
    return dataclasses.replace(Config(), extensions=(name,), entry_point_extensions=False)


@pytest.mark.parametrize("name, source, error, problem", [
    ("ext_nothing", "X = 1\n", ConfigError, "defines none of"),
    ("ext_wrong_type", "def rules(config):\n    return {'groups': []}\n", DefinitionError, "not a RuleFile"),
    ("ext_none", "def dashboards(config):\n    return None\n", DefinitionError, "returned None"),
    ("ext_clash", "def rules(config):\n    return api.RuleFile('recording', ())\n", DefinitionError,
     "a rule file of that name exists already"),
    ("ext_metric", "def metrics():\n    return [api.Metric('up', api.GAUGE, (), 'x', 'y')]\n", DefinitionError,
     "already in the catalog"),
    ("ext_panel", "def panels(config):\n    return [api.PanelsOn('nope', 'Row', ())]\n", DefinitionError,
     "no dashboard named 'nope'"),
    ("ext_unknown_metric", "def rules(config):\n    return api.RuleFile('x', (api.RuleGroup('x', (api.RecordingRule("
     "'job:never_declared:sum', 'sum(never_declared)'),)),))\n", DefinitionError, "not in the metric catalog"),
])
def test_bad_extensions_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, source: str,
                                  error: type, problem: str) -> None:
    with pytest.raises(error, match=problem) as err:
        load_model(_module(tmp_path, monkeypatch, name, source))
    assert name in str(err.value) or f"{name}.py" in str(err.value)


def test_missing_extension_says_how_to_install_it() -> None:
    with pytest.raises(ConfigError, match="cannot import the extension.*pip install"):
        load_model(dataclasses.replace(Config(), extensions=("no_such_extension_module",)))


def test_extension_metric_makes_its_rules_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _module(tmp_path, monkeypatch, "ext_ok", (
        "def metrics():\n    return [api.Metric('team_jobs_total', api.COUNTER, ('job',), 'team', 'Jobs.')]\n"
        "def rules(config):\n    return api.RuleFile('team', (api.RuleGroup('team', (api.RecordingRule("
        "'job:team_jobs_total:rate5m', 'sum by (job) (rate(team_jobs_total[5m]))'),)),))\n"))
    model = load_model(config)
    assert [rf.name for rf in model.rule_files][-1] == "team"


def test_the_guide_example_builds_and_its_cases_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/extending.md's module, as written there."""
    guide = (REPO_ROOT / "docs" / "extending.md").read_text()
    source = guide.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "guide_ext.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    config = dataclasses.replace(Config(), extensions=("guide_ext",), entry_point_extensions=False)
    out = tmp_path / "build"
    build(config, out)
    test_file = out / "tests" / "acme-mirrors.test.yaml"
    assert "SUCCESS" in promtool.test_rules(test_file.name, cwd=test_file.parent).output
