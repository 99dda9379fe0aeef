"""regex-matches-everything (warning): a `=~".*"` matcher filters nothing.

`label=~".*"` matches every value, including a missing label, so it selects exactly what the selector would
without it: usually a leftover of a template variable whose value was "All", or a filter that was meant to
be `=~".+"` (the label must be present). Grafana variables (`$var`) are not judged.

Bad:  up{job="gitea-api-exporter", namespace=~".*"}
Good: up{job="gitea-api-exporter"}, or namespace=~".+" to require the label
Disable: annotation `lint_disable: regex-matches-everything`.
"""

from __future__ import annotations

from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import WARNING, Check
from gitea_provider_monitoring.lint.checks.regex_never_matches import matches_everything
from gitea_provider_monitoring.model.promql import selector

CHECK = Check("regex-matches-everything", WARNING, "a =~\".*\" matcher selects everything and filters nothing",
              "semantics")


def check(a: Analysis, variable_mark: str, emit: Callable[[str, str], None]) -> None:
    for node in a.flat:
        if not isinstance(node.expr, pp.VectorSelector):
            continue
        sel = selector(node.expr)
        for label, op, value in sel.matchers:
            if op == "=~" and not (variable_mark and variable_mark in value) and matches_everything(value):
                emit(CHECK.id, f'{sel.name}{{{label}=~"{value}"}} matches every value, a missing label too: it '
                     "filters nothing; drop it, or use =~\".+\" to require the label")
