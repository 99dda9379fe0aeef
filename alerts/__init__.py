"""Alerting and recording rule definitions: plain functions of the config returning rule files.

Each module's `rules(config)` returns one RuleFile, emitted as build/prometheus/rules/<name>.yaml.
"""

from __future__ import annotations

from alerts import gitea_api, provider, recording, slo
from monitoring.config import Config
from monitoring.rules import AlertingRule, RuleFile

RULE_MODULES = (recording, slo, provider, gitea_api)


def rule_files(config: Config) -> list[RuleFile]:
    return [module.rules(config) for module in RULE_MODULES]


_BY_NAME: dict[str, dict[str, AlertingRule]] = {}


def alerts_by_name(config: Config) -> dict[str, AlertingRule]:
    """Every alert of this config by name: what dashboards link to and draw (measure, threshold, quantile)."""
    key = repr(config)
    if key not in _BY_NAME:
        _BY_NAME.clear()  # one config at a time; the cache only spares the dashboards rebuilding the rules
        _BY_NAME[key] = {a.alert: a for rf in rule_files(config) for a in rf.alerts()}
    return _BY_NAME[key]
