"""plain-regex (warning): a regex matcher (`=~`, `!~`) whose value has no regex characters.

`job=~"provider-gitea"` is an exact match written the slow way: Prometheus compiles and runs a regex
per series, and a reader wonders what else it was meant to match. Write `job="provider-gitea"`. Grafana
variables (`=~"$namespace"`) are not judged: their values may be lists.

Bad:  up{job=~"provider-gitea"}
Good: up{job="provider-gitea"}, or up{job=~"provider-gitea|gitea-api-exporter"}
Disable: annotation `lint_disable: plain-regex`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import WARNING, Check
from gitea_provider_monitoring.model.promql import selector

CHECK = Check("plain-regex", WARNING, "=~ with a plain string is an exact match written the slow, confusing way",
              "semantics")
_REGEX_META = re.compile(r"[.*+?()\[\]{}|^$\\]")


def check(a: Analysis, variable_mark: str, emit: Callable[[str, str], None]) -> None:
    for node in a.flat:
        if not isinstance(node.expr, pp.VectorSelector):
            continue
        for label, op, value in selector(node.expr).matchers:
            if op in ("=~", "!~") and value and variable_mark not in value and not _REGEX_META.search(value):
                exact = "=" if op == "=~" else "!="
                emit(CHECK.id, f'{label}{op}"{value}" has no regex characters; use {label}{exact}"{value}"')
