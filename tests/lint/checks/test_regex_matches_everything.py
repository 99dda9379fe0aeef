"""regex-matches-everything (checks/regex_matches_everything.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import messages, record

ID = "regex-matches-everything"


@pytest.mark.parametrize("matcher", ['namespace=~".*"', 'namespace=~"(.*)"', 'namespace=~".*|x"'])
def test_filters_nothing(matcher: str, tmp_path: Path) -> None:
    assert len(messages(tmp_path, ID, record(f'up{{job="a", {matcher}}}'))) == 1


@pytest.mark.parametrize("matcher", ['namespace=~".+"', 'namespace=~"kube-.*"', 'namespace!~".*x"'])
def test_filters(matcher: str, tmp_path: Path) -> None:
    assert messages(tmp_path, ID, record(f'up{{job="a", {matcher}}}')) == []
