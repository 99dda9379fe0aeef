"""Alerting and recording rule definitions: plain functions of the config returning rule files.

Each module's `rules(config)` returns one RuleFile, emitted as build/prometheus/rules/<name>.yaml.
"""

from __future__ import annotations

import difflib

from gitea_provider_monitoring.alerts import gitea_api, provider, recording, resources, slo
from gitea_provider_monitoring.model import overrides
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.errors import DefinitionError
from gitea_provider_monitoring.model.rules import AlertingRule, Measure, RuleFile, _caller

RULE_MODULES = (recording, slo, provider, gitea_api, resources)


def rule_files(config: Config) -> list[RuleFile]:
    return [module.rules(config) for module in RULE_MODULES]


_BY_NAME: dict[str, dict[str, AlertingRule]] = {}


def alerts_by_name(config: Config) -> dict[str, AlertingRule]:
    """Every alert of this config by name, as dashboards draw it: its `for` and thresholds overrides in force
    (so a panel draws the threshold the rule compares), the disabled ones kept (model/overrides.py apply)."""
    key = repr(config)
    if key not in _BY_NAME:
        _BY_NAME.clear()  # one config at a time; the cache only spares the dashboards rebuilding the rules
        drawn = overrides.apply(config, rule_files, rule_files(config), drawn=True)
        _BY_NAME[key] = {a.alert: a for rf in drawn for a in rf.alerts()}
    return _BY_NAME[key]



def shown_alert(config: Config, name: str, depth: int = 2) -> AlertingRule:
    """The alert a panel shows, with its measure; a name that is no alert of this config stops the build."""
    known = alerts_by_name(config)
    if name not in known:
        close = difflib.get_close_matches(name, list(known), n=1)
        raise DefinitionError(_caller(depth), name, "a panel links to an alert that does not exist",
                              f"did you mean {close[0]}?" if close else "use the name of an alert in alerts/")
    return known[name]


def measure(config: Config, name: str) -> Measure:
    """The query, threshold and quantile of the alert `name`, for a panel that shows it."""
    rule = shown_alert(config, name, depth=3)
    if rule.measure is None:
        raise DefinitionError(_caller(2), name, "the alert has no measure a panel could draw",
                              "give the alert a Measure (model/alerting.py alert(measure=...))")
    return rule.measure
