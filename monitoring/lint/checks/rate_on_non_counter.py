"""rate-on-non-counter (error): rate(), increase(), irate() or resets() over a series whose type is known
not to be a counter (a gauge, a summary's quantile).

rate() reads every drop of the value as a counter reset and adds the whole previous value back, so a gauge
that goes 10, 9, 10 "increased" by 11. The type is taken from the first source that knows it (lint/types.py):
the catalog, the `# TYPE` lines of `--metrics`, a Prometheus' `/api/v1/metadata` (`--prometheus`), or a
linted recording rule whose expression says it (`sum(rate(x_total[5m]))` records a gauge). A name that no
source knows is left to possible-non-counter (a warning on Prometheus' own naming convention).

Bad:  rate(crossplane_managed_resource_exists[5m])          (a gauge)
Bad:  increase(job:errors:rate5m[1h])                       (a record of a rate: already per second)
Good: deriv(crossplane_managed_resource_exists[5m]), or delta(...) for the change over the window
Disable: annotation `lint_disable: rate-on-non-counter`; dashboard tag `lint-disable:rate-on-non-counter`.
"""

from __future__ import annotations

from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import ERROR, Check
from gitea_provider_monitoring.lint.types import COUNTER_LIKE

CHECK = Check("rate-on-non-counter", ERROR, "rate/increase/irate/resets over a gauge or a summary quantile is "
              "meaningless (every drop counts as a reset)", "types")
FUNCTIONS = {"rate", "increase", "irate", "resets"}


def ranged_selector(a: Analysis, i: int) -> int | None:
    """The vector selector under the range argument of call i (`f(x[5m])`), when there is one."""
    kids = a.kids(i)
    arg = next((k for k in kids if isinstance(a.expr(k), pp.MatrixSelector)), None)
    return a.kids(arg)[0] if arg is not None else None


def check(a: Analysis, emit: Callable[[str, str], None]) -> None:
    for i, node in enumerate(a.flat):
        call = node.expr
        if not isinstance(call, pp.Call) or call.func.name not in FUNCTIONS:
            continue
        vs = ranged_selector(a, i)
        found = a.type_of(vs) if vs is not None else None
        if found and found[0] not in COUNTER_LIKE:
            type_, source = found
            emit(CHECK.id, f"{call.func.name}() over {_name(a, vs)}, a {type_.replace('_', ' ')} (type from {source}): "
                 f"{call.func.name} only makes sense on counters; use delta()/deriv() or the value itself")


def _name(a: Analysis, i: int) -> str:
    from gitea_provider_monitoring.model.promql import selector

    return selector(a.expr(i)).name
