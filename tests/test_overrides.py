"""An alert's threshold override reaches every place the threshold reaches: the rule, its promtool cases, its
runbook and the panels that draw it. Other alerts (and their panels) keep the global value.

For every field of `thresholds:` and each alert it changes, three models are built: the defaults (B), the field
changed globally (G) and the field changed for that alert alone through `overrides.alerts` (O). O must be G for
the alert and B for everything else: a panel reading the global value instead of the alert's measure shows up
as a panel of O that equals B where G differs.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

import pytest

from gitea_provider_monitoring.model.config import Config, Thresholds, duration_seconds, load_config
from gitea_provider_monitoring.model.overrides import Overrides
from gitea_provider_monitoring.model.rules import AlertingRule
from gitea_provider_monitoring.render.compiler import Model, load_model
from gitea_provider_monitoring.render.runbooks import render as render_runbooks

# Every alert a config can switch on (GiteaProviderNoLeader exists only with leader election), so every field of
# `thresholds:` reaches some alert.
DEFAULTS = dataclasses.replace(Config(), provider=dataclasses.replace(Config().provider, leader_election=True))


def changed_value(value: Any) -> Any:
    """A valid value different from `value` and from every default: durations doubled plus a minute, ratios
    and quantiles halved, counts and seconds doubled plus one."""
    if isinstance(value, str):
        return f"{int(duration_seconds(value) * 2) + 60}s"
    return value / 2 if 0 < value < 1 else value * 2 + 1


def fields() -> list[str]:
    return [f.name for f in dataclasses.fields(Thresholds) if not isinstance(getattr(DEFAULTS.thresholds, f.name), bool)]


@functools.cache
def model(name: str = "", value: Any = None, alert: str = "") -> Model:
    """B (no arguments), G (a field changed globally) or O (changed for `alert` through overrides)."""
    if not name:
        return load_model(DEFAULTS)
    if not alert:
        return load_model(dataclasses.replace(DEFAULTS, thresholds=dataclasses.replace(DEFAULTS.thresholds,
                                                                                      **{name: value})))
    overrides = Overrides.from_config({"alerts": {alert: {"thresholds": {name: value}}}}, "<test>", "overrides")
    return load_model(dataclasses.replace(DEFAULTS, overrides=overrides))


def alerts(m: Model) -> dict[str, AlertingRule]:
    return {a.alert: a for rf in m.rule_files for a in rf.alerts()}


def runbook(m: Model, alert: str) -> str:
    return render_runbooks(m.rule_files).split(f"## {alert}\n", 1)[1].split("\n## ", 1)[0]


def panels(m: Model) -> dict[tuple[str, int], dict]:
    """Every panel by (dashboard, position), rows' nested panels included."""
    out: dict[tuple[str, int], dict] = {}
    for name, dashboard in m.dashboards.items():
        stack = list(dashboard["panels"])
        while stack:
            panel = stack.pop(0)
            out[(name, len([k for k in out if k[0] == name]))] = panel
            stack[:0] = panel.get("panels", [])
    return out


def linked(panel: dict) -> set[str]:
    return {link["title"].removeprefix("Runbook: ") for link in panel.get("links", [])}


def cases() -> list[tuple[str, str]]:
    """(field, alert) for every alert each field of `thresholds:` changes."""
    base = alerts(model())
    out = []
    for name in fields():
        changed = alerts(model(name, changed_value(getattr(DEFAULTS.thresholds, name))))
        out += [(name, a) for a in sorted(base) if changed[a] != base[a]]
    return out


CASES = cases()


def test_every_field_changes_some_alert() -> None:
    assert {name for name, _ in CASES} == set(fields())
    assert len(CASES) > 45


@pytest.mark.parametrize(("name", "alert"), CASES, ids=[f"{a}.{n}" for n, a in CASES])
def test_an_override_reaches_every_place_the_threshold_reaches(name: str, alert: str) -> None:
    value = changed_value(getattr(DEFAULTS.thresholds, name))
    b, g, o = model(), model(name, value), model(name, value, alert)
    rules_b, rules_g, rules_o = alerts(b), alerts(g), alerts(o)
    # The rule (expression, for, text) and its promtool cases are the globally changed ones; others keep theirs.
    assert rules_o[alert] == rules_g[alert] != rules_b[alert]
    assert rules_o[alert].cases == rules_g[alert].cases
    assert {n: r for n, r in rules_o.items() if n != alert} == {n: r for n, r in rules_b.items() if n != alert}
    assert runbook(o, alert) == runbook(g, alert)
    # The panels: each is its default or its globally changed self; those that draw only this alert's values
    # (every changed panel, when no other alert reads the field) are the changed ones.
    others = {n for n in rules_b if n != alert and rules_g[n] != rules_b[n]}
    panels_b, panels_g, panels_o = panels(b), panels(g), panels(o)
    assert panels_o.keys() == panels_b.keys() == panels_g.keys()
    for key, panel in panels_o.items():
        where = f"{key[0]} / {panel.get('title')}"
        assert panel in (panels_b[key], panels_g[key]), f"{where}: neither the default nor the changed panel"
        if panels_b[key] != panels_g[key] and (not others or linked(panel) == {alert}):
            assert panel == panels_g[key], f"{where} draws the global {name}, not {alert}'s override"
        if panels_b[key] != panels_g[key] and others and alert not in linked(panel) and linked(panel) & others:
            assert panel == panels_b[key], f"{where} shows another alert, yet follows {alert}'s override"


def test_the_queue_depth_override_draws_250_on_every_queue_depth_panel(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("overrides: {alerts: {GiteaProviderWorkQueueDepthHigh: {thresholds: {workqueue_depth: 250}}}}\n")
    m = load_model(load_config(path))
    depth = [p for p in panels(m).values() if "queue depth" in p.get("title", "").lower() and p["type"] != "row"]
    assert len(depth) == 3, [p["title"] for p in depth]
    for panel in depth:
        steps = [s["value"] for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"] if s["value"] is not None]
        assert steps == [250], (panel["title"], steps)
