"""unknown-metric (error): a metric name the catalog says is not exposed.

A name nobody exposes selects nothing: the alert never fires, the panel is empty, and nothing says why.
With the built-in catalog, a name is reported when it is in the exporter's own namespace (`gitea_api_`,
every series of which the catalog lists) or one or two edits from a catalog name (a typo: "did you mean");
other programs' metrics are not judged. With `--catalog FILE` (the user's /metrics dump or YAML list) every
unknown name is reported. Recording-rule names are undefined-recording-rule's.

Bad:  gitea_api_upp == 0                 (did you mean gitea_api_up?)
Good: gitea_api_up == 0
Disable: annotation `lint_disable: unknown-metric`; or add the metric to your --catalog.
"""

from __future__ import annotations

from collections.abc import Callable

from gitea_provider_monitoring.lint.catalog import LintCatalog
from gitea_provider_monitoring.lint.check import ERROR, Check

CHECK = Check("unknown-metric", ERROR, "a metric the exporter does not expose selects nothing", "catalog")


def check(name: str, catalog: LintCatalog, emit: Callable[[str, str], None]) -> None:
    if name and name.count(":") != 2 and name not in catalog.series:
        problem = catalog.unknown_problem(name)
        if problem:
            emit(CHECK.id, problem)
