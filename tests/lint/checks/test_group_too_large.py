"""group-too-large (checks/group_too_large.py)."""

from __future__ import annotations

from pathlib import Path

from gitea_provider_monitoring.lint.checks.group_too_large import MAX_GROUP_RULES
from tests.lint.checks._helpers import checks, record

ID = "group-too-large"


def test_group_size(tmp_path: Path) -> None:
    rules = [record("up", f"job:up{i}:sum") for i in range(MAX_GROUP_RULES + 1)]
    assert ID in checks(tmp_path, *rules)
    assert ID not in checks(tmp_path, *rules[:MAX_GROUP_RULES])
