"""`grafana_min_version`: the build emits the schemaVersion of the oldest Grafana the dashboards must load in."""

from __future__ import annotations

import json
from dataclasses import replace

import jsonschema
import pytest

from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.errors import ConfigError
from gitea_provider_monitoring.model.grafana_model import SCHEMA_VERSION, SCHEMA_VERSIONS
from gitea_provider_monitoring.render.compiler import load_model
from tests.sim.openapi import specs_dir


@pytest.mark.parametrize("version", sorted(SCHEMA_VERSIONS))
def test_each_choice_emits_its_schema_version(version: str) -> None:
    model = load_model(replace(Config(), grafana_min_version=version))
    assert {d["schemaVersion"] for d in model.dashboards.values()} == {SCHEMA_VERSIONS[version]}
    assert SCHEMA_VERSIONS[version] <= SCHEMA_VERSION
    found = specs_dir()
    if found is not None:  # conformance: still valid against Grafana's dashboard schema
        schema = json.loads((found / "grafana-dashboard.schema.json").read_text())
        for d in model.dashboards.values():
            jsonschema.validate(d, schema)


def test_the_default_is_the_oldest_supported_grafana() -> None:
    assert Config().grafana_min_version == min(SCHEMA_VERSIONS, key=lambda v: tuple(map(int, v.split("."))))


def test_an_unknown_version_names_the_key_and_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"grafana_min_version: unknown Grafana version '9\.0' \(use one of 10\.4"):
        load_model(replace(Config(), grafana_min_version="9.0"))
