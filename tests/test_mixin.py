"""build/mixin/ evaluated by Debian's jsonnet: the mixin fields equal the generated rule files and dashboards."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from gitea_provider_monitoring import __version__
from gitea_provider_monitoring.check import promtool
from gitea_provider_monitoring.check.promtool import find_tool


@pytest.fixture(scope="module")
def jsonnet() -> str:
    found = find_tool("jsonnet")
    if not found:
        pytest.skip("jsonnet not found: run `make test` (scripts/fetch-jsonnet puts Debian's jsonnet in .tools/bin)")
    return found


def evaluate(jsonnet: str, mixin: Path, expr: str) -> object:
    out = subprocess.run([jsonnet, "-J", str(mixin), "-e", f"(import 'mixin.libsonnet'){expr}"], capture_output=True,
                         text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def _rule_groups(built: Path) -> list[dict]:
    return [g for f in sorted((built / "prometheus" / "rules").glob("*.yaml"))
            for g in yaml.safe_load(f.read_text())["groups"]]


def _sorted(rules) -> list[dict]:
    return sorted(rules, key=lambda r: json.dumps(r, sort_keys=True))


def test_mixin_fields_are_the_generated_rules(jsonnet: str, built: Path) -> None:
    mixin = built / "mixin"
    alerts = evaluate(jsonnet, mixin, ".prometheusAlerts")["groups"]
    records = evaluate(jsonnet, mixin, ".prometheusRules")["groups"]
    generated = _rule_groups(built)
    assert _sorted(r for g in alerts for r in g["rules"]) == _sorted(r for g in generated for r in g["rules"] if "alert" in r)
    assert _sorted(r for g in records for r in g["rules"]) == _sorted(
        r for g in generated for r in g["rules"] if "record" in r)
    assert all("alert" in r for g in alerts for r in g["rules"]) and all("record" in r for g in records for r in g["rules"])
    names = [g["name"] for g in alerts + records]
    assert len(names) == len(set(names)), "group names must stay unique when both fields land in one rule file"
    assert "slo.reconcile" in names and "slo.reconcile.alerts" in names


def test_mixin_rules_pass_promtool(jsonnet: str, built: Path, tmp_path: Path) -> None:
    both = {"groups": [*evaluate(jsonnet, built / "mixin", ".prometheusRules")["groups"],
                       *evaluate(jsonnet, built / "mixin", ".prometheusAlerts")["groups"]]}
    path = tmp_path / "mixin-rules.yaml"
    path.write_text(yaml.safe_dump(both))
    assert "SUCCESS" in promtool.check_rules(path).output


def test_mixin_dashboards_and_metadata(jsonnet: str, built: Path) -> None:
    dashboards = evaluate(jsonnet, built / "mixin", ".grafanaDashboards")
    generated = {f.name: json.loads(f.read_text()) for f in (built / "grafana" / "dashboards").glob("*.json")}
    assert dashboards == generated
    assert evaluate(jsonnet, built / "mixin", "._config.giteaProviderMonitoringVersion") == __version__
    jb = json.loads((built / "mixin" / "jsonnetfile.json").read_text())
    assert jb["version"] == 1 and jb["dependencies"] == []


def test_mixin_composes_with_other_mixins(jsonnet: str, built: Path) -> None:
    """`+::` fields: a user's own mixin can be added on top, as kube-prometheus does."""
    expr = ("local m = (import 'mixin.libsonnet') + { prometheusAlerts+:: { groups+: [{ name: 'mine', rules: [] }] } };"
            " local g = m.prometheusAlerts.groups; [g[std.length(g) - 1].name, std.length(m.grafanaDashboards)]")
    out = subprocess.run([jsonnet, "-J", str(built / "mixin"), "-e", expr], capture_output=True, text=True, timeout=60,
                         check=True)
    assert json.loads(out.stdout) == ["mine", len(list((built / "grafana" / "dashboards").glob("*.json")))]
