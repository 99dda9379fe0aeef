"""Every configuration is proven, not only the default one.

- The matrix: each tests/configs/*.yaml (and the e2e config) is built, linted and run through every
  generated and hand-written promtool test, as `gitea-monitoring test --config FILE` does.
- The config errors users met, each with the message that now names their file and key.
- A property test: random values and types in random fields give a clean build or one error line
  naming the key, never a traceback; a few random valid configs also go through promtool.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gitea_provider_monitoring.check import selftest
from gitea_provider_monitoring.model.config import Config, load_config
from gitea_provider_monitoring.model.errors import ConfigError
from gitea_provider_monitoring.render.compiler import build, load_model, render

REPO_ROOT = Path(__file__).resolve().parent.parent
MATRIX = sorted((REPO_ROOT / "tests" / "configs").glob("*.yaml")) + [REPO_ROOT / "tests" / "e2e" / "e2e-config.yaml"]


@pytest.fixture(scope="module")
def proven(tmp_path_factory: pytest.TempPathFactory) -> dict[str, selftest.Report]:
    """Build, lint and promtool-test every config of the matrix, two configs at a time."""
    def one(path: Path) -> tuple[str, selftest.Report]:
        out = tmp_path_factory.mktemp(path.stem) / "build"
        config = load_config(path)
        build(config, out)
        return path.name, selftest.prove(out, config, jobs=1)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, MATRIX))


@pytest.mark.slow
@pytest.mark.parametrize("path", MATRIX, ids=lambda p: p.name)
def test_config_builds_lints_clean_and_passes_every_promtool_test(proven: dict[str, selftest.Report],
                                                                   path: Path) -> None:
    report = proven[path.name]
    assert not report.lint_errors, "\n".join(report.lint_errors)
    assert not report.failures, "\n\n".join(report.failures)
    assert report.cases >= 80 and report.files >= 5  # generated files plus the hand-written one


def test_matrix_size() -> None:
    assert len(MATRIX) >= 7


# The literal inputs the cases used before they were derived from the config: (input that had to stay
# silent, input that had to fire). The matrix has a config whose threshold is under the first (the old
# silent case would fire) and one over the second (the old firing case would stay silent).
OLD_LITERAL_INPUTS = {
    "reconcile_failure_ratio": (0.2, 0.4),
    "memory_limit_ratio": (0.8, 0.95),
    "cpu_throttling_ratio": (0.2, 0.5),
    "kube_api_error_ratio": (0.04, 0.1),
    "gitea_error_ratio": (0.05, 0.1),
    "proxy_error_ratio": (0.05, 0.25),
    "reconcile_latency_seconds": (5, 30),
    "workqueue_wait_seconds": (30, 120),
    "gitea_latency_seconds": (1, 5),
    "proxy_latency_seconds": (2.5, 10),
    "workqueue_depth": (100, 150),
    "restarts_count": (3, 4),
}


@pytest.mark.parametrize("key", sorted(OLD_LITERAL_INPUTS))
def test_matrix_has_thresholds_on_both_sides_of_the_old_literal_inputs(key: str) -> None:
    values = [getattr(load_config(p).thresholds, key) for p in MATRIX]
    silent_input, firing_input = OLD_LITERAL_INPUTS[key]
    assert min(values) < silent_input and max(values) > firing_input, values


@pytest.mark.parametrize("path", MATRIX, ids=lambda p: p.name)
def test_every_alert_case_follows_the_config(path: Path) -> None:
    """A case's inputs move with the threshold: the firing ratio of a ratio alert is above it, the silent one under."""
    config = load_config(path)
    model = load_model(config)
    alerts = {a.alert: a for rf in model.rule_files for a in rf.alerts()}
    failure = alerts["GiteaProviderReconcileFailureRatioHigh"]
    threshold = config.thresholds.reconcile_failure_ratio
    assert all(e.value > threshold for c in failure.cases for e in c.expected)
    memory = alerts["GiteaProviderMemoryNearLimit"]
    assert all(e.value > config.thresholds.memory_limit_ratio for c in memory.cases for e in c.expected)


# ---------------------------------------------------------------------------------------------
# The config errors of issue #13, before -> after


