"""unmatchable-label-value (error): a matcher asks for a label value the metric never has.

The catalog lists the values some labels can take (the provider's controllers from the config, a result's
success/error/requeue/requeue_after, the exporter's endpoints); `controller="gitea"` or
`controller=~"gitea-.*"` matches none of them, so the selector selects nothing. Only labels whose every value
is known are judged (from the built-in catalog or the `values:` of a YAML --catalog; a /metrics dump is a
snapshot and is not used for this). A regex Python cannot read (RE2-only syntax) is given the benefit of
the doubt; Grafana variables are not judged.

Bad:  controller_runtime_reconcile_errors_total{controller=~".*gitea-repo.*"}
Good: controller_runtime_reconcile_errors_total{controller=~"managed/.*"}
Disable: annotation `lint_disable: unmatchable-label-value`.
"""

from __future__ import annotations

from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import ERROR, Check
from gitea_provider_monitoring.lint.checks.impossible_selector import fullmatch
from gitea_provider_monitoring.model.promql import selector

CHECK = Check("unmatchable-label-value", ERROR, "a label value the metric never has selects nothing", "catalog")


def check(a: Analysis, variable_mark: str, emit: Callable[[str, str], None]) -> None:
    for i, node in enumerate(a.flat):
        info = a.info[i]
        if not isinstance(node.expr, pp.VectorSelector) or info is None:
            continue
        sel = selector(node.expr)
        for label, op, value in sel.matchers:
            values = info.values.get(label)
            if variable_mark in value or not values or op not in ("=", "=~"):
                continue
            if op == "=":
                unmatchable = value not in values
            else:
                unmatchable = fullmatch(value, "x") is not None and not any(fullmatch(value, v) for v in values)
            if unmatchable:
                emit(CHECK.id, f'{label}{op}"{value}" matches none of the values {sel.name} has: '
                     f"{', '.join(sorted(values))}")
