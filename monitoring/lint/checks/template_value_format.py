"""template-value-format (warning): an alert prints `$value` (or `.Value`) unformatted when the expression's
value is a ratio, a rate or a quantile.

Such values are long floats: "error ratio 0.03448275862068966", "latency 0.48750000000000004". Format them:
`{{ $value | humanizePercentage }}` for a 0-1 ratio, `{{ $value | humanize }}` for a rate,
`{{ $value | humanizeDuration }}` for seconds, or `{{ printf "%.2f" $value }}`. The value is taken to be a
ratio or rate when the expression divides two vectors, calls rate/irate/increase/deriv/histogram_quantile, or
reads a record whose operations say so (`job:errors:ratio_rate5m`, `..:histogram_quantile5m`, by the
level:metric:operations convention), outside a lookup (the right of and/unless). pint's alerts/template
reports the rate/irate/deriv part.

Bad:  description: "{{ $value }} of reconciles fail"   (expr: errors / total > 0.05)
Good: description: "{{ $value | humanizePercentage }} of reconciles fail"
Disable: annotation `lint_disable: template-value-format`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.analysis import Analysis
from gitea_provider_monitoring.lint.check import WARNING, Check
from gitea_provider_monitoring.model.promql import selector

CHECK = Check("template-value-format", WARNING, "an unformatted $value of a ratio or rate prints a long float",
              "templates")
_ACTION = re.compile(r"{{-?(.*?)-?}}", re.S)
_VALUE = re.compile(r"(\$value\b|(?<![\w$])\.Value\b)")
FORMATTERS = ("humanize", "printf", "toTime", "query")
FRACTIONAL = {"rate", "irate", "increase", "deriv", "histogram_quantile"}
# The operations part of a level:metric:operations record name that says its value is a ratio, rate or quantile.
RECORDED = re.compile(r"ratio|rate|quantile|deriv|avg|mean")


def raw_value(text: str) -> bool:
    """True when an action prints the value without a formatter."""
    return any(_VALUE.search(body) and not any(f in body for f in FORMATTERS) for body in _ACTION.findall(text))


def fractional(a: Analysis) -> str | None:
    """What makes the expression's value a long float (a division, a rate, ...), or None."""
    for i, node in enumerate(a.flat):
        expr = node.expr
        if a.is_lookup_side(i):
            continue
        if isinstance(expr, pp.VectorSelector):
            name = selector(expr).name
            if name.count(":") == 2 and RECORDED.search(name.rsplit(":", 1)[1]):
                return f"the recorded {name.rsplit(':', 1)[1]}"
        if isinstance(expr, pp.Call) and expr.func.name in FRACTIONAL:
            return f"{expr.func.name}()"
        if isinstance(expr, pp.BinaryExpr) and str(expr.op) == "/" and not any(a.labels[k].scalar for k in a.kids(i)):
            return "a ratio of two series"
    return None


def check(a: Analysis, templates: dict[str, str], emit: Callable[[str, str], None]) -> None:
    shown = [where for where, text in templates.items() if where.startswith("annotation") and raw_value(text)]
    kind = fractional(a) if shown else None
    if kind:
        for where in shown:
            emit(CHECK.id, f"{where} prints $value unformatted, but the value is {kind}: a long float; use "
                 "{{ $value | humanizePercentage }} (0-1 ratios), {{ $value | humanize }} or {{ printf \"%.2f\" $value }}")