ISSUE_EXAMPLES = [
    # slo.reconcile.objective: "abc" ended in a decimal.InvalidOperation traceback
    ('slo: {reconcile: {objective: "abc"}}', "slo.reconcile.objective: expected a number, got 'abc'"),
    # blamed on alerts/recording.py (invalid PromQL)
    ("cluster_label: k8s-cluster", "cluster_label: 'k8s-cluster' is not a valid Prometheus label name"),
    # blamed on alerts/provider.py
    ('provider: {job: ""}', "provider.job: must not be empty"),
    # accepted, then the sidecar exited at start
    ("exporter: {interval: 5s}", "exporter.interval: 5s is not above exporter.timeout (10s)"),
    # built a le="0.7" selector matching nothing
    ("slo: {gitea_latency: {latency_seconds: 0.7}}", "is not a bucket boundary of gitea_api_probe_duration_seconds"),
    # accepted
    ("thresholds: {workqueue_depth: -5}", "thresholds.workqueue_depth: -5.0 is negative"),
    ("thresholds: {reconcile_latency_seconds: -1}", "thresholds.reconcile_latency_seconds: -1.0 is not positive"),
    # built invalid PromQL in GiteaProviderPackageUnhealthy (found by the random configs below)
    ("provider: {package_name: 'q\"uote'}", "provider.package_name: 'q\"uote' is not a Kubernetes object name"),
    # a typo listed 45 keys
    ("thresholds: {reconcile_failure_ration: 0.3}", "did you mean thresholds.reconcile_failure_ratio?"),
    ("reconcile_failure_ratio: 0.3", "did you mean thresholds.reconcile_failure_ratio?"),
]


@pytest.mark.parametrize("text, message", ISSUE_EXAMPLES)
def test_issue_examples_name_the_users_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "my-config.yaml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: "), str(err.value)
    assert message in str(err.value)
    assert "\n" not in str(err.value) and "alerts/" not in str(err.value)


def test_latency_bucket_error_names_the_nearest_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("slo: {gitea_latency: {latency_seconds: 0.7}}\n")
    with pytest.raises(ConfigError, match="use 0.5 or 1"):
        load_config(path)


@pytest.mark.parametrize("text, message", [
    ("thresholds: {replicas_changed_for: 2h}", "could never fire"),
    ("alertmanager: {inhibit_equal: [namespace, 'bad-label']}", "alertmanager.inhibit_equal: 'bad-label'"),
    ("provider: {controllers: []}", "provider.controllers: must not be empty"),
    ('provider: {namespace: "a\\"b"}', "provider.namespace: 'a\"b' contains a quote"),
    ("provider: {pod_regex: 'x(['}", "is not a valid regular expression"),
    ("exporter: {port: 70000}", "exporter.port: 70000 is not a TCP port"),
    ("exporter: {gitea_url: gitea:3000}", "exporter.gitea_url: 'gitea:3000' is not an http(s) URL"),
    ("slo: {period: 1d}", "slo.period: 1d is not at least 3d"),
    ("slo: {reconcile: {latency_seconds: 1}}", "only slo.gitea_latency has a latency threshold"),
    ("thresholds: {memory_limit_ratio: .inf}", "expected a finite number"),
    ("thresholds: {provider_down_for: 5}", "expected a duration, got 5 (write it with a unit"),
    ("thresholds: {reconcile_failure_ratio: true}", "expected a number, got true"),
    ("rate_window: 0s", "rate_window: 0s is not more than 0s"),
])
def test_more_config_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value)


def test_a_new_field_is_checked_from_its_type_and_name() -> None:
    """A field added to a section gets type and range checks without code of its own (the table)."""
    from gitea_provider_monitoring.model import config_checks, config_loader

    @dataclasses.dataclass(frozen=True)
    class Section:
        spam_ratio: float = 0.5
        spam_for: str = "5m"
        labels: dict[str, str] = dataclasses.field(default_factory=dict)

    with pytest.raises(ConfigError, match="x.spam_ratio: expected a number"):
        config_loader._override(Section(), {"spam_ratio": "high"}, "f.yaml", "x.")
    with pytest.raises(ConfigError, match=r"x.labels.a: expected a string"):
        config_loader._override(Section(), {"labels": {"a": [1]}}, "f.yaml", "x.")
    checks = [check for pattern, check in config_checks.FIELD_CHECKS
              if __import__("fnmatch").fnmatchcase("x.spam_ratio", pattern)]
    assert checks and checks[0](1.5)


# ---------------------------------------------------------------------------------------------
# Property test: random values and types in random fields


