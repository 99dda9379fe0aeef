"""Load users' definitions: Python modules named by the config or registered as entry points.

An extension is a module (in the user's own package) defining any of these, all optional:

    rules(config)      -> RuleFile | list[RuleFile]        alerts with cases and runbooks, recording rules
    dashboards(config) -> DashboardDef | list[DashboardDef] whole dashboards
    panels(config)     -> list[PanelsOn]                   panels added to our dashboards
    metrics()          -> list[Metric]                     catalog entries for metrics we do not know

Modules come from the config's `extensions:` list, then from installed packages that register one in
the `gitea_monitoring.extensions` entry-point group (unless `entry_point_extensions: false`). What
they return goes through the same validation, test generation, runbooks, routes and lint as ours.
docs/extending.md is the guide; monitoring/api.py is everything an extension needs to import.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

from gitea_provider_monitoring.model.catalog import METRICS, Metric, by_series
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.dashboard import DashboardDef, PanelsOn
from gitea_provider_monitoring.model.errors import ConfigError, DefinitionError
from gitea_provider_monitoring.model.rules import RuleFile

ENTRY_POINT_GROUP = "gitea_monitoring.extensions"
HOOKS = ("rules", "dashboards", "panels", "metrics")


@dataclass(frozen=True)
class Extension:
    name: str  # the module's dotted name
    module: ModuleType
    origin: str  # "config" or "entry point <name>"

    def call(self, hook: str, *args: Any) -> list[Any]:
        """The hook's result as a list ([] when the module does not define it)."""
        fn = getattr(self.module, hook, None)
        if fn is None:
            return []
        result = fn(*args)
        if result is None:
            raise DefinitionError(self.where(hook), hook, "returned None", f"return a list (or one {hook} object)")
        return list(result) if isinstance(result, list | tuple) else [result]

    def where(self, hook: str) -> str:
        return f"{getattr(self.module, '__file__', self.name)} ({hook}() of extension {self.name})"


def _import(name: str, where: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ConfigError(where, name, f"cannot import the extension: {exc}",
                          "install its package (pip install ...) or put it on PYTHONPATH") from None


def load(config: Config, config_path: str = "<config>") -> list[Extension]:
    """Every extension of this build, in a stable order: the config's list, then entry points by name."""
    found: dict[str, Extension] = {}
    for name in config.extensions:
        found.setdefault(name, Extension(name, _import(name, f"{config_path}: extensions"), "config"))
    if config.entry_point_extensions:
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.value not in found:
                module = _import(ep.value, f"entry point {ep.name} ({ENTRY_POINT_GROUP})")
                found[ep.value] = Extension(ep.value, module, f"entry point {ep.name}")
    for ext in found.values():
        if not any(hasattr(ext.module, hook) for hook in HOOKS):
            raise ConfigError(config_path, f"extensions: {ext.name}", "defines none of " + ", ".join(f"{h}()" for h in HOOKS),
                              "see docs/extending.md")
    return list(found.values())


def _typed(ext: Extension, hook: str, items: Iterable[Any], kind: type) -> list[Any]:
    out = list(items)
    for item in out:
        if not isinstance(item, kind):
            raise DefinitionError(ext.where(hook), hook, f"returned a {type(item).__name__}, not a {kind.__name__}",
                                  f"build it with gitea_provider_monitoring.api.{kind.__name__}")
    return out


def rule_files(extensions: list[Extension], config: Config, ours: list[RuleFile]) -> list[RuleFile]:
    names = {rf.name for rf in ours}
    out = []
    for ext in extensions:
        for rf in _typed(ext, "rules", ext.call("rules", config), RuleFile):
            if rf.name in names:
                raise DefinitionError(ext.where("rules"), rf.name, "a rule file of that name exists already",
                                      "give your RuleFile another name, e.g. prefixed with your team")
            names.add(rf.name)
            out.append(rf)
    return out


def dashboards(extensions: list[Extension], config: Config) -> list[DashboardDef]:
    return [d for ext in extensions for d in _typed(ext, "dashboards", ext.call("dashboards", config), DashboardDef)]


def metrics(extensions: list[Extension]) -> dict[str, Metric]:
    """Series name -> metric for every metric the extensions declare; ours cannot be redefined."""
    ours = by_series(METRICS)
    out: dict[str, Metric] = {}
    for ext in extensions:
        for m in _typed(ext, "metrics", ext.call("metrics"), Metric):
            for series in m.series_names():
                if series in ours or series in out:
                    raise DefinitionError(ext.where("metrics"), m.name, f"series {series} is already in the catalog",
                                          "use the catalog's entry instead of declaring it again")
            out.update(by_series([m]))
    return out


def add_panels(extensions: list[Extension], config: Config, defs: list[DashboardDef]) -> list[DashboardDef]:
    """`defs` with the extensions' panels appended to the dashboards they name."""
    from gitea_provider_monitoring.model.panels import Grid  # the layout helper our dashboards use

    by_name = {d.name: d for d in defs}
    for ext in extensions:
        for extra in _typed(ext, "panels", ext.call("panels", config), PanelsOn):
            target = by_name.get(extra.dashboard)
            if target is None:
                raise DefinitionError(extra.source, extra.row, f"no dashboard named {extra.dashboard!r}",
                                      "one of: " + ", ".join(sorted(by_name)))
            existing = list(target.model.panels)
            bottom = max((p.gridPos.y + p.gridPos.h for p in existing if p.gridPos), default=0)
            grid = Grid(y=bottom).row(extra.row)
            for item in extra.panels:
                panel, w, h = item if isinstance(item, tuple) else (item, 8, 8)
                grid.add(panel, w=w, h=h)
            model = replace_panels(target.model, existing + grid.panels)
            by_name[extra.dashboard] = replace(target, model=model)
    return [by_name[d.name] for d in defs]


def replace_panels(model: Any, panels: list[Any]) -> Any:
    """A copy of a grafanalib Dashboard with other panels (grafanalib classes are attrs classes)."""
    import attr

    return attr.evolve(model, panels=panels)
