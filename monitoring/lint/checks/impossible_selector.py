"""impossible-selector (error): matchers on one label that contradict each other, so the selector selects
nothing and the rule never fires.

`name="a", name="b"` asks for a label with two values; `job="x", job!="x"`, `job="x", job=~"y.*"` and
`job="x", job!~"x|y"` are as impossible. (A regex that can match no value at all is regex-never-matches; a
value the catalog says the metric never has is unmatchable-label-value.)

Bad:  workqueue_depth{name="managed/repository", name="managed/user"}
Good: workqueue_depth{name=~"managed/repository|managed/user"}
Disable: annotation `lint_disable: impossible-selector`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import ERROR, Check
from gitea_provider_monitoring.model.promql import selector

CHECK = Check("impossible-selector", ERROR, "matchers that contradict each other select nothing, so the rule never "
              "fires", "semantics")


def fullmatch(pattern: str, value: str) -> bool | None:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return None  # RE2 syntax Python does not read: say nothing


def check(a: Analysis, variable_mark: str, emit: Callable[[str, str], None]) -> None:
    for node in a.flat:
        if not isinstance(node.expr, pp.VectorSelector):
            continue
        sel = selector(node.expr)
        by_label: dict[str, list[tuple[str, str]]] = {}
        for label, op, value in sel.matchers:
            by_label.setdefault(label, []).append((op, value))
        for label, conds in by_label.items():
            if any(variable_mark in v for _, v in conds):
                continue
            equals = {v for op, v in conds if op == "="}
            if len(equals) > 1:
                emit(CHECK.id, f"{sel.name}{{...}} requires {label} to equal both "
                     f"{' and '.join(repr(v) for v in sorted(equals))}")
                continue
            for value in equals:
                for op, other in conds:
                    bad = (op == "!=" and other == value) or (op == "=~" and fullmatch(other, value) is False) or \
                          (op == "!~" and fullmatch(other, value) is True)
                    if bad:
                        emit(CHECK.id, f'{sel.name}{{...}}: {label}="{value}" contradicts {label}{op}"{other}"')
