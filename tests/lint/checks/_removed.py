"""A pytest plugin (`-p tests.lint.checks._removed`) that runs each tests/lint/checks/test_<id>.py as if check
<id> did not exist: lint_paths leaves its findings out. test_lint.py's
test_each_checks_tests_fail_when_the_check_is_removed uses it to prove every check's tests depend on it."""

from __future__ import annotations

import pytest

from gitea_provider_monitoring import lint
from gitea_provider_monitoring.lint import runner
from gitea_provider_monitoring.lint.findings import CHECKS

_original = runner.lint_paths
_removed: dict[str, str | None] = {"id": None}


def _lint_paths(paths, catalog=None, disabled=None, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    result = _original(paths, catalog, disabled, *args, **kwargs)
    result.findings = [f for f in result.findings if f.check != _removed["id"]]
    return result


runner.lint_paths = _lint_paths  # before the test modules import it
lint.lint_paths = _lint_paths


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):  # noqa: ANN201
    check_id = item.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")
    _removed["id"] = check_id if check_id in CHECKS else None
    yield
    _removed["id"] = None
