"""gitea-monitoring lint: every check has a case that triggers it and one that does not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gitea_provider_monitoring.lint import CHECKS, lint_paths
from gitea_provider_monitoring.lint.catalog import from_file
from gitea_provider_monitoring.lint.inputs import LintInputError
from tests.lint.checks._helpers import dashboard, panel

HERE = Path(__file__).resolve().parent
ANN = {"summary": "s", "description": "on {{ $labels.controller }}", "runbook_url": "https://r.example.com/x"}


def alert(expr: str, name: str = "GiteaThing", **extra: object) -> dict:
    rule = {"alert": name, "expr": expr, "for": "5m", "labels": {"severity": "warning"}, "annotations": dict(ANN)}
    for key, value in extra.items():
        if key in ("labels", "annotations"):
            rule[key] = {**rule[key], **value}  # type: ignore[dict-item]
            rule[key] = {k: v for k, v in rule[key].items() if v is not None}  # type: ignore[union-attr]
        else:
            rule[key] = value
    return rule


def record(expr: str, name: str = "job:thing:rate5m") -> dict:
    return {"record": name, "expr": expr}


def checks_for(tmp_path: Path, *rules: dict, extra_docs: tuple = (), **kwargs: object) -> set[str]:
    path = tmp_path / "rules.yaml"
    docs = [{"groups": [{"name": "g", "rules": list(rules)}]}, *extra_docs]
    path.write_text(yaml.safe_dump_all(docs))
    return {f.check for f in lint_paths([path], **kwargs).findings}


GOOD = "sum by (controller) (rate(controller_runtime_reconcile_total{result=\"error\"}[5m])) > 0"


def test_relabel_drop_from_service_monitor_and_scrape_config(tmp_path: Path) -> None:
    rule = alert("rate(gitea_api_probes_total[5m]) > 0")
    sm = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "m"},
          "spec": {"endpoints": [{"metricRelabelings": [{"sourceLabels": ["__name__"], "regex": "gitea_api_.*",
                                                         "action": "drop"}]}]}}
    assert "metric-dropped-by-relabel" in checks_for(tmp_path, rule, extra_docs=(sm,))
    keep = {"scrape_configs": [{"job_name": "x", "metric_relabel_configs": [
        {"source_labels": ["__name__"], "regex": "controller_runtime_.*", "action": "keep"}]}]}
    assert "metric-dropped-by-relabel" in checks_for(tmp_path, rule, extra_docs=(keep,))
    harmless = {"scrape_configs": [{"job_name": "x", "metric_relabel_configs": [
        {"source_labels": ["__name__"], "regex": "go_gc_.*", "action": "drop"}]}]}
    assert "metric-dropped-by-relabel" not in checks_for(tmp_path, rule, extra_docs=(harmless,))


def test_disable_annotation_and_flag(tmp_path: Path) -> None:
    bad = alert('up{job=~"provider-gitea"} == 0', annotations={"lint_disable": "plain-regex"})
    assert "plain-regex" not in checks_for(tmp_path, bad)
    assert "plain-regex" not in checks_for(tmp_path, alert('up{job=~"x"} == 0'), disabled={"plain-regex"})
    with pytest.raises(ValueError, match="no such check"):
        checks_for(tmp_path, bad, disabled={"no-such-check"})


# -- dashboards ------------------------------------------------------------------------------------


def dash_checks(tmp_path: Path, *docs: dict, name: str = "d.json", **kwargs: object) -> set[str]:
    for i, doc in enumerate(docs):
        (tmp_path / f"{i}-{name}").write_text(json.dumps(doc))
    return {f.check for f in lint_paths([tmp_path], **kwargs).findings}


def test_grafana_variables_are_not_value_checked(tmp_path: Path) -> None:
    q = 'sum(workqueue_depth{controller=~"$controller", job="${job}"}) by (controller)'
    assert dash_checks(tmp_path, dashboard(panel(1, targets=[{"refId": "A", "expr": q}]))) == set()


# -- catalogs, inputs, the broken chart and our own build --------------------------------------------
def test_user_catalog_from_a_metrics_dump(tmp_path: Path) -> None:
    dump = tmp_path / "metrics.txt"
    dump.write_text("# TYPE my_requests_total counter\nmy_requests_total{code=\"200\"} 3\n"
                    "# TYPE my_queue gauge\nmy_queue 1\n")
    cat = from_file(dump)
    assert "unknown-metric" in checks_for(tmp_path, alert("my_request_total > 1"), catalog=cat)
    assert "rate-on-non-counter" in checks_for(tmp_path, alert("rate(my_queue[5m]) > 1"), catalog=from_file(dump))
    assert checks_for(tmp_path, alert("sum by (code) (rate(my_requests_total[5m])) > 1",
                                      annotations={"description": "code {{ $labels.code }}"}), catalog=from_file(dump)) \
        == set()


def test_user_catalog_yaml(tmp_path: Path) -> None:
    cat = tmp_path / "catalog.yaml"
    cat.write_text("metrics:\n  - {name: jobs_total, type: counter, labels: [state], values: {state: [ok, failed]}}\n")
    assert "unmatchable-label-value" in checks_for(tmp_path, alert('rate(jobs_total{state="error"}[5m]) > 0'),
                                                   catalog=from_file(cat))
    bad = tmp_path / "bad.yaml"
    bad.write_text("metrics: nope\n")
    with pytest.raises(ValueError, match="bad.yaml"):
        from_file(bad)


def test_broken_hand_written_chart_reports_every_mistake() -> None:
    result = lint_paths([HERE / "lint" / "broken-chart"])
    got = {(f.location.rsplit("/", 1)[-1].split(":")[-1], f.check) for f in result.findings}
    expected = {
        ("GiteaReconcileErrors", "unmatchable-label-value"),
        ("GiteaManagedResourcesGrowing", "rate-on-non-counter"),
        ("GiteaManagedResourcesGrowing", "severity-label"),
        ("GiteaSlowReconciles", "histogram-quantile-input"),
        ("GiteaSlowReconciles", "metric-dropped-by-relabel"),
        ("gitea_provider_down", "alert-without-comparison"),
        ("gitea_provider_down", "unknown-metric"),
        ("gitea_provider_down", "invalid-duration"),
        ("gitea_provider_down", "alert-name-case"),
        ("gitea_provider_down", "missing-description"),
        ("gitea_provider_down", "missing-runbook"),
        ("GiteaRequeueStorm", "undefined-recording-rule"),
        ("GiteaRequeueStorm", "short-range-window"),
        ("GiteaRequeueStorm", "unstable-aggregation"),
        ("GiteaRequeueStorm", "template-syntax"),
        ("GiteaRequeueStorm", "missing-description"),
        ("GiteaWorkqueueBacklog", "unknown-label"),
        ("GiteaWorkqueueBacklog", "impossible-selector"),
        ('dashboard "Gitea provider"', "dashboard-uid"),
        ('dashboard "Gitea provider"', "no-datasource-variable"),
        ('panel "Reconciles" (id 1)', "deprecated-panel-type"),
        ('panel "Reconciles" (id 1)', "plain-regex"),
        ('panel "Queue" (id 1)', "duplicate-panel-id"),
        ('panel "Queue" (id 1)', "grid-layout"),
        ('panel "Queue" (id 1)', "unmatchable-label-value"),
        ('panel "Latency" (id 3)', "promql-syntax"),
        ('panel "Latency" (id 3)', "panel-without-unit"),
    }
    assert expected <= got, sorted(expected - got)
    assert result.errors > 0


def test_our_build_is_clean(built: Path) -> None:
    result = lint_paths([built / "prometheus", built / "grafana", built / "kubernetes"])
    assert [f.text() for f in result.findings] == []
    assert result.files > 10


def test_every_check_is_tested() -> None:
    """pint's layout: every check is monitoring/lint/checks/<id>.py (doc + code) with tests/lint/checks/test_<id>.py,
    and a full --explain text (what, why, Bad/Good, how to disable)."""
    from gitea_provider_monitoring.lint.checks import MODULES

    assert {m.CHECK.id for m in MODULES} == set(CHECKS)
    for module in MODULES:
        name = module.__name__.rsplit(".", 1)[-1]
        assert name == module.CHECK.id.replace("-", "_")
        doc = module.__doc__ or ""
        assert doc.startswith(f"{module.CHECK.id} ({module.CHECK.level})"), name
        assert "Bad:" in doc and "Good:" in doc and "Disable:" in doc and len(doc.split()) >= 40, name
        assert (HERE / "lint" / "checks" / f"test_{name}.py").is_file(), name
    out = _cli("--explain", "duplicate-rule")
    assert out.returncode == 0 and "partition" in out.stdout
    assert _cli("--explain", "nope").returncode == 2


def test_each_checks_tests_fail_when_the_check_is_removed(tmp_path: Path) -> None:
    """Every test file of tests/lint/checks/, run with its own check removed (tests/lint/checks/_removed.py),
    has a failing test: no check's tests pass without it."""
    import xml.etree.ElementTree as ET

    files = sorted(str(p) for p in (HERE / "lint" / "checks").glob("test_*.py")
                   if p.stem.removeprefix("test_").replace("_", "-") in CHECKS)
    assert len(files) == len(CHECKS)
    report = tmp_path / "removed-checks.xml"
    try:
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.lint.checks._removed", "-p", "no:cacheprovider",
                        f"--junitxml={report}", *files], capture_output=True, text=True, cwd=HERE.parent, timeout=600)
        failed = {case.get("classname", "").rsplit(".", 1)[-1] for case in ET.parse(report).iter("testcase")
                  if case.find("failure") is not None or case.find("error") is not None}
    finally:
        report.unlink(missing_ok=True)
    assert failed == {Path(f).stem for f in files}, sorted({Path(f).stem for f in files} - failed)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gitea_provider_monitoring.cli", "lint", *args], capture_output=True, text=True)


