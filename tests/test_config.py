from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gitea_provider_monitoring.model.config import Config, duration_seconds, load_config
from gitea_provider_monitoring.model.errors import ConfigError


def _load(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return load_config(path)


def test_defaults_without_file() -> None:
    config = load_config(None)
    assert config.provider.namespace == "crossplane-system"
    assert config.provider_selector == 'job="provider-gitea", namespace="crossplane-system"'


def test_nested_override(tmp_path: Path) -> None:
    config = _load(tmp_path, "provider:\n  controllers: [managed/repository]\nslo:\n  gitea_latency:\n"
                             "    latency_seconds: 0.5\n")
    assert config.provider.controllers == ("managed/repository",)
    assert config.slo.gitea_latency.latency_seconds == 0.5
    assert config.slo.gitea_latency.objective == Decimal("0.99")


@pytest.mark.parametrize("text, message", [
    ("nope: 1\n", "nope: unknown key"),
    ("provider: 3\n", "provider: expected a mapping"),
    ("thresholds:\n  provider_down_for: 5 minutes\n", "not a Prometheus duration"),
    ("thresholds:\n  reconcile_failure_ratio: 2\n", "not a fraction"),
    ("thresholds:\n  reconcile_failure_ratio: high\n", "expected a number"),
    ("slo:\n  reconcile:\n    objective: 1.5\n", "is not a fraction between 0 and 1"),
    ("provider:\n  leader_election: yes please\n", "expected true or false"),
    ("- a list\n", "must be a mapping"),
    ("key: [unclosed\n", "invalid YAML"),
])
def test_invalid_config_is_refused_with_location(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, text)
    assert "config.yaml" in str(err.value) and message in str(err.value)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_durations() -> None:
    assert duration_seconds("1h30m") == 5400
    assert duration_seconds("800ms") == 0.8
    with pytest.raises(ValueError):
        duration_seconds("5 m")
