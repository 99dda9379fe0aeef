"""template-syntax (checks/template_syntax.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitea_provider_monitoring.lint.checks.template_syntax import problem
from tests.lint.checks._helpers import GOOD, alert, checks, with_annotations

ID = "template-syntax"


@pytest.mark.parametrize(("text", "says"), [
    ("{{ $labels.controller", "not closed"), ("{{ }}", "empty action"), ('{{ "x }}', "unterminated string"),
    ("{{ (humanize $value }}", "parentheses"), ("{{ if $value }}x", "missing {{ end }}"), ("{{ end }}", "without"),
    ("{{ $labels. }}", "incomplete label reference"),
])
def test_broken(text: str, says: str) -> None:
    assert says in (problem(text) or "")


@pytest.mark.parametrize("text", ["{{ $labels.controller }}", "{{ if gt $value 1.0 }}high{{ end }}", "a }} b",
                                  "{{- $value | humanize -}}"])
def test_fine(text: str) -> None:
    assert problem(text) is None


def test_in_a_rule(tmp_path: Path) -> None:
    assert ID in checks(tmp_path, with_annotations(alert(GOOD), summary="{{ $labels.controller"))
    assert ID not in checks(tmp_path, with_annotations(alert(GOOD), summary="{{ $labels.controller }}"))
