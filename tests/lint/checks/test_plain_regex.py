"""plain-regex (checks/plain_regex.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint.checks._helpers import alert, checks, dash_checks, dashboard, panel

ID = "plain-regex"


@pytest.mark.parametrize(("expr", "bad"), [('up{job=~"provider-gitea"} == 0', True), ('up{job!~"x"} == 0', True),
                                           ('up{job=~"provider-gitea|x"} == 0', False), ('up{job=~""} == 0', False)])
def test_rules(expr: str, bad: bool, tmp_path: Path) -> None:
    assert (ID in checks(tmp_path, alert(expr))) is bad


def test_grafana_variables_are_not_judged(tmp_path: Path) -> None:
    q = 'sum(workqueue_depth{controller=~"$controller"})'
    assert ID not in dash_checks(tmp_path, dashboard(panel(1, targets=[{"refId": "A", "expr": q}])))
