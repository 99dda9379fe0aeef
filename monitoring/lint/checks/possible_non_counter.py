"""possible-non-counter (warning): rate(), increase(), irate() or resets() over a metric that no type source
knows and whose name is not a counter's by Prometheus' own convention.

Prometheus 3 annotates such a query at run time with PossibleNonCounterInfo ("metric might not be a counter,
name does not end in _total/_sum/_count/_bucket", promql/engine.go); lint says it before the rule ships.
Prometheus applies the rule to rate() and increase(); lint applies it to irate() and resets() too (the
same mistake). It is a guess from the name, so it is a warning: the type sources settle it. With `--metrics FILE|URL` (the
`# TYPE` lines of a scrape) or `--prometheus URL` (its /api/v1/metadata) a counter is accepted and a gauge
becomes an rate-on-non-counter error. Recording rules (names with a colon) are not guessed at: lint the file
that records them and their type follows from their expression.

Bad:  rate(node_memory_Active_bytes[5m])          (a gauge)
Good: deriv(node_memory_Active_bytes[5m]); or, for a real counter named without _total,
      `gitea-monitoring lint --metrics http://exporter:9100/metrics FILE`
Disable: annotation `lint_disable: possible-non-counter`.
"""

from __future__ import annotations

from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import WARNING, Check
from gitea_provider_monitoring.lint.checks.rate_on_non_counter import ranged_selector
from gitea_provider_monitoring.lint.types import SETTLE, by_convention_not_counter
from gitea_provider_monitoring.model.promql import selector

CHECK = Check("possible-non-counter", WARNING, "rate/increase/irate/resets over a name that is not a counter's by Prometheus' "
              "convention (_total/_sum/_count/_bucket), with no type source to settle it", "types")
FUNCTIONS = {"rate", "increase", "irate", "resets"}  # Prometheus annotates the first two; the mistake is the same


def check(a: Analysis, emit: Callable[[str, str], None]) -> None:
    for i, node in enumerate(a.flat):
        call = node.expr
        if not isinstance(call, pp.Call) or call.func.name not in FUNCTIONS:
            continue
        vs = ranged_selector(a, i)
        if vs is None or a.type_of(vs) is not None or a.catalog.types.known.get(selector(a.expr(vs)).name):
            continue
        name = selector(a.expr(vs)).name
        if by_convention_not_counter(name):
            emit(CHECK.id, f"{call.func.name}() over {name}, whose name does not end in _total/_sum/_count/_bucket "
                 f"(Prometheus' PossibleNonCounterInfo); no type source knows it: {SETTLE} settles it")