def test_exit_codes_and_json(tmp_path: Path) -> None:
    out = _cli(str(HERE / "lint" / "broken-chart"), "--format", "json")
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    assert doc["errors"] > 0 and {"path", "location", "level", "check", "message", "why"} <= set(doc["findings"][0])
    broken = tmp_path / "broken.yaml"
    broken.write_text("groups: [\n")
    out = _cli(str(broken))
    assert out.returncode == 2 and "broken.yaml" in out.stderr and "invalid YAML" in out.stderr
    out = _cli(str(tmp_path / "missing.yaml"))
    assert out.returncode == 2 and "missing.yaml" in out.stderr
    fine = tmp_path / "fine.yaml"
    fine.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [alert(GOOD)]}]}))
    out = _cli(str(fine))
    assert out.returncode == 0, out.stdout
    assert out.stdout.strip().endswith("in 1 file(s)")


def test_invalid_json_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "d.json"
    bad.write_text("{ nope")
    with pytest.raises(LintInputError, match="d.json:1: invalid JSON"):
        lint_paths([bad])


def test_docs_list_every_check() -> None:
    manual = (HERE.parent / "docs" / "lint.md").read_text()
    assert [c for c in CHECKS if f"| `{c}` | {CHECKS[c].level} |" not in manual] == []