def _leaves(obj: object, prefix: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        out += _leaves(value, f"{prefix}{f.name}.") if dataclasses.is_dataclass(value) else [(prefix + f.name, value)]
    return out


LEAVES = dict(_leaves(Config()))
DURATIONS = ["0s", "1s", "30s", "1m", "5m", "10m", "15m", "1h", "3h", "1d", "3d", "7d", "28d", "30d", "90d", "1h30m",
             "500ms", "5 minutes", "5", "-1m", ""]
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), TEXT, st.sampled_from(DURATIONS),
    st.lists(TEXT, max_size=3), st.dictionaries(TEXT, TEXT, max_size=2),
)


def _plausible(key: str, default: object) -> st.SearchStrategy:
    """Values of the right type, valid or just outside the range."""
    if isinstance(default, bool):
        return st.booleans()
    if isinstance(default, Decimal):
        return st.sampled_from([0.9, 0.95, 0.99, 0.995, 0.999, 0, 1, 1.5, "0.99"])
    if key.endswith(("_ratio", "_quantile")):
        return st.one_of(st.floats(0.01, 0.99).map(lambda v: round(v, 3)), st.sampled_from([0, 1, -0.5, 2]))
    if key.endswith("latency_seconds") and key.startswith("slo."):
        return st.sampled_from([0.25, 0.5, 1, 2.5, 5, 0.7, 3])
    if isinstance(default, float) or key.endswith("latency_seconds"):
        return st.one_of(st.floats(0.1, 1000).map(lambda v: round(v, 2)), st.sampled_from([0, -1]))
    if isinstance(default, int):
        return st.integers(-1, 70000)
    if isinstance(default, str) and (key.endswith(("_for", "_window", "interval", "timeout", "period"))):
        return st.sampled_from(DURATIONS)
    if isinstance(default, tuple):
        return st.lists(st.sampled_from(["namespace", "cluster", "a-b", "managed/x", ""]), max_size=3)
    if isinstance(default, dict):
        return st.dictionaries(st.sampled_from(["a", "b"]), st.sampled_from(["x", "y"]), max_size=2)
    if key.endswith("_url"):
        return st.sampled_from(["http://h:1/p", "https://g.example", "ftp://x", "nope"])
    if key == "cluster_label":
        return st.sampled_from(["cluster", "k8s_cluster", "region", "k8s-cluster", "__x", "1a"])
    if key == "exporter.mode":
        return st.sampled_from(["probe", "proxy", "both", "other"])
    return st.sampled_from(["provider-gitea", "ns-1", "a.b", 'q"uote', "new\nline", "x", ""])


def _nested(flat: dict[str, object]) -> dict:
    out: dict = {}
    for key, value in flat.items():
        node = out
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


@st.composite
def random_overrides(draw: st.DrawFn) -> dict:
    keys = draw(st.lists(st.sampled_from(sorted(LEAVES)), min_size=1, max_size=3, unique=True))
    flat = {}
    for key in keys:
        if key == "extensions":  # never import whatever module a random name happens to match
            flat[key] = draw(st.one_of(st.lists(st.sampled_from(["no_such_extension_xyz", "", "a b"]), max_size=2),
                                       st.integers(), st.none()))
            continue
        plausible = _plausible(key, LEAVES[key])
        # Mostly the right type (valid or out of range), sometimes anything at all.
        flat[key] = draw(ANY_VALUE if draw(st.integers(0, 6)) == 0 else plausible)
    return _nested(flat)


