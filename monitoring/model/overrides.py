"""Overrides without code: switch alerts off, change severity, `for`, thresholds, add labels and annotations.

The config's `overrides:` section (the kube-prometheus-stack `defaultRules.disabled` /
`additionalRuleLabels` knobs, per alert):

    overrides:
      labels: {team: platform}              # on every alert
      annotations: {chat: "#platform"}      # on every alert
      alerts:
        GiteaProviderReplicaDown: {disabled: true}
        "GiteaAPI*": {labels: {team: gitea-admins}}          # a glob matches several alerts
        GiteaAPILatencyHigh:
          severity: critical
          for: 20m                                           # the hold time; its cases follow
          thresholds: {gitea_latency_seconds: 3}             # fields of `thresholds:`, for this alert only

Severity, labels, annotations and `disabled` are applied to the model after the definitions ran. `for`
and `thresholds` are config values: the alert is defined again from a config where they are changed
(for that alert only), so its expression, text, promtool cases, runbook and the panels that draw its
measure follow them just as they follow the global `thresholds:` section. Other alerts (and their
panels) keep the global values.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gitea_provider_monitoring.exporters.gitea_api.durations import duration_seconds
from gitea_provider_monitoring.model.errors import ConfigError
from gitea_provider_monitoring.model.rules import SEVERITIES, AlertingRule, RuleFile
from gitea_provider_monitoring.model.settings import declared_settings

LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# Annotations the definitions own: overriding them would break the runbook link and the tests' texts.
RESERVED_ANNOTATIONS = ("summary", "description", "runbook_url")
RESERVED_LABELS = ("severity", "alertname")  # severity has its own key; alertname is Prometheus'


@dataclass(frozen=True)
class AlertOverride:
    """What the config changes on the alerts one key (a name or a glob) matches."""

    disabled: bool = False
    severity: str | None = None
    for_: str | None = None
    thresholds: dict[str, Any] = field(default_factory=dict)  # Thresholds field -> value
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def redefines(self) -> bool:
        """True when the alert must be defined again from a changed config."""
        return bool(self.for_ or self.thresholds)


@dataclass(frozen=True)
class Overrides:
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    alerts: dict[str, AlertOverride] = field(default_factory=dict)
    source: str = field(default="<config>", compare=False)  # the config file, for error messages

    @classmethod
    def from_config(cls, raw: Any, path: str, key: str) -> Overrides:
        """Parse and check the `overrides:` mapping of a config file."""
        mapping = _mapping(raw, path, key)
        _only(mapping, ("labels", "annotations", "alerts"), path, key)
        alerts = {}
        for pattern, value in _mapping(mapping.get("alerts", {}), path, f"{key}.alerts").items():
            alerts[str(pattern)] = _alert_override(value, path, f"{key}.alerts.{pattern}")
        return cls(labels=_labels(mapping.get("labels", {}), path, f"{key}.labels"),
                   annotations=_annotations(mapping.get("annotations", {}), path, f"{key}.annotations"),
                   alerts=alerts, source=path)

    def for_alert(self, name: str) -> list[tuple[str, AlertOverride]]:
        """(key, override) of every entry matching `name`, exact names last so that they win."""
        hits = [(k, o) for k, o in self.alerts.items() if k != name and fnmatch.fnmatchcase(name, k)]
        return hits + ([(name, self.alerts[name])] if name in self.alerts else [])

    @property
    def empty(self) -> bool:
        return not (self.labels or self.annotations or self.alerts)


def _mapping(value: Any, path: str, key: str) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(path, key, f"expected a mapping, got {value!r}")
    return value


def _only(mapping: dict, known: tuple[str, ...], path: str, key: str) -> None:
    for k in mapping:
        if k not in known:
            raise ConfigError(path, f"{key}.{k}", "unknown key", f"known keys here: {', '.join(known)}")


def _strings(value: Any, path: str, key: str) -> dict[str, str]:
    mapping = _mapping(value, path, key)
    for k, v in mapping.items():
        if not isinstance(v, str | int | float) or isinstance(v, bool):
            raise ConfigError(path, f"{key}.{k}", f"expected a string, got {v!r}", "quote the value")
    return {str(k): str(v) for k, v in mapping.items()}


def _labels(value: Any, path: str, key: str) -> dict[str, str]:
    labels = _strings(value, path, key)
    for name in labels:
        if not LABEL_NAME.match(name) or name.startswith("__"):
            raise ConfigError(path, f"{key}.{name}", "not a Prometheus label name", "use letters, digits and _")
        if name in RESERVED_LABELS:
            raise ConfigError(path, f"{key}.{name}", f"label {name!r} cannot be set here",
                              "use the alert's `severity:` override" if name == "severity" else "remove it")
    return labels


def _annotations(value: Any, path: str, key: str) -> dict[str, str]:
    annotations = _strings(value, path, key)
    for name in annotations:
        if name in RESERVED_ANNOTATIONS:
            raise ConfigError(path, f"{key}.{name}", f"annotation {name!r} comes from the alert's definition",
                              "change the definition, or set runbook_base_url for runbook links")
    return annotations


def _alert_override(value: Any, path: str, key: str) -> AlertOverride:
    from gitea_provider_monitoring.model.config_schema import Thresholds

    mapping = _mapping(value, path, key)
    _only(mapping, ("disabled", "severity", "for", "thresholds", "labels", "annotations"), path, key)
    disabled = mapping.get("disabled", False)
    if not isinstance(disabled, bool):
        raise ConfigError(path, f"{key}.disabled", f"expected true or false, got {disabled!r}")
    severity = mapping.get("severity")
    if severity is not None and severity not in SEVERITIES:
        raise ConfigError(path, f"{key}.severity", f"{severity!r} is not one of {', '.join(SEVERITIES)}")
    for_ = mapping.get("for")
    if for_ is not None:
        try:
            duration_seconds(str(for_))
        except ValueError as exc:
            raise ConfigError(path, f"{key}.for", str(exc)) from None
        for_ = str(for_)
    thresholds: dict[str, Any] = {}
    defaults = Thresholds()
    for name, v in _mapping(mapping.get("thresholds", {}), path, f"{key}.thresholds").items():
        where = f"{key}.thresholds.{name}"
        current = getattr(defaults, str(name), None)  # None: an extension's setting, checked when applied
        if isinstance(current, str) or (current is None and isinstance(v, str)):
            try:
                duration_seconds(str(v))
            except ValueError as exc:
                raise ConfigError(path, where, str(exc)) from None
            thresholds[str(name)] = str(v)
        elif isinstance(v, bool) or not isinstance(v, int | float):
            raise ConfigError(path, where, f"expected a number, got {v!r}")
        else:
            thresholds[str(name)] = float(v)
    return AlertOverride(disabled=disabled, severity=severity, for_=for_, thresholds=thresholds,
                         labels=_labels(mapping.get("labels", {}), path, f"{key}.labels"),
                         annotations=_annotations(mapping.get("annotations", {}), path, f"{key}.annotations"))


# ---------------------------------------------------------------------------------------------
# Applying them

Define = Callable[[Any], list[RuleFile]]  # config -> every rule file (ours and the extensions')


def _alerts(rule_files: list[RuleFile]) -> dict[str, AlertingRule]:
    return {a.alert: a for rf in rule_files for a in rf.alerts()}


def _duration_fields(config: Any) -> list[tuple[str, str]]:
    """(section, field) of every duration a definition may use as an alert's `for`."""
    fields = [(section, f.name) for section in ("thresholds", "slo") for f in dataclasses.fields(getattr(config, section))
              if f.name.endswith("_for") and isinstance(getattr(getattr(config, section), f.name), str)]
    for name, default in sorted(declared_settings().items()):
        try:
            duration_seconds(str(default))
        except ValueError:
            continue
        fields.append(("settings", name))
    return fields


