"""The project's own dashboard schema (monitoring/schemas/): lint's check runs without the official one.

It must agree with Grafana's official schema (../shared/specs, when present) on our dashboards, on
valid variants we do not emit, and on invalid dashboards.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from gitea_provider_monitoring.lint import runner
from gitea_provider_monitoring.lint.runner import OWN_SCHEMA, lint_paths

Mutation = Callable[[dict], None]


def _own() -> jsonschema.Draft7Validator:
    schema = json.loads(OWN_SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.fixture(scope="module")
def official(specs: Path) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads((specs / "grafana-dashboard.schema.json").read_text()))


@pytest.fixture(scope="module")
def ours(built: Path) -> dict[str, dict]:
    return {f.stem: json.loads(f.read_text()) for f in sorted((built / "grafana" / "dashboards").glob("*.json"))}


def _panel(d: dict) -> dict:
    return next(p for p in d["panels"] if p["type"] != "row")


def _row(d: dict) -> dict:
    return next(p for p in d["panels"] if p["type"] == "row")


def _set(path: Callable[[dict], dict], key: str, value: object) -> Mutation:
    return lambda d: path(d).__setitem__(key, value)


def _drop(path: Callable[[dict], dict], key: str) -> Mutation:
    return lambda d: path(d).pop(key)


def _top(d: dict) -> dict:
    return d


def _var(d: dict) -> dict:
    return d["templating"]["list"][-1]


def _defaults(d: dict) -> dict:
    return _panel(d)["fieldConfig"]["defaults"]


INVALID: dict[str, Mutation] = {
    "schemaVersion as a string": _set(_top, "schemaVersion", "42"),
    "no templating": _drop(_top, "templating"),
    "no annotations": _drop(_top, "annotations"),
    "no schemaVersion": _drop(_top, "schemaVersion"),
    "legacy rows key": _set(_top, "rows", []),
    "graphTooltip out of range": _set(_top, "graphTooltip", 3),
    "time without to": lambda d: d["time"].pop("to"),
    "panel without type": _drop(_panel, "type"),
    "panel with an empty type": _set(_panel, "type", ""),
    "legacy panel span": _set(_panel, "span", 12),
    "panel id as a string": _set(_panel, "id", "1"),
    "gridPos wider than the grid": lambda d: _panel(d)["gridPos"].__setitem__("w", 25),
    "gridPos x off the grid": lambda d: _panel(d)["gridPos"].__setitem__("x", 24),
    "gridPos of height 0": lambda d: _panel(d)["gridPos"].__setitem__("h", 0),
    "gridPos without y": lambda d: _panel(d)["gridPos"].pop("y"),
    "row without panels": _drop(_row, "panels"),
    "row without collapsed": _drop(_row, "collapsed"),
    "datasource with an unknown key": lambda d: _panel(d)["datasource"].__setitem__("name", "x"),
    "variable of an unknown type": _set(_var, "type", "bogus"),
    "variable without a name": _drop(_var, "name"),
    "variable refresh out of range": _set(_var, "refresh", 3),
    "variable sort out of range": _set(_var, "sort", 9),
    "variable hide out of range": _set(_var, "hide", 4),
    "threshold step without color": lambda d: _defaults(d)["thresholds"]["steps"][0].pop("color"),
    "threshold value as a string": lambda d: _defaults(d)["thresholds"]["steps"][-1].__setitem__("value", "10"),
    "thresholds mode unknown": lambda d: _defaults(d)["thresholds"].__setitem__("mode", "relative"),
    "fieldConfig without overrides": lambda d: _panel(d)["fieldConfig"].pop("overrides"),
    "field color mode unknown": lambda d: _defaults(d).__setitem__("color", {"mode": "rainbow"}),
    "field default unknown": lambda d: _defaults(d).__setitem__("colour", "red"),
    "value mapping without options": lambda d: _defaults(d).__setitem__("mappings", [{"type": "value"}]),
    "range mapping without to": lambda d: _defaults(d).__setitem__("mappings", [
        {"type": "range", "options": {"from": 0, "result": {"text": "x"}}}]),
    "dashboard link without tooltip": lambda d: d["links"][0].pop("tooltip"),
    "dashboard link of an unknown type": lambda d: d["links"][0].__setitem__("type", "url"),
    "annotation without iconColor": lambda d: d["annotations"]["list"][0].pop("iconColor"),
    "transformation without options": lambda d: _panel(d).__setitem__("transformations", [{"id": "merge"}]),
    "fiscal year month 12": _set(_top, "fiscalYearStartMonth", 12),
}

VALID: dict[str, Mutation] = {
    "id null": _set(_top, "id", None),
    "id as a number": _set(_top, "id", 7),
    "collapsed row holding panels": lambda d: d["panels"].append(
        {"type": "row", "id": 999, "collapsed": True, "title": "More", "gridPos": {"h": 1, "w": 24, "x": 0, "y": 99},
         "panels": [copy.deepcopy(_panel(d))]}),
    "every mapping type": lambda d: _defaults(d).__setitem__("mappings", [
        {"type": "value", "options": {"0": {"text": "down", "color": "red", "index": 0}}},
        {"type": "range", "options": {"from": 0, "to": None, "result": {"text": "up"}}},
        {"type": "regex", "options": {"pattern": "a.*", "result": {"text": "a"}}},
        {"type": "special", "options": {"match": "null", "result": {"text": "none"}}}]),
    "variable with current options": lambda d: _var(d).__setitem__("current", {"text": ["a"], "value": ["a"]}),
    "time picker settings": _set(_top, "timepicker", {"refresh_intervals": ["1m"], "hidden": False}),
    "panel repeat": lambda d: _panel(d).update({"repeat": "pod", "repeatDirection": "v", "maxPerRow": 4}),
}


def _errors(validator: jsonschema.Draft7Validator, d: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:100]}" for e in validator.iter_errors(d)]


def _variant(ours: dict[str, dict], mutate: Mutation) -> dict:
    d = copy.deepcopy(ours["troubleshooting"])
    mutate(d)
    return d


def test_our_dashboards_follow_our_model(ours: dict[str, dict]) -> None:
    own = _own()
    for name, d in ours.items():
        assert not _errors(own, d), name


@pytest.mark.parametrize("case", sorted(INVALID))
def test_our_model_rejects_invalid_dashboards(ours: dict[str, dict], case: str) -> None:
    assert _errors(_own(), _variant(ours, INVALID[case]))


@pytest.mark.parametrize("case", sorted(VALID))
def test_our_model_accepts_valid_variants(ours: dict[str, dict], case: str) -> None:
    assert not _errors(_own(), _variant(ours, VALID[case]))


def test_agrees_with_the_official_schema(ours: dict[str, dict], official: jsonschema.Draft7Validator) -> None:
    """Conformance: same verdict as Grafana's schema on ours, on valid variants and on every invalid one."""
    own = _own()
    for name, d in ours.items():
        assert not _errors(official, d) and not _errors(own, d), name
    for case, mutate in {**VALID, **INVALID}.items():
        d = _variant(ours, mutate)
        assert bool(_errors(official, d)) == bool(_errors(own, d)) == (case in INVALID), case


def test_lint_checks_the_schema_without_the_official_one(tmp_path: Path, ours: dict[str, dict],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "default_dashboard_schema", lambda: None)
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir(), bad.mkdir()
    (good / "d.json").write_text(json.dumps(ours["troubleshooting"]))
    (bad / "d.json").write_text(json.dumps(_variant(ours, INVALID["legacy panel span"])))
    ok = lint_paths([good])
    assert not [f for f in ok.findings if f.check == "dashboard-schema"]
    assert any("project's own dashboard model" in n for n in ok.notes)
    assert [f for f in lint_paths([bad]).findings if f.check == "dashboard-schema"]
