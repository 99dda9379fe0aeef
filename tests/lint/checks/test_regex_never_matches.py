"""regex-never-matches (checks/regex_never_matches.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import messages, record

ID = "regex-never-matches"


@pytest.mark.parametrize("matcher", ['job=~"gitea$-exporter"', 'job=~"a^b"', 'job=~"x$y|a^b"', 'namespace!~".*"',
                                     'namespace!~"(.*)"'])
def test_never(matcher: str, tmp_path: Path) -> None:
    assert len(messages(tmp_path, ID, record(f"up{{{matcher}}}"))) == 1


@pytest.mark.parametrize("matcher", ['job=~"^gitea-.*$"', 'job=~"a|b"', 'namespace!~"kube-.*"', 'job=~".+"',
                                     'job=~"(a$|b)"', 'job=~"x(?:a|b)"'])
def test_can_match(matcher: str, tmp_path: Path) -> None:
    assert messages(tmp_path, ID, record(f"up{{{matcher}}}")) == []
