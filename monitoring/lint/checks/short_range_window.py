"""short-range-window (warning): a range shorter than four scrape intervals.

rate() needs two samples in its window and extrapolates from them; with fewer than four a single missed
scrape (a slow target, a restart) empties the window or doubles the result. Four intervals is Grafana's
`$__rate_interval` floor and Prometheus' advice. The interval is `--scrape-interval`, else the config's
(30s): an assumption about the reader's Prometheus, hence a warning. A range below two intervals of a
job whose interval a linted monitor or scrape config states is range-below-two-scrapes, an error.

Bad:  rate(controller_runtime_reconcile_total[1m])     (scraped every 30s)
Good: rate(controller_runtime_reconcile_total[2m]), or $__rate_interval in a panel
Disable: annotation `lint_disable: short-range-window`; `--scrape-interval` for another interval.
"""

from __future__ import annotations

from collections.abc import Callable

import promql_parser as pp

from gitea_provider_monitoring.lint.check import WARNING, Check
from gitea_provider_monitoring.model.promql import selector

CHECK = Check("short-range-window", WARNING, "a range shorter than 4 scrape intervals has too few samples; rate() "
              "gaps", "semantics")


def fmt(seconds: float) -> str:
    return f"{int(seconds // 60)}m" if seconds % 60 == 0 else f"{int(seconds)}s"


def check(ms: pp.MatrixSelector, interval: float, grafana: bool, skip: float, emit: Callable[[str, str], None]) -> None:
    """`skip`: the range Grafana's range variables were replaced by (never reported)."""
    seconds = ms.range.total_seconds()
    if grafana and seconds == skip:
        return
    if seconds < 4 * interval:
        emit(CHECK.id, f"[{pp.display_duration(ms.range)}] over {selector(ms.vector_selector).name} spans fewer than 4 "
             f"scrapes at {interval:g}s; use at least [{fmt(4 * interval)}]" + (" or $__rate_interval" if grafana else ""))
