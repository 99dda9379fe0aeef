"""A dashboard definition: a grafanalib Dashboard plus the name it is emitted under."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gitea_provider_monitoring.model.grafana_model import to_current_model
from gitea_provider_monitoring.model.rules import _caller

# What Grafana substitutes into a query before Prometheus sees it; enough to parse the query offline.
RANGE_VARIABLES = ("__rate_interval", "__interval", "__range")
_RANGE = re.compile(r"\$\{?(__rate_interval|__interval|__range)\b\}?")
RUNBOOK_LINK_PREFIX = "Runbook: "  # the title model/panels.runbook_links gives a panel's link to an alert (validated)
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\[\[([A-Za-z_]\w*)\]\]")


def substitute_variables(expr: str, value: str | Callable[[str], str] = "var",
                         ranges: str | dict[str, str] = "5m") -> str:
    """Replace Grafana variables so the query parses as PromQL (validation, lint, the e2e panel report).

    `ranges`: the duration for $__rate_interval, $__interval and $__range (one, or one per variable);
    `value`: what other variables ($var, ${var}, ${var:fmt}, [[var]]) become, or a function of their name.
    """
    durations = ranges if isinstance(ranges, dict) else dict.fromkeys(RANGE_VARIABLES, ranges)
    expr = _RANGE.sub(lambda m: durations[m.group(1)], expr)
    name_to_value = value if callable(value) else (lambda _name: value)
    return _VARIABLE.sub(lambda m: name_to_value(next(g for g in m.groups() if g)), expr)


@dataclass(frozen=True)
class DashboardDef:
    name: str  # file stem in build/grafana/dashboards/
    model: Any  # grafanalib.core.Dashboard
    source: str = field(default_factory=_caller, compare=False)

    @property
    def uid(self) -> str:
        return self.model.uid

    @property
    def title(self) -> str:
        return self.model.title

    def render(self) -> dict:
        return to_current_model(self.model)


def panel_queries(dashboard: dict) -> list[tuple[str, str]]:
    """(panel title, expr) for every Prometheus query of a rendered dashboard, rows included."""
    out: list[tuple[str, str]] = []

    def visit(panels: list[dict]) -> None:
        for panel in panels:
            for target in panel.get("targets", []):
                if target.get("expr"):
                    out.append((panel.get("title", f"panel {panel.get('id')}"), target["expr"]))
            visit(panel.get("panels", []))

    visit(dashboard.get("panels", []))
    for var in dashboard.get("templating", {}).get("list", []):
        query = var.get("query")
        if var.get("type") == "query" and isinstance(query, dict) and query.get("query"):
            q = query["query"]
            m = re.match(r"^label_values\((.*),\s*[A-Za-z_]+\)$", q)
            if m:
                out.append((f"variable {var['name']}", m.group(1)))
    return out


@dataclass(frozen=True)
class PanelsOn:
    """Panels an extension adds to one of our dashboards, in a row of their own at the bottom.

    `panels`: grafanalib panels (8x8 each), or (panel, width, height) tuples on the 24-column grid.
    """

    dashboard: str  # a dashboard name (file stem), e.g. "overview"
    row: str
    panels: tuple[Any, ...]
    source: str = field(default_factory=_caller, compare=False)
