"""duplicate-rule: partitions are fine, overlaps are not (monitoring/lint/checks/duplicate_rule.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitea_provider_monitoring.lint.checks.duplicate_rule import disjoint, first_chars
from tests.lint.checks._helpers import alert, messages, record


def by_result(matcher: str, by: str = "by (result) ") -> dict:
    return record(f"sum {by}(rate(controller_runtime_reconcile_total{{{matcher}}}[5m]))", "result:x:rate5m")


@pytest.mark.parametrize(("a", "b", "expected"), [
    (("=", "a"), ("=", "b"), True), (("=", "a"), ("=", "a"), False), (("=", "a"), ("!=", "a"), True),
    (("=", "200"), ("=~", "2.."), False), (("=", "500"), ("=~", "2.."), True), (("=", "x"), ("!~", "x|y"), True),
    (("=~", "2.."), ("=~", "5.."), True), (("=~", "2.."), ("=~", "2.*"), False), (("=~", "LIST|GET"), ("=~", "POST"), True),
    (("=~", ".*"), ("=~", "2.."), False), (("=~", "(4|5).."), ("=~", "[23].."), True), (("=~", "a+"), ("!~", "a+"), True),
])
def test_disjoint(a: tuple, b: tuple, expected: bool) -> None:
    assert disjoint(a, b) is expected and disjoint(b, a) is expected


def test_first_chars_is_unknown_for_wildcards() -> None:
    assert first_chars("2..") == {"2"} and first_chars(".+") is None and first_chars("[^a]") is None


def test_partitioned_recording_rules_are_not_duplicates(tmp_path: Path) -> None:
    rules = [by_result('result="success"'), by_result('result="error"'), by_result('result=~"requeue.*"')]
    assert messages(tmp_path, "duplicate-rule", *rules) == []


def test_partition_label_must_be_kept(tmp_path: Path) -> None:
    rules = [by_result('result="success"', by=""), by_result('result="error"', by="")]
    assert len(messages(tmp_path, "duplicate-rule", *rules)) == 1


def test_overlapping_matchers_are_duplicates(tmp_path: Path) -> None:
    a, b = by_result('result=~"error|requeue"'), by_result('result=~"requeue.*"')
    assert len(messages(tmp_path, "duplicate-rule", a, b)) == 1


def test_alerts_with_one_name_are_alternatives_unless_repeated(tmp_path: Path) -> None:
    a = alert("sum(controller_runtime_active_workers) == 0")
    b = alert("sum(rate(controller_runtime_reconcile_errors_total[5m])) > 1")
    assert messages(tmp_path, "duplicate-rule", a, b) == []
    assert len(messages(tmp_path, "duplicate-rule", a, dict(a))) == 1
