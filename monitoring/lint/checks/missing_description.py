"""missing-description (warning): an alert without a `description`, or with one that has no template.

The description says what is wrong and where: which controller, which namespace, how far over the
threshold. A text without `{{ $labels.x }}` or `{{ $value }}` says the same for every series that fires.

Bad:  description: "it is broken"
Good: description: "{{ $labels.controller }} fails {{ $value | humanizePercentage }} of its reconciles"
Disable: annotation `lint_disable: missing-description`.
"""

from __future__ import annotations

from collections.abc import Callable

from gitea_provider_monitoring.lint.check import WARNING, Check

CHECK = Check("missing-description", WARNING, "the description should say what is wrong, with label values", "style")


def check(annotations: dict, emit: Callable[[str, str], None]) -> None:
    description = annotations.get("description")
    if not description:
        emit(CHECK.id, "no description annotation; say what is wrong and where, with {{ $labels }}")
    elif "{{" not in str(description):
        emit(CHECK.id, "the description is not templated; include {{ $labels.x }} or {{ $value }}")
