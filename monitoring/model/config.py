"""The one configuration every definition reads: selectors, thresholds, SLOs, URLs. Import it from here.

Defaults suit a stock install of the provider in `crossplane-system`. A YAML file overrides any
field (`gitea-monitoring build --config FILE`); unknown keys are errors so that a typo never
silently leaves a default in place. Three modules, one job each:

- config_schema.py: the fields, their defaults and what each means (`Thresholds`, `ProviderConfig`, ...);
- config_loader.py: `load_config`, the YAML file read onto the schema, each value checked against its type;
- config_checks.py: `FIELD_CHECKS` (ranges by field name), `validate_config` (fields that contradict each
  other) and `config_warnings` (valid but probably unintended).
"""

from __future__ import annotations

from gitea_provider_monitoring.exporters.gitea_api.durations import duration_seconds
from gitea_provider_monitoring.model.config_checks import FIELD_CHECKS, Check, config_warnings, validate_config
from gitea_provider_monitoring.model.config_loader import CONFIG_MAX_BYTES, load_config
from gitea_provider_monitoring.model.config_schema import (
    DEFAULT_CONTROLLERS,
    SLO,
    AlertmanagerConfig,
    Config,
    ExporterConfig,
    KubernetesConfig,
    ProviderConfig,
    ResourceStateConfig,
    SLOConfig,
    Thresholds,
    example_pods,
)

__all__ = [
    "CONFIG_MAX_BYTES",
    "DEFAULT_CONTROLLERS",
    "FIELD_CHECKS",
    "SLO",
    "AlertmanagerConfig",
    "Check",
    "Config",
    "ExporterConfig",
    "KubernetesConfig",
    "ProviderConfig",
    "ResourceStateConfig",
    "SLOConfig",
    "Thresholds",
    "config_warnings",
    "duration_seconds",
    "example_pods",
    "load_config",
    "validate_config",
]