def test_docs_example_is_the_real_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE.parent)
    manual = (HERE.parent / "docs" / "lint.md").read_text()
    result = lint_paths([Path("tests/lint/broken-chart")])  # relative, as in the command docs/lint.md shows
    for finding in result.findings:
        assert finding.text() in manual, f"docs/lint.md example is stale (missing: {finding.text()})"


# -- precision: third-party idioms that are not mistakes (issue #16) ---------------------------------
PRECISION = HERE / "lint" / "precision"
# fixture -> (text, replacement that brings back a real mistake, the check that must then fire): proves each
# fixture is read and checked, so "no ERROR" is not the silence of an unread file.
RECALL_TWINS = {
    "target-labels.yaml": ("{targetLabel: tier, replacement: gold}", "{targetLabel: tier2, replacement: gold}",
                           "unknown-label"),
    "relabel-scope.yaml": ('workqueue_depth{job="provider-gitea"}', 'workqueue_depth{job="other-app"}',
                           "metric-dropped-by-relabel"),
    "partitioned-records.yaml": ('{result="requeue_after"}', '{result="success"}', "duplicate-rule"),
    "watchdog.yaml": ("severity: none", "severity: nonee", "severity-label"),
    "expression-idioms.yaml": ("sum by (controller, le)", "sum by (controller)", "histogram-quantile-input"),
    "client-go-metrics.yaml": ("rest_client_request_duration_seconds_bucket", "rest_client_requests_totl",
                               "unknown-metric"),
    "configmaplist.yaml": ('"id": 2', '"id": 1', "duplicate-panel-id"),
    "other-datasources.json": ('"query": "loki"', '"query": "prometheus"', "promql-syntax"),
    "third-party-conventions.yaml": ('for: "0"', 'for: "0x"', "invalid-duration"),
}


def test_every_precision_fixture_has_a_recall_twin() -> None:
    assert {p.name for p in PRECISION.iterdir()} == set(RECALL_TWINS)


@pytest.mark.parametrize("name", sorted(RECALL_TWINS))
def test_precision_fixture_has_no_error(name: str) -> None:
    result = lint_paths([PRECISION / name])
    assert [f.text() for f in result.findings if f.level == "error"] == []
    assert result.unchecked == []


