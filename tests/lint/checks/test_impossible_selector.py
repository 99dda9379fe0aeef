"""impossible-selector (checks/impossible_selector.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import alert, checks

ID = "impossible-selector"


@pytest.mark.parametrize(("matchers", "bad"), [
    ('name="a", name="b"', True), ('name="a", name!="a"', True), ('name="a", name=~"b.*"', True),
    ('name="a", name!~"a|b"', True), ('name="managed/user", controller!="x"', False), ('name="a", name=~"a|b"', False),
])
def test_matchers(matchers: str, bad: bool, tmp_path: Path) -> None:
    assert (ID in checks(tmp_path, alert(f"workqueue_depth{{{matchers}}} > 1"))) is bad
