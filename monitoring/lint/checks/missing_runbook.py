"""missing-runbook (warning): an alert without a `runbook_url` annotation.

The runbook tells the on-call what to check and what to do; Alertmanager templates and Grafana link it
from the notification. Every alert this project ships has one (docs/runbooks.md).

Bad:  annotations: {summary: ..., description: ...}
Good: annotations: {..., runbook_url: "https://example.com/runbooks#giteaproviderdown"}
Disable: annotation `lint_disable: missing-runbook`.
"""

from __future__ import annotations

from collections.abc import Callable

from gitea_provider_monitoring.lint.check import WARNING, Check

CHECK = Check("missing-runbook", WARNING, "every alert needs a runbook_url telling the on-call what to do", "style")


def check(annotations: dict, emit: Callable[[str, str], None]) -> None:
    if not annotations.get("runbook_url"):
        emit(CHECK.id, "no runbook_url annotation; link the runbook for this alert")
