"""missing-summary (warning): an alert without a `summary` annotation.

The summary is the one line a pager, a Slack message or an Alertmanager list shows; without it the on-call
sees only the alert name at 3 a.m.

Bad:  annotations: {description: ...}
Good: annotations: {summary: "Gitea provider reconciles fail", description: ...}
Disable: annotation `lint_disable: missing-summary`.
"""

from __future__ import annotations

from collections.abc import Callable

from gitea_provider_monitoring.lint.check import WARNING, Check

CHECK = Check("missing-summary", WARNING, "a notification without a summary says nothing at 3 a.m.", "style")


def check(annotations: dict, emit: Callable[[str, str], None]) -> None:
    if not annotations.get("summary"):
        emit(CHECK.id, "no summary annotation; add a one-line summary")
