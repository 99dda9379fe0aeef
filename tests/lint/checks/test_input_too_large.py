"""input-too-large: the limits, checked before parsing (monitoring/lint/checks/input_too_large.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitea_provider_monitoring.model.promql import MAX_EXPR_BYTES, MAX_NESTING, MAX_OPERATORS, size_problem
from tests.lint.checks._helpers import messages, record


@pytest.mark.parametrize(("expr", "over"), [
    ("up" + " + up" * MAX_OPERATORS, False), ("up" + " + up" * (MAX_OPERATORS + 1), True),
    ("(" * MAX_NESTING + "up" + ")" * MAX_NESTING, False), ("(" * (MAX_NESTING + 1) + "up" + ")" * (MAX_NESTING + 1), True),
    ('up{a="' + "+" * (MAX_EXPR_BYTES - 20) + '"}', False), ("u" * (MAX_EXPR_BYTES + 1), True),
    ("-" * (MAX_OPERATORS + 1) + "up", True), ('up{a=~"' + "|" * 5000 + '"}', False),
    ("up # " + "(" * 1000, False),
])
def test_limits(expr: str, over: bool) -> None:
    assert (size_problem(expr) is not None) is over


def test_finding_names_the_limit(tmp_path: Path) -> None:
    (message,) = messages(tmp_path, "input-too-large", record("up" + " + up" * 400))
    assert f"400 operators (at most {MAX_OPERATORS})" in message and "recording rules" in message
