"""undefined-recording-rule (error): a selector whose name follows the recording-rule convention
`level:metric:operations` but that no linted rule file records.

Such a series exists only while some rule records it; a typo in the name, or a rule file that was not
deployed, leaves the reading rule always empty (an alert that can never fire, a blank panel). Lint all rule
files together (`gitea-monitoring lint rules/ dashboards/`) so each record is seen; the built-in catalog
knows this project's records. Names with exactly two colons are judged (TF Serving's `:a:b:c` metrics are
not records).

Bad:  controller:reconcile_requeues:rate1m > 1      (recorded as controller:reconcile_requeues:rate5m)
Good: controller:reconcile_requeues:rate5m > 1
Disable: annotation `lint_disable: undefined-recording-rule`.
"""

from __future__ import annotations

from collections.abc import Callable

from gitea_provider_monitoring.lint.catalog import LintCatalog
from gitea_provider_monitoring.lint.check import ERROR, Check

CHECK = Check("undefined-recording-rule", ERROR, "a level:metric:operation name that no rule file records is always "
              "empty", "semantics")


def is_record_name(name: str) -> bool:
    return bool(name) and name.count(":") == 2


def check(name: str, catalog: LintCatalog, emit: Callable[[str, str], None]) -> None:
    if is_record_name(name) and name not in catalog.records:
        emit(CHECK.id, f"{name} looks like a recording rule but no rule file given records it; lint the file that "
             "defines it too, or fix the name")
