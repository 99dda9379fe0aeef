"""promql-syntax (error): an expression that does not parse, a rule without `expr`, or `groups` that is not a
list. Prometheus refuses to load such a rule file (and the whole file with it); a panel query that does not
parse shows an error instead of a graph.

Expressions are parsed with promql-parser, the Rust port of Prometheus' own parser. Queries of non-Prometheus
data sources in a dashboard (Loki, Elasticsearch) are not parsed as PromQL; Grafana variables are replaced by
placeholders that parse (`$__rate_interval` by a range, `$var` by a value) first.

Bad:  sum(rate(controller_runtime_reconcile_total[5m])
Good: sum(rate(controller_runtime_reconcile_total[5m]))
Disable: not disableable in a rule (a rule that does not parse cannot be checked at all); --disable promql-syntax.
"""

from __future__ import annotations

from gitea_provider_monitoring.lint.check import ERROR, Check

CHECK = Check("promql-syntax", ERROR, "an expression that does not parse never evaluates", "syntax")


def message(exc: Exception) -> str:
    """The finding's text for a parse error: its first line, as Prometheus would print it."""
    return f"does not parse: {str(exc).splitlines()[0]}"
