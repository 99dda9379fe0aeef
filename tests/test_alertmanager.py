"""The generated Alertmanager configuration, checked by the real amtool of every installed Alertmanager
version (`alertmanager_tools`: Debian's 0.25 and the Go-built current one)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from gitea_provider_monitoring.check.promtool import Toolset
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.render.alertmanager import RECEIVERS
from gitea_provider_monitoring.render.compiler import load_model


@pytest.fixture(scope="module")
def amtool(alertmanager_tools: Toolset) -> str:
    return alertmanager_tools.tool


def _route(amtool: str, config: Path, *labels: str) -> str:
    out = subprocess.run([amtool, "config", "routes", "test", f"--config.file={config}", *labels],
                         capture_output=True, text=True)
    return out.stdout.strip()


def test_amtool_accepts_the_config(amtool: str, built: Path) -> None:
    out = subprocess.run([amtool, "check-config", str(built / "alertmanager" / "alertmanager.yml")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 receivers" in out.stdout and "1 inhibit rules" in out.stdout
    assert not _matcher_warnings(out), out.stdout + out.stderr


def _matcher_warnings(out: subprocess.CompletedProcess) -> list[str]:
    """Alertmanager 0.27+ parses matchers with a UTF-8 parser; for input it can only read with the classic
    parser, or reads differently, amtool logs a level=WARN line (on stdout) and falls back."""
    return [line for line in (out.stdout + out.stderr).splitlines() if "level=WARN" in line]


# Alertmanager 0.27 added the UTF-8 matcher parser; older versions have only the classic one.
UTF8_PARSER = pytest.mark.since("alertmanager", "0.27")


@UTF8_PARSER
def test_every_matcher_parses_in_utf8_strict_mode(alertmanager_tools: Toolset, amtool: str, built: Path) -> None:
    """What the UTF-8 parser alone (no classic fallback) accepts: ready for when the fallback goes."""
    out = subprocess.run([amtool, "--enable-feature=utf8-strict-mode", "check-config",
                          str(built / "alertmanager" / "alertmanager.yml")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@UTF8_PARSER
def test_old_matcher_syntax_is_caught(alertmanager_tools: Toolset, amtool: str, tmp_path: Path) -> None:
    """The two checks above can fail: an unquoted regex with a space warns, and strict mode rejects it."""
    config = tmp_path / "old.yml"
    config.write_text(yaml.safe_dump({"route": {"receiver": "r", "routes": [
        {"matchers": ["alertname=~Gitea.+ (x)"], "receiver": "r"}]}, "receivers": [{"name": "r"}]}))
    fallback = subprocess.run([amtool, "check-config", str(config)], capture_output=True, text=True)
    assert fallback.returncode == 0 and _matcher_warnings(fallback), fallback.stdout + fallback.stderr
    strict = subprocess.run([amtool, "--enable-feature=utf8-strict-mode", "check-config", str(config)],
                            capture_output=True, text=True)
    assert strict.returncode != 0


def test_every_alert_routes_to_its_severity_receiver(amtool: str, built: Path) -> None:
    config = built / "alertmanager" / "alertmanager.yml"
    alerts = [a for rf in load_model(Config()).rule_files for a in rf.alerts()]
    assert {a.severity for a in alerts} == set(RECEIVERS)
    for a in alerts:
        labels = [f"{k}={v}" for k, v in {"alertname": a.alert, **a.all_labels}.items()]
        assert _route(amtool, config, *labels) == RECEIVERS[a.severity], a.alert


def test_routing_follows_the_project_label_not_alert_names(amtool: str, built: Path) -> None:
    """An alert added later (or by a user's extension) is routed by the label every alert of ours carries."""
    config, c = built / "alertmanager" / "alertmanager.yml", Config()
    ours = f"{c.project_label_name}={c.project_label_value}"
    assert _route(amtool, config, "alertname=SomeFutureAlert", ours, "severity=critical") == RECEIVERS["critical"]
    assert _route(amtool, config, "alertname=GiteaAPIDown", "severity=critical") == RECEIVERS["warning"]


def test_other_teams_alerts_are_not_routed_by_severity(amtool: str, built: Path) -> None:
    config = built / "alertmanager" / "alertmanager.yml"
    assert _route(amtool, config, "alertname=KubePodCrashLooping", "severity=critical") == RECEIVERS["warning"]


def test_critical_inhibits_warnings_in_the_same_namespace(built: Path) -> None:
    doc = yaml.safe_load((built / "alertmanager" / "alertmanager.yml").read_text())
    (rule,) = doc["inhibit_rules"]
    assert 'severity="critical"' in rule["source_matchers"] and 'severity="warning"' in rule["target_matchers"]
    assert rule["equal"] == ["cluster", "namespace"]
    assert all(r["webhook_configs"][0]["send_resolved"] for r in doc["receivers"])


def test_project_label_must_be_a_prometheus_label(tmp_path: Path) -> None:
    from gitea_provider_monitoring.model.config import load_config
    from gitea_provider_monitoring.model.errors import ConfigError

    config = tmp_path / "my.yaml"
    config.write_text("project_label_name: part-of\n")
    with pytest.raises(ConfigError, match=r"my\.yaml: project_label_name: 'part-of' is not a valid Prometheus label"):
        load_config(config)
    config.write_text("project_label_value: ''\n")
    with pytest.raises(ConfigError, match="project_label_value: must not be empty"):
        load_config(config)