@pytest.mark.parametrize("name", sorted(RECALL_TWINS))
def test_precision_fixture_twin_still_finds_the_mistake(name: str, tmp_path: Path) -> None:
    old, new, check_id = RECALL_TWINS[name]
    text = (PRECISION / name).read_text()
    assert old in text
    twin = tmp_path / name
    twin.write_text(text.replace(old, new))
    assert check_id in {f.check for f in lint_paths([twin]).findings}


def test_style_is_a_warning_and_levels_and_severities_are_configurable(tmp_path: Path) -> None:
    rule = alert(GOOD, labels={"severity": "page"})
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [rule]}]}))
    (finding,) = [f for f in lint_paths([path]).findings if f.check == "severity-label"]
    assert finding.level == "warning"
    assert "severity-label" not in {f.check for f in lint_paths([path], severities=("page",)).findings}
    raised = lint_paths([path], levels={"severity-label": "error"})
    assert [f.level for f in raised.findings if f.check == "severity-label"] == ["error"]
    with pytest.raises(ValueError, match="--level"):
        lint_paths([path], levels={"severity-label": "fatal"})
    out = _cli(str(path), "--severities", "page,critical", "--level", "missing-runbook=error")
    assert out.returncode == 0, out.stdout


def test_list_kinds_are_unpacked_and_nothing_checkable_is_said(tmp_path: Path) -> None:
    dash = dashboard(panel(1), panel(1, y=8))
    items = [{"kind": "ConfigMap", "metadata": {"name": "d"}, "data": {"d.json": json.dumps(dash)}}]
    for kind in ("List", "ConfigMapList", "PrometheusRuleList"):
        path = tmp_path / f"{kind}.yaml"
        path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": kind, "items": items}))
        assert "duplicate-panel-id" in {f.check for f in lint_paths([path]).findings}
    deployment = tmp_path / "deploy.yaml"
    deployment.write_text(yaml.safe_dump({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}}))
    out = _cli(str(deployment))
    assert out.returncode == 0 and "nothing checkable in" in out.stdout
    out = _cli(str(deployment), "--strict")
    assert out.returncode == 2 and "nothing checkable" in out.stderr and "deploy.yaml" in out.stderr


def test_sarif_output() -> None:
    out = _cli(str(HERE / "lint" / "broken-chart"), "--format", "sarif")
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(run["results"]) == len(lint_paths([HERE / "lint" / "broken-chart"]).findings) >= 27
    assert len(set(rules)) == len(rules)
    for res in run["results"]:
        assert rules[res["ruleIndex"]] == res["ruleId"] and res["level"] in ("error", "warning")
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"].endswith("rendered.yaml") and loc["region"]["startLine"] >= 1
    assert {r["level"] for r in run["results"]} == {"error", "warning"}
    lines = (HERE / "lint" / "broken-chart" / "rendered.yaml").read_text().splitlines()
    slow = next(r for r in run["results"] if r["ruleId"] == "histogram-quantile-input")
    line = slow["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert "GiteaSlowReconciles" in lines[line - 1]


def test_yaml_value_tag_of_crd_schemas_is_read(tmp_path: Path) -> None:
    crd = tmp_path / "crd.yaml"
    crd.write_text("apiVersion: v1\nkind: CustomResourceDefinition\nspec:\n  x:\n    =: 1\n")
    assert lint_paths([crd]).unchecked == [str(crd)]


# -- bounds: hostile sizes give a finding, not a crash or gigabytes (issue #20 item 7) -------------------
def _bounded_cli(*args: str, memory: int = 1 << 30) -> subprocess.CompletedProcess:
    """The CLI with its address space capped: an unbounded analysis dies (MemoryError, SIGSEGV) here."""
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run([sys.executable, "-m", "gitea_provider_monitoring.cli", "lint", *args], capture_output=True, text=True,
                          preexec_fn=cap, timeout=300)


@pytest.mark.parametrize("expr", [" + ".join(["up"] * 400), " + ".join(["up"] * 5000), "sum(" * 20000 + "up" + ")" * 20000,
                                  "-" * 5000 + "up", "(" * 3000 + "up" + ")" * 3000])
def test_huge_expressions_are_refused_before_parsing(expr: str, tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [{"record": "job:x:sum", "expr": expr}]}]},
                                   width=1 << 30))
    out = _bounded_cli(str(path))
    assert out.returncode == 1, (out.returncode, out.stderr[-500:])
    assert "ERROR input-too-large: expression too large to check" in out.stdout
    assert "Traceback" not in out.stderr


