"""What a well-typed config may still get wrong: each field's range, then fields that contradict each other.

Range checks are a small table of (key pattern, check), FIELD_CHECKS. A new field is covered by its name: a
`*_ratio` is a fraction, a `*_for` a duration, a `*port` a port, and so on. Every check that matches a key
applies; a check returns the problem (and optionally the fix), or None. validate_config then relates fields
to each other; config_warnings names valid but probably unintended settings.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from gitea_provider_monitoring.exporters.gitea_api.durations import duration_seconds, flag_seconds, fmt_duration
from gitea_provider_monitoring.model import provider_facts
from gitea_provider_monitoring.model.config_schema import Config, example_pods
from gitea_provider_monitoring.model.errors import ConfigError, shown

Check = Callable[[Any], "str | tuple[str, str] | None"]


def _duration(minimum: float = 0.0, strictly: bool = True) -> Check:
    def check(value: Any) -> str | tuple[str, str] | None:
        if not isinstance(value, str):
            return None
        try:
            seconds = duration_seconds(value)
        except ValueError as exc:
            return str(exc)
        if seconds < minimum or (strictly and seconds == minimum):
            bound = "more than" if strictly else "at least"
            return f"{value} is not {bound} {fmt_duration(minimum)}"
        return None
    return check


def _exporter_duration(value: Any) -> str | tuple[str, str] | None:
    """The exporter reads single-unit durations only (durations.flag_seconds): 15s, 800ms, 1m, not 1m30s or 1d."""
    if not isinstance(value, str):
        return None  # the type check reports it
    try:
        if flag_seconds(value) <= 0:
            return f"{value!r} must be above zero"
    except ValueError as exc:
        return str(exc), "the exporter reads one unit: 15s, 800ms, 1m"
    return None


_NUMERIC_CHECKS: set[Check] = set()


def _numeric(check: Check) -> Check:
    """A check of numbers only (a `*_for` string under thresholds.* is not compared with 0)."""
    _NUMERIC_CHECKS.add(check)
    return check


def _applies(check: Check, value: Any) -> bool:
    is_number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    return is_number if check in _NUMERIC_CHECKS else isinstance(value, str | tuple | list)


@_numeric
def _fraction(value: Any) -> str | tuple[str, str] | None:
    if not 0 < value < 1:
        return f"{value} is not a fraction between 0 and 1 (exclusive)", "write a fraction such as 0.25 for 25%"
    return None


@_numeric
def _positive(value: Any) -> str | None:
    return None if value > 0 else f"{value} is not positive"


@_numeric
def _not_negative(value: Any) -> str | None:
    return None if value >= 0 else f"{value} is negative"


@_numeric
def _port(value: Any) -> str | None:
    return None if 1 <= value <= 65535 else f"{value} is not a TCP port (1-65535)"


LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def _label_name(value: Any) -> str | tuple[str, str] | None:
    names = value if isinstance(value, tuple | list) else (value,)
    for name in names:
        if not LABEL_NAME_RE.match(name) or name.startswith("__"):
            fixed = re.sub(r"[^a-zA-Z0-9_]", "_", name).lstrip("_") or "cluster"
            return (f"{name!r} is not a valid Prometheus label name",
                    f"letters, digits and underscores, not starting with a digit or __, e.g. {fixed!r}")
    return None


def _selector_value(value: Any) -> str | None:
    """Written inside a PromQL string in every selector: no quote, backslash or control character."""
    for item in value if isinstance(value, tuple | list) else (value,):
        if not item:
            return "must not be empty"
        if re.search(r'["\\\x00-\x1f]', item):
            return f"{item!r} contains a quote, a backslash or a control character"
    return None


def _regex(value: Any) -> str | None:
    try:
        re.compile(value)
    except re.error as exc:
        return f"{value!r} is not a valid regular expression ({exc})"
    return None


def _url(value: Any) -> str | tuple[str, str] | None:
    if not re.match(r"^https?://[^\s/]+", value):
        return f"{value!r} is not an http(s) URL", "write it like https://host/path"
    return None


def _one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"{value!r} is not one of {', '.join(choices)}"
    return check


def _exporter_mode(value: Any) -> str | tuple[str, str] | None:
    from gitea_provider_monitoring.exporters.gitea_api.main import MODES  # the exporter's own choices

    return _one_of(*MODES)(value)


def _grafana_version(value: Any) -> str | None:
    from gitea_provider_monitoring.model.grafana_model import SCHEMA_VERSIONS  # the converter's versions, written there

    return None if value in SCHEMA_VERSIONS else f"{value!r} is not one of {', '.join(SCHEMA_VERSIONS)}"


def _module_names(value: Any) -> str | tuple[str, str] | None:
    for name in value if isinstance(value, tuple | list) else (value,):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", name):
            return f"{name!r} is not a Python module name", "write it as you would import it, e.g. acme_monitoring"
    return None


K8S_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _k8s_name(value: Any) -> str | tuple[str, str] | None:
    """A Kubernetes object name (RFC 1123 subdomain, at most 253 characters): it names objects and is matched
    in selectors, so anything else would fail at the API server or break a PromQL string."""
    if len(value) > 253 or not K8S_NAME_RE.match(value):
        return (f"{value!r} is not a Kubernetes object name",
                "lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, e.g. provider-gitea")
    return None


def _not_empty(value: Any) -> str | None:
    return "must not be empty" if not value else None


FIELD_CHECKS: tuple[tuple[str, Check], ...] = (
    ("cluster_label", _label_name),
    ("project_label_name", _label_name),
    ("project_label_value", _selector_value),
    ("alertmanager.inhibit_equal", _label_name),
    ("provider.job", _selector_value),
    ("provider.namespace", _selector_value),
    ("provider.pod_regex", _selector_value),
    ("provider.pod_regex", _regex),
    ("provider.container", _selector_value),
    ("provider.package_name", _k8s_name),
    ("provider.controllers", _not_empty),
    ("provider.replicas", _positive),
    ("provider.controllers", _selector_value),
    ("exporter.job", _selector_value),
    ("resource_state.job", _selector_value),
    ("resource_state.namespace", _selector_value),
    ("resource_state.port_name", _not_empty),
    ("exporter.mode", _exporter_mode),
    ("exporter.interval", _exporter_duration),
    ("exporter.timeout", _exporter_duration),
    ("grafana_min_version", _grafana_version),
    ("extensions", _module_names),
    ("slo.period", _duration(3 * 86400, strictly=False)),  # at least the longest burn-rate window
    ("slo.*.objective", _fraction),
    ("slo.*.latency_seconds", _positive),
    ("*_ratio", _fraction),
    ("*_quantile", _fraction),
    ("*_for", _duration(0, strictly=False)),
    ("*_window", _duration()),
    ("*interval", _duration()),
    ("*timeout", _duration()),
    ("*port", _port),
    ("*_url", _url),
    ("thresholds.*_seconds", _positive),
    ("thresholds.*_days", _positive),
    ("thresholds.*", _not_negative),
)


def _leaves(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            out += _leaves(value, f"{prefix}{f.name}.")
        else:
            out.append((prefix + f.name, value))
    return out


def _check_fields(config: Config, path: str) -> None:
    for key, value in _leaves(config):
        if isinstance(value, str) and re.search(r"[\x00-\x1f]", value):
            raise ConfigError(path, key, f"{shown(value)} contains a control character (a newline?)")
        if isinstance(value, str) and not value and key != "runbook_base_url":
            raise ConfigError(path, key, "must not be empty")
        for pattern, check in FIELD_CHECKS:
            if not fnmatch.fnmatchcase(key, pattern):
                continue
            if value is None or not _applies(check, value):
                continue
            problem = check(value)
            if problem:
                text, fix = problem if isinstance(problem, tuple) else (problem, "")
                raise ConfigError(path, key, text, fix)


def _nearest(value: float, bounds: tuple[float, ...]) -> str:
    below = [b for b in bounds if b < value]
    above = [b for b in bounds if b > value]
    near = ([f"{max(below):g}"] if below else []) + ([f"{min(above):g}"] if above else [])
    return " or ".join(near)


def validate_config(config: Config, path: str = "<config>") -> None:
    """Every field's type range (FIELD_CHECKS), then the checks that relate fields to each other."""
    _check_fields(config, path)
    if duration_seconds(config.rate_window) < 4 * duration_seconds(config.scrape_interval):
        raise ConfigError(path, "rate_window", f"{config.rate_window} spans fewer than 4 scrapes of {config.scrape_interval}",
                          "make it at least 4x scrape_interval")
    e = config.exporter
    if duration_seconds(e.interval) <= duration_seconds(e.timeout):
        raise ConfigError(path, "exporter.interval", f"{e.interval} is not above exporter.timeout ({e.timeout}); "
                          "the exporter refuses to start", "make the interval longer than the timeout")
    if e.port == e.proxy_port and e.mode != "probe":
        raise ConfigError(path, "exporter.proxy_port", f"{e.proxy_port} is also exporter.port",
                          "give the proxy its own port")
    if e.port == config.provider.metrics_port:
        raise ConfigError(path, "exporter.port", f"{e.port} is also provider.metrics_port (the sidecar shares the pod)",
                          "choose another port")
    t = config.thresholds
    if duration_seconds(t.replicas_changed_for) >= duration_seconds(t.change_window):
        raise ConfigError(path, "thresholds.replicas_changed_for",
                          f"{t.replicas_changed_for} is not shorter than thresholds.change_window ({t.change_window}): "
                          "GiteaProviderReplicasChanged could never fire", "make it shorter than change_window")
    if example_pods(config.provider) is None:
        p = config.provider
        raise ConfigError(path, "provider.pod_regex", f"{p.pod_regex!r} matches no pod name like "
                          f"{p.package_name}-1a2b3c4d5e6f-5f7c9d8b7-aaaaa (Crossplane names the pods after "
                          "provider.package_name) nor its own literal prefix followed by a pod suffix",
                          "match the provider's pods, e.g. provider-gitea-.*")
    controllers = config.provider.controllers
    if len(set(controllers)) != len(controllers):
        raise ConfigError(path, "provider.controllers", "lists a controller twice")
    for name in ("reconcile", "gitea_availability"):
        if getattr(config.slo, name).latency_seconds is not None:
            raise ConfigError(path, f"slo.{name}.latency_seconds", "only slo.gitea_latency has a latency threshold",
                              "remove the key")
    latency = config.slo.gitea_latency.latency_seconds
    if latency is None:
        raise ConfigError(path, "slo.gitea_latency.latency_seconds", "required: the latency the SLO counts as good")
    from gitea_provider_monitoring.exporters.gitea_api.metrics import PROBE_DURATION_BUCKETS  # the exporter's, written there

    if not any(math.isclose(latency, b) for b in PROBE_DURATION_BUCKETS):
        raise ConfigError(path, "slo.gitea_latency.latency_seconds",
                          f"{latency:g} is not a bucket boundary of gitea_api_probe_duration_seconds, so its "
                          f'le="{latency:g}" selector would match nothing', f"use {_nearest(latency, PROBE_DURATION_BUCKETS)}")


def config_warnings(config: Config) -> list[str]:
    """Valid but probably unintended settings: the build prints them and goes on."""
    p = config.provider
    out = []
    window = config.thresholds.reconcile_failure_window
    needed = provider_facts.BACKOFF_CAP_SECONDS + provider_facts.POLL_SECONDS
    if duration_seconds(window) < needed:
        out.append(f"thresholds.reconcile_failure_window is {window}, shorter than the provider's back-off cap plus a "
                   f"poll ({needed:g}s): while resources back off, windows can hold no reconcile at all and "
                   "GiteaProviderReconcileFailureRatioHigh's `for` restarts; 30m is the default")
    if p.replicas > 1 and not p.leader_election:
        out.append(f"provider.replicas is {p.replicas} but provider.leader_election is off: every replica would "
                   "reconcile every resource (the provider's --leader-election defaults to false); turn "
                   "provider.leader_election on, or keep one replica")
    return out
