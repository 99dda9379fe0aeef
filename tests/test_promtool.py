"""The generated rules through the real promtool: check rules, and every generated and hand-written test,
on every installed Prometheus version (`prometheus_tools`: Debian's 2.42 and the Go-built 3.x)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from gitea_provider_monitoring.check import promtool
from gitea_provider_monitoring.check.promtool import Toolset
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.render.compiler import load_model


def test_promtool_accepts_every_rule_file(built: Path, prometheus_tools: Toolset) -> None:
    files = sorted((built / "prometheus" / "rules").glob("*.yaml"))
    assert len(files) >= 4
    result = promtool.check_rules(*files, promtool=prometheus_tools.tool)
    assert result.output.count("SUCCESS") == len(files)


def _test_files(built: Path) -> list[Path]:
    return sorted((built / "tests").glob("*.test.yaml")) + sorted((built / "handwritten").glob("*.yaml"))


def test_every_promtool_test_file_passes(built: Path, prometheus_tools: Toolset) -> None:
    files = _test_files(built)
    assert files, "no promtool test files were generated"
    # One promtool per file, two at a time: the multi-day SLO cases dominate the run time.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda f: _run(f, prometheus_tools.tool), files))
    failures = [r for r in results if r is not None]
    assert not failures, "\n\n".join(failures)


def _run(path: Path, binary: str) -> str | None:
    try:
        promtool.test_rules(path.name, cwd=path.parent, promtool=binary)
    except promtool.PromtoolError as exc:
        return str(exc)
    return None


def test_every_alert_case_is_in_a_generated_test(built: Path) -> None:
    """Each case written beside an alert reaches promtool (none silently dropped)."""
    model = load_model(Config())
    expected = sum(len(a.cases) for rf in model.rule_files for a in rf.alerts())
    generated = sum(len(yaml.safe_load(f.read_text())["tests"]) for f in (built / "tests").glob("*.test.yaml"))
    assert generated == expected


def test_a_wrong_expectation_fails_promtool(built: Path, tmp_path: Path, prometheus_tools: Toolset) -> None:
    """The harness can fail: flip one expected label and promtool must reject the test."""
    src = built / "tests" / "provider-alerts.test.yaml"
    data = yaml.safe_load(src.read_text())
    firing = next(t for t in data["tests"] if t["alert_rule_test"][0]["exp_alerts"])
    firing["alert_rule_test"][0]["exp_alerts"][0]["exp_labels"]["severity"] = "info"
    data["tests"] = [firing]
    data["rule_files"] = [str(built / "tests" / p) for p in data["rule_files"]]
    bad = tmp_path / "bad.test.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(promtool.PromtoolError) as err:
        promtool.test_rules(bad, promtool=prometheus_tools.tool)
    assert "bad.test.yaml" in str(err.value)


def test_promtool_error_carries_message_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("groups:\n- name: x\n  rules:\n  - alert: X\n    expr: sum(\n")
    with pytest.raises(promtool.PromtoolError) as err:
        promtool.check_rules(bad)
    assert "broken.yaml" in str(err.value)
    assert "parse error" in err.value.output


def test_missing_promtool_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PROMTOOL", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(promtool, "REPO_ROOT", tmp_path)
    with pytest.raises(promtool.PromtoolNotFound) as err:
        promtool.find_promtool()
    assert "make tools" in str(err.value)


def test_promtool_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PROMTOOL", str(tmp_path / "nope"))
    with pytest.raises(promtool.MonitoringError, match="PROMTOOL="):
        promtool.find_promtool()


def test_check_metrics_accepts_clean_exposition_and_reports_problems(prometheus_tools: Toolset) -> None:
    good = "# HELP gitea_api_up 1 when Gitea answers.\n# TYPE gitea_api_up gauge\ngitea_api_up 1\n"
    promtool.check_metrics(good, promtool=prometheus_tools.tool)
    bad = "# HELP gitea_api_requests Requests.\n# TYPE gitea_api_requests counter\ngitea_api_requests 1\n"
    with pytest.raises(promtool.PromtoolError, match="counter metrics should have"):
        promtool.check_metrics(bad, promtool=prometheus_tools.tool)


def _fake_tool(directory: Path, name: str, version: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!/bin/sh\necho '{name}, version {version} (branch: x, revision: y)'\n")
    path.chmod(0o755)
    return path


def test_promtool_env_adds_a_version_to_the_matrix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`PROMTOOL=/path make test` adds that version (docs/e2e.md: adding another version); Debian's +ds is dropped."""
    monkeypatch.setattr(promtool, "REPO_ROOT", tmp_path / "repo")
    _fake_tool(tmp_path / "repo" / ".tools" / "bin", "promtool", "2.42.0+ds")
    _fake_tool(tmp_path / "repo" / ".tools" / "prometheus-3.13.5", "promtool", "3.13.5")
    _fake_tool(tmp_path / "repo" / ".tools" / "prometheus-3.13.5", "prometheus", "3.13.5")
    monkeypatch.setenv("PROMTOOL", str(_fake_tool(tmp_path / "opt", "promtool", "3.5.0")))
    sets = promtool.toolsets("prometheus")
    assert [t.id for t in sets] == ["prometheus-2.42.0", "prometheus-3.5.0", "prometheus-3.13.5"]
    assert sets[2].server and sets[2].server.endswith("prometheus-3.13.5/prometheus")
    assert sets[1].server is None  # a lone promtool: checked, but no e2e run
    assert promtool.select("prometheus", "3").version == "3.13.5"  # the newest 3.x
    assert promtool.select("prometheus", None).version == "2.42.0"
    with pytest.raises(promtool.MonitoringError, match=r"prometheus 3\.1 is not installed.*make tools"):
        promtool.select("prometheus", "3.1")
