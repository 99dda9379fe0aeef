"""Bring grafanalib 0.7.1 output to Grafana's current dashboard model (schemaVersion 42).

grafanalib emits schemaVersion 12 with legacy keys (`rows`, `style`, `hideControls`,
`sharedCrosshair`, per-target `step`/`intervalFactor`, ...) and many explicit nulls that Grafana 12's
dashboard schema rejects. This is the one place that knows about those differences.
"""

from __future__ import annotations

import json
from typing import Any

from grafanalib._gen import DashboardEncoder

from gitea_provider_monitoring.model.errors import ConfigError

SCHEMA_VERSION = 42  # the model this module writes (Grafana 12.1+)
# The schemaVersion each Grafana release knows: a dashboard may not claim a newer one than the oldest
# Grafana it must load in. Grafana migrates older versions up on load (DashboardMigrator; 12.x backend:
# apps/dashboard/pkg/migration/schemaversion, LATEST_VERSION 42), and our JSON already has the v42 shape,
# so claiming an older version only lets that older Grafana take it as its own.
SCHEMA_VERSIONS = {"10.4": 39, "11.0": 39, "12.0": 41, "12.1": 42}
DATASOURCE_VARIABLE = "datasource"
DATASOURCE_REF = {"type": "prometheus", "uid": f"${{{DATASOURCE_VARIABLE}}}"}

_LEGACY_DASHBOARD_KEYS = {"rows", "style", "hideControls", "sharedCrosshair", "__inputs", "gnetId"}
_LEGACY_PANEL_KEYS = {"editable", "error", "height", "minSpan", "span", "cacheTimeout", "repeatDirection",
                      "maxDataPoints"}  # grafanalib pins 100 points; let Grafana size it
# Angular-era options grafanalib still writes at panel level for these types.
_LEGACY_BY_TYPE = {
    "heatmap": {"cards", "color", "dataFormat", "heatmap", "hideZeroBuckets", "highlightCards", "legend",
                "reverseYBuckets", "tooltip", "xAxis", "yAxis", "xBucketNumber", "xBucketSize", "yBucketBound",
                "yBucketNumber", "yBucketSize"},
    "table": {"color", "columns", "fontSize", "mappings", "styles", "sort"},
}
# grafanalib's gauge writes reduce options into fieldConfig, where Grafana 12 does not take them.
_LEGACY_FIELD_DEFAULTS = {"calcs", "override", "values", "limit"}
_LEGACY_TARGET_KEYS = {"step", "intervalFactor", "metric", "target", "query", "format"}
_LEGACY_VARIABLE_KEYS = {"tags", "tagsQuery", "tagValuesQuery", "useTags"}
_LEGACY_TIMEPICKER_KEYS = {"time_options"}


def _drop_nulls(value: Any) -> Any:
    """Remove grafanalib's explicit nulls; a threshold's base step keeps its `value: null`."""
    if isinstance(value, dict):
        is_step = set(value) == {"color", "value"}
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None or (is_step and k == "value")}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _target(target: dict, index: int) -> dict:
    out = {k: v for k, v in target.items() if k not in _LEGACY_TARGET_KEYS}
    if target.get("format") in ("heatmap", "table"):
        out["format"] = target["format"]
    out["datasource"] = dict(DATASOURCE_REF)
    out["refId"] = out.get("refId") or chr(ord("A") + index)
    if not out.get("hide"):
        out.pop("hide", None)
    if not out.get("interval"):
        out.pop("interval", None)
    out.setdefault("range", not out.get("instant", False))
    return out


def _field_config(fc: dict) -> dict:
    fc = {k: v for k, v in fc.items() if k in ("defaults", "overrides")}
    defaults = {k: v for k, v in fc.get("defaults", {}).items() if k not in _LEGACY_FIELD_DEFAULTS}
    fc["defaults"] = defaults
    thresholds = defaults.get("thresholds")
    if isinstance(thresholds, dict) and not isinstance(thresholds.get("steps"), list):
        thresholds["steps"] = []  # grafanalib's Stat emits steps: ""
    fc.setdefault("overrides", [])
    return fc


def _panel(panel: dict, ids: list[int]) -> dict:
    ids[0] += 1
    legacy = _LEGACY_PANEL_KEYS | _LEGACY_BY_TYPE.get(panel.get("type", ""), set())
    out = {k: v for k, v in panel.items() if k not in legacy}
    out["id"] = ids[0]
    if out.get("type") == "row":
        out["panels"] = [_panel(p, ids) for p in out.get("panels", [])]
        out.setdefault("collapsed", False)
        for key in ("targets", "fieldConfig", "options", "transformations", "links", "description",
                    "hideTimeOverride", "interval", "maxDataPoints", "transparent", "timeFrom", "timeShift",
                    "maxPerRow", "repeat"):
            out.pop(key, None)
        return out
    out["datasource"] = dict(DATASOURCE_REF)
    out["targets"] = [_target(t, i) for i, t in enumerate(out.get("targets", []))]
    if "fieldConfig" in out:
        out["fieldConfig"] = _field_config(out["fieldConfig"])
    if not out.get("repeat"):
        out.pop("repeat", None)
        out.pop("maxPerRow", None)
    return out


def _variable(var: dict) -> dict:
    out = {k: v for k, v in var.items() if k not in _LEGACY_VARIABLE_KEYS}
    if out.get("type") != "interval":
        for key in ("auto", "auto_count", "auto_min"):
            out.pop(key, None)
    if out.get("type") in ("query",):
        out["datasource"] = dict(DATASOURCE_REF)
    current = out.get("current")
    if isinstance(current, dict):
        out["current"] = {k: v for k, v in current.items() if k in ("selected", "text", "value")}
        if "text" not in out["current"] or "value" not in out["current"]:
            out.pop("current")
    return out


def to_current_model(grafanalib_dashboard: Any) -> dict:
    """grafanalib Dashboard -> dict in Grafana's schemaVersion 42 model."""
    raw = json.loads(json.dumps(grafanalib_dashboard.to_json_data(), cls=DashboardEncoder))
    return convert_dict(raw)


def convert_dict(raw: dict) -> dict:
    data = _drop_nulls(raw)
    shared = data.pop("sharedCrosshair", False)
    out = {k: v for k, v in data.items() if k not in _LEGACY_DASHBOARD_KEYS}
    out["schemaVersion"] = SCHEMA_VERSION
    out["id"] = None
    if shared and not out.get("graphTooltip"):
        out["graphTooltip"] = 1
    ids = [0]
    out["panels"] = [_panel(p, ids) for p in out.get("panels", [])]
    templating = out.setdefault("templating", {"list": []})
    templating["list"] = [_variable(v) for v in templating.get("list", [])]
    timepicker = out.get("timepicker")
    if isinstance(timepicker, dict):
        out["timepicker"] = {k: v for k, v in timepicker.items() if k not in _LEGACY_TIMEPICKER_KEYS}
    out.setdefault("annotations", {"list": []})
    return out


def schema_version_for(min_grafana: str) -> int:
    """The schemaVersion to emit for the oldest Grafana the dashboards must load in."""
    try:
        return SCHEMA_VERSIONS[min_grafana]
    except KeyError:
        raise ConfigError("config", "grafana_min_version", f"unknown Grafana version {str(min_grafana)[:20]!r}",
                          "use one of " + ", ".join(SCHEMA_VERSIONS)) from None


def for_grafana(dashboard: dict, min_grafana: str) -> dict:
    """The dashboard with the schemaVersion of `min_grafana` (the rest of the model is the same)."""
    return {**dashboard, "schemaVersion": schema_version_for(min_grafana)}