def _section_of(config: Any, name: str) -> str | None:
    """Where a per-alert threshold lives: `thresholds` or an extension's `settings`."""
    if hasattr(config.thresholds, name):
        return "thresholds"
    return "settings" if name in declared_settings() else None


def _with(config: Any, section: str, **values: Any) -> Any:
    if section == "settings":
        return dataclasses.replace(config, settings={**config.settings, **{k: str(v) for k, v in values.items()}})
    return dataclasses.replace(config, **{section: dataclasses.replace(getattr(config, section), **values)})


def _for_fields(config: Any, define: Define, alert: str, base_for: str) -> list[tuple[str, str]]:
    """The config durations that set `alert`'s `for`: change each and see whether the alert follows."""
    found = []
    for section, name in _duration_fields(config):
        probe = "7777s"  # a value no default uses
        changed = _alerts(define(_with(config, section, **{name: probe})))
        if alert in changed and changed[alert].for_ != base_for and changed[alert].for_ == probe:
            found.append((section, name))
    return found


def _config_for(config: Any, define: Define, alert: AlertingRule, override: AlertOverride, key: str,
                source: str) -> Any:
    """The config as `alert` sees it: the global one with the override's `for` and thresholds in force."""
    changed = config
    for name, value in override.thresholds.items():
        section = _section_of(config, name)
        if section is None:
            raise ConfigError(source, f"overrides.alerts.{key}.thresholds.{name}", "not a field of thresholds: nor a "
                              "setting an extension reads", "see the Thresholds section of monitoring/model/config.py")
        current = getattr(config.thresholds, name) if section == "thresholds" else config.settings.get(name)
        only = _alerts(define(_with(config, section, **{name: value}))).get(alert.alert)
        if only == alert and current != value:
            raise ConfigError(source, f"overrides.alerts.{key}.thresholds.{name}", f"does not change {alert.alert}",
                              "name a threshold this alert uses")
        changed = _with(changed, section, **{name: value})
    if override.for_:
        fields = _for_fields(config, define, alert.alert, alert.for_)
        if not fields:
            raise ConfigError(source, f"overrides.alerts.{key}.for", f"the `for` of {alert.alert} ({alert.for_}) is "
                              "not read from the config", "read it from thresholds: or api.setting() in its definition")
        for section, name in fields:
            changed = _with(changed, section, **{name: override.for_})
    return changed