def _load(tmp_path: Path, overrides: dict) -> Config:
    path = tmp_path / "random.yaml"
    path.write_text(yaml.safe_dump(overrides))
    return load_config(path)


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(overrides=random_overrides())
def test_random_configs_build_or_fail_with_one_line_naming_the_key(tmp_path: Path, overrides: dict,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # The whole build runs, with YAML serialisation swapped for JSON (same data; PyYAML's pure-Python
    # emitter would take most of the time of 200 builds).
    monkeypatch.setattr("gitea_provider_monitoring.render.compiler.to_yaml", lambda data: json.dumps(data, default=str))
    try:
        config = _load(tmp_path, overrides)
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message
        assert message.startswith(str(tmp_path / "random.yaml") + ": ")
        key = re.sub(r"(\[\d+\]|\.<key>)$", "", exc.key)
        assert key in LEAVES or key.rsplit(".", 1)[0] in LEAVES, exc.key  # a field of the config, not a file
        return
    try:
        render(load_model(config), config)  # any other exception fails the test with its traceback
    except ConfigError as exc:  # found while building (an extension that cannot be imported): still one line
        assert "\n" not in str(exc) and "extensions" in str(exc), str(exc)


VALID_TUNING = {
    "thresholds.reconcile_failure_ratio": st.sampled_from([0.05, 0.1, 0.33, 0.6, 0.85]),
    "thresholds.memory_limit_ratio": st.sampled_from([0.5, 0.75, 0.95]),
    "thresholds.cpu_throttling_ratio": st.floats(0.01, 0.9).map(lambda v: round(v, 2)),
    "thresholds.gitea_error_ratio": st.floats(0.01, 0.9).map(lambda v: round(v, 3)),
    "thresholds.reconcile_latency_seconds": st.floats(0.5, 120).map(lambda v: round(v, 1)),
    "thresholds.reconcile_latency_quantile": st.sampled_from([0.5, 0.9, 0.95, 0.99, 0.999]),
    "thresholds.workqueue_depth": st.integers(1, 5000),
    "thresholds.restarts_count": st.integers(0, 20),
    "thresholds.provider_down_for": st.sampled_from(["0s", "1m", "10m", "1h"]),
    "thresholds.tls_expiry_days": st.sampled_from([1, 7.5, 30, 90]),
    "slo.reconcile.objective": st.sampled_from([0.9, 0.98, 0.999, 0.9999]),
    "slo.period": st.sampled_from(["3d", "7d", "14d", "28d", "30d"]),
    "slo.gitea_latency.latency_seconds": st.sampled_from([0.1, 0.25, 1, 5]),
    "rate_window": st.sampled_from(["2m", "5m", "10m"]),
    "cluster_label": st.sampled_from(["cluster", "region", "k8s_cluster"]),
}


@pytest.mark.slow
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(overrides=st.fixed_dictionaries({}, optional=VALID_TUNING).map(_nested))
def test_random_valid_configs_pass_promtool(tmp_path: Path, overrides: dict) -> None:
    try:
        config = _load(tmp_path, overrides)
    except ConfigError:
        assume(False)
        return
    out = tmp_path / "build"
    build(config, out)
    report = selftest.prove(out, config, jobs=2, with_lint=False)
    assert not report.failures, f"{overrides}\n" + "\n\n".join(report.failures)
    assert math.isfinite(report.cases) and report.cases > 0


# ---------------------------------------------------------------------------------------------
# One query layer: panels that show an alert draw its query, threshold and quantile


def _panels(model_dashboards: dict) -> list[dict]:
    out = []

    def visit(panels: list[dict]) -> None:
        for panel in panels:
            out.append(panel)
            visit(panel.get("panels", []))

    for dashboard in model_dashboards.values():
        visit(dashboard["panels"])
    return out


@pytest.mark.parametrize("path", MATRIX, ids=lambda p: p.name)
def test_panels_linking_an_alert_draw_its_threshold(path: Path) -> None:
    config = load_config(path)
    model = load_model(config)
    alerts = {a.alert: a for rf in model.rule_files for a in rf.alerts()}
    checked = 0
    for panel in _panels(model.dashboards):
        for link in panel.get("links", []):
            if not link["title"].startswith("Runbook: "):
                continue  # a link to another dashboard (Overview -> Resource Management)
            name = link["title"].removeprefix("Runbook: ")
            assert name in alerts, f"panel {panel['title']!r} links to unknown alert {name}"
            measure = alerts[name].measure
            steps = panel.get("fieldConfig", {}).get("defaults", {}).get("thresholds", {}).get("steps", [])
            drawn = [s["value"] for s in steps if s["value"] is not None]
            if measure is not None and len(drawn) == 1 and len(panel.get("links", [])) == 1:
                threshold = measure.threshold if not panel["title"].startswith("Success") else 1 - measure.threshold
                assert drawn == [pytest.approx(threshold)], panel["title"]
                checked += 1
            if measure is not None and measure.quantile is not None and panel["type"] == "timeseries":
                exprs = " ".join(t["expr"] for t in panel["targets"])
                assert f'quantile="{measure.quantile:g}"' in exprs or f"histogram_quantile({measure.quantile:g}," in exprs \
                    or "{{quantile}}" in str(panel["targets"]), panel["title"]
    assert checked >= 8


def test_panel_quantile_follows_the_alert(tmp_path: Path) -> None:
    """The p95 panel drew the p99 alert's threshold; now title, query and threshold come from the alert."""
    path = tmp_path / "c.yaml"
    path.write_text("thresholds: {reconcile_latency_quantile: 0.9, reconcile_latency_seconds: 7}\n")
    model = load_model(load_config(path))
    panel = next(p for p in _panels(model.dashboards) if p["title"].endswith("reconcile latency")
                 and p["type"] == "timeseries")
    assert panel["title"] == "p90 reconcile latency"
    assert 'quantile="0.9"' in panel["targets"][0]["expr"]
    assert panel["fieldConfig"]["defaults"]["thresholds"]["steps"][-1]["value"] == 7


def test_a_link_to_an_unknown_alert_stops_the_build() -> None:
    from gitea_provider_monitoring import alerts as alerts_defs
    from gitea_provider_monitoring import dashboards
    from gitea_provider_monitoring.model.errors import DefinitionError
    from gitea_provider_monitoring.render.validate import validate_runbook_links

    config = Config()
    model = load_model(config)
    alerts = {a.alert for rf in model.rule_files for a in rf.alerts()}
    defs = dashboards.dashboards(config)
    overview = model.dashboards["provider-overview"]
    panel = next(x for x in overview["panels"] if x.get("links"))
    panel["links"][0]["title"] = "Runbook: GiteaProviderDwn"
    with pytest.raises(DefinitionError, match=r"dashboards/overview.py:\d+: .*links to alert GiteaProviderDwn, which "
                                              r"no definition defines.*did you mean GiteaProviderDown"):
        validate_runbook_links(defs, model.dashboards, alerts)
    with pytest.raises(DefinitionError, match=r"test_configs.py:\d+: GiteaProviderDwn: .*did you mean GiteaProviderDown"):
        alerts_defs.measure(config, "GiteaProviderDwn")  # a panel drawing an alert's measure names its own line


def test_no_config_value_is_written_as_a_literal_in_a_definition() -> None:
    """Change every threshold and window: nothing of the old defaults may remain in rules, runbooks or panels."""
    from gitea_provider_monitoring.render.runbooks import render as render_runbooks

    path_text = ("rate_window: 7m\nprovider: {metrics_port: 8181}\nthresholds: {restarts_window: 97m, "
                 "reconcile_latency_quantile: 0.97, gitea_latency_quantile: 0.93, proxy_latency_quantile: 0.91}\n")
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.yaml"
        path.write_text(path_text)
        config = load_config(path)
    model = load_model(config)
    runbooks = render_runbooks(model.rule_files)
    assert "8080" not in runbooks and "[5m]" not in runbooks
    dashboards_text = yaml.safe_dump(model.dashboards)
    assert "[1h]" not in dashboards_text and 'quantile="0.95"' not in dashboards_text.replace(
        "{{quantile}}", "")
    assert "Restarts (97m)" in dashboards_text


@pytest.mark.slow
def test_gitea_monitoring_test_fails_on_a_rule_that_drifted_from_its_cases(built: Path, tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture) -> None:
    """The command users run before deploying exits 1 when a promtool case fails (here: a hand-edited threshold)."""
    import shutil

    from gitea_provider_monitoring.cli import main
    from gitea_provider_monitoring.model.rules import num

    copy = tmp_path / "build"
    shutil.copytree(built, copy, ignore=shutil.ignore_patterns("handwritten", "slo*.test.yaml"))
    rules = copy / "prometheus" / "rules" / "provider-alerts.yaml"
    # The failure-ratio alert's threshold, doubled: its firing case (threshold x 1.5) no longer fires.
    window = Config().thresholds.reconcile_failure_window
    rule = f"[{window}]))\n      > {num(Config().thresholds.reconcile_failure_ratio)}\n"
    text = rules.read_text()
    assert text.count(rule) == 1, f"the failure-ratio alert ({rule.strip()}) is not in {rules.name}"
    drifted = rule.replace(f"> {num(Config().thresholds.reconcile_failure_ratio)}",
                           f"> {num(Config().thresholds.reconcile_failure_ratio * 2)}")
    rules.write_text(text.replace(rule, drifted))
    assert main(["test", "--dir", str(copy), "--no-handwritten"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "GiteaProviderReconcileFailureRatioHigh" in out
    assert not (copy / "tests" / "handwritten-ha-and-counters.test.yaml").exists()  # the user's build is untouched