def test_expressions_within_the_limits_are_analysed_in_bounded_memory(tmp_path: Path) -> None:
    from gitea_provider_monitoring.model.promql import MAX_NESTING, MAX_OPERATORS

    rules = [{"record": "job:a:sum", "expr": " + ".join(["up"] * (MAX_OPERATORS // 3 + 1))},
             {"record": "job:b:sum", "expr": "sum(" * (MAX_NESTING - 1) + "up" + ")" * (MAX_NESTING - 1)}]
    path = tmp_path / "edge.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": rules}]}, width=1 << 30))
    out = _bounded_cli(str(path), memory=1 << 30)
    assert out.returncode == 0, (out.returncode, out.stdout[-500:], out.stderr[-500:])
    assert "input-too-large" not in out.stdout


def test_build_refuses_a_huge_expression_with_a_clear_error() -> None:
    from gitea_provider_monitoring.model.errors import DefinitionError
    from gitea_provider_monitoring.render.validate import _check_expr

    with pytest.raises(DefinitionError, match="too large"):
        _check_expr("alerts/x.py", "GiteaHuge", " + ".join(["up"] * 5000), set())


def test_panel_id_of_the_wrong_type_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"title": "t", "uid": "u", "panels": [{"id": [1]}, 7, {"id": {"a": 1}}]}))
    out = _bounded_cli(str(path))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "ERROR invalid-panel: id [1] is not an integer" in out.stdout
    assert "1 panel(s) are not JSON objects" in out.stdout


def test_huge_dashboard_is_a_finding(tmp_path: Path) -> None:
    panels = [{"id": i, "type": "text", "title": "p", "gridPos": {"x": 0, "y": 2 * i, "w": 12, "h": 2}}
              for i in range(20000)]
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"title": "t", "uid": "u", "panels": panels}))
    out = _bounded_cli(str(path))
    assert out.returncode == 1 and "ERROR input-too-large: more than 2000 panels" in out.stdout


def test_layout_check_finds_each_overlap_in_a_large_grid() -> None:
    from gitea_provider_monitoring.lint.dashboards import MAX_PANELS, _grid

    panels = [{"id": i, "title": f"p{i}", "gridPos": {"x": (i % 3) * 8, "y": (i // 3) * 4, "w": 8, "h": 4}}
              for i in range(MAX_PANELS)]
    panels[1500]["gridPos"] = {"x": 4, "y": 40, "w": 8, "h": 4}  # onto panels 30 and 31
    found: list[tuple[str, str]] = []
    _grid(panels, lambda where, check_id, message: found.append((where, message)))
    assert found == [('panel "p1500" (id 1500)', 'overlaps panel "p30" (id 30); move one of them')]


WRONG_TYPES = [None, 7, "x", [1], {"a": [1]}, True]


@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
def test_fields_of_the_wrong_type_never_raise(value: object, tmp_path: Path) -> None:
    """Every field of a rule, group, dashboard, panel and monitor replaced by a value of another type."""
    base_rule = alert(GOOD)
    docs: list = []
    for key in ("alert", "expr", "for", "labels", "annotations"):
        docs.append({"groups": [{"name": "g", "rules": [{**base_rule, key: value}]}]})
    docs += [{"groups": [{"name": value, "rules": value}]}, {"groups": [value]}]
    base_dash = dashboard(panel(1))
    for key in ("uid", "title", "tags", "templating", "panels"):
        docs.append({**base_dash, key: value})
    for key in ("id", "type", "title", "gridPos", "targets", "fieldConfig", "yaxes", "panels", "datasource"):
        docs.append(dashboard({**panel(1), key: value}))
    docs.append(dashboard(panel(1, targets=[{"refId": value, "expr": "up", "datasource": value}])))
    for key in ("metadata", "spec"):
        docs.append({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", key: value})
    docs.append({"kind": "ServiceMonitor", "metadata": {"name": "m"}, "spec": {
        "jobLabel": value, "selector": {"matchLabels": value}, "namespaceSelector": value,
        "endpoints": [{"port": value, "path": value, "relabelings": value, "metricRelabelings": [value]}]}})
    docs.append({"kind": "ConfigMapList", "items": [value]})
    docs.append({"scrape_configs": [{"job_name": value, "relabel_configs": value, "static_configs": [value]}]})
    for i, doc in enumerate(docs):
        (tmp_path / f"{i}.json").write_text(json.dumps(doc))
    result = lint_paths([tmp_path])  # must not raise
    assert result.files == len(docs)