def _redefined(config: Any, define: Define, alert: AlertingRule, override: AlertOverride, key: str,
               source: str) -> AlertingRule:
    """`alert` defined again from a config carrying the override's `for` and thresholds."""
    redefined = _alerts(define(_config_for(config, define, alert, override, key, source))).get(alert.alert)
    if redefined is None:  # a definition that drops the alert with these values
        raise ConfigError(source, f"overrides.alerts.{key}", f"{alert.alert} disappears with these values")
    return redefined


def _merged(overrides: Overrides, name: str) -> tuple[str, AlertOverride]:
    """Every entry matching alert `name` folded into one (exact names win over globs), and the key of the last
    entry that redefines the alert (for error messages)."""
    hits = overrides.for_alert(name)
    merged = AlertOverride()
    for _, o in hits:
        merged = AlertOverride(
            disabled=merged.disabled or o.disabled, severity=o.severity or merged.severity,
            for_=o.for_ or merged.for_, thresholds={**merged.thresholds, **o.thresholds},
            labels={**merged.labels, **o.labels}, annotations={**merged.annotations, **o.annotations})
    return next((k for k, o in reversed(hits) if o.redefines), name), merged


def config_for(config: Any, alert: str) -> Any:
    """The config as the alert named `alert` sees it: its `overrides.alerts.<name>.thresholds` in force (the
    global config when there are none). A panel that shows the alert reads what it draws beside the alert's
    measure from it (a window in a title, an extension's setting), so the panel follows the override as the
    rule does. Names that are no threshold are left to the compiler, which reports them with the config key."""
    _, merged = _merged(config.overrides, alert)
    changed = config
    for name, value in merged.thresholds.items():
        section = _section_of(config, name)
        if section is not None:
            changed = _with(changed, section, **{name: value})
    return changed


def apply(config: Any, define: Define, rule_files: list[RuleFile], *, drawn: bool = False) -> list[RuleFile]:
    """`rule_files` with the config's overrides applied (a no-op without an `overrides:` section).

    `drawn=True` gives the alerts as dashboards draw them: each with its `for` and thresholds in force, the
    disabled ones kept (their panels still draw them), and keys matching none of these alerts allowed (they
    name an extension's alerts; the compiler's own pass over every rule file checks them).
    """
    overrides: Overrides = config.overrides
    if overrides.empty:
        return rule_files
    names = set(_alerts(rule_files))
    for key in overrides.alerts:
        if not drawn and not any(fnmatch.fnmatchcase(n, key) for n in names):
            raise ConfigError(overrides.source, f"overrides.alerts.{key}", "matches no alert",
                              "check the name (`gitea-monitoring build` lists them in docs/runbooks.md)")

    def one(rule: AlertingRule) -> AlertingRule | None:
        key, merged = _merged(overrides, rule.alert)
        if merged.disabled and not drawn:
            return None
        if merged.redefines:
            rule = _redefined(config, define, rule, merged, key, overrides.source)
        return dataclasses.replace(
            rule, severity=merged.severity or rule.severity,
            labels={**rule.labels, **overrides.labels, **merged.labels},
            annotations={**rule.annotations, **overrides.annotations, **merged.annotations})

    out = []
    for rf in rule_files:
        groups = []
        for group in rf.groups:
            rules = []
            for rule in group.rules:
                if isinstance(rule, AlertingRule):
                    rule = one(rule)
                if rule is not None:
                    rules.append(rule)
            if rules:
                groups.append(dataclasses.replace(group, rules=tuple(rules)))
        out.append(dataclasses.replace(rf, groups=tuple(groups)))
    return out
