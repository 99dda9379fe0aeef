"""Alerting and recording rule definitions: plain functions of the config returning rule files.

Each module's `rules(config)` returns one RuleFile, emitted as build/prometheus/rules/<name>.yaml.
"""

from __future__ import annotations

from alerts import gitea_api, provider, recording, slo
from monitoring.config import Config
from monitoring.rules import RuleFile

RULE_MODULES = (recording, slo, provider, gitea_api)


def rule_files(config: Config) -> list[RuleFile]:
    return [module.rules(config) for module in RULE_MODULES]
