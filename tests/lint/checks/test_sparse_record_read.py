"""sparse-record-read: a record of a group slower than the lookback delta read instantly
(checks/sparse_record_read.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gitea_provider_monitoring.lint import lint_paths
from tests.lint.checks._helpers import alert, record

HOURLY = "job:errors:ratio_rate1h_hourly"


def _messages(tmp_path: Path, reader: dict, interval: str = "1h", same_group: str = "") -> list[str]:
    """`reader` in a group of its own, or (same_group "after"/"before") in the recording group."""
    slow = {"name": "slow", "interval": interval, "rules": [record("avg_over_time(job:errors:ratio_rate5m[1h])", HOURLY)]}
    if same_group:
        slow["rules"].insert(len(slow["rules"]) if same_group == "after" else 0, reader)
        groups = [slow]
    else:
        groups = [slow, {"name": "fast", "rules": [reader]}]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}, width=1 << 20))
    return [f.message for f in lint_paths([path]).findings if f.check == "sparse-record-read"]


@pytest.mark.parametrize("expr", [
    f"{HOURLY} > 0.01", f"sum({HOURLY})", f"avg_over_time({HOURLY}[1d:5m])", f"max_over_time({HOURLY}[30m])",
])
def test_instant_or_short_reads_are_reported(expr: str, tmp_path: Path) -> None:
    found = _messages(tmp_path, alert(expr))
    assert len(found) == 1 and "'slow'" in found[0] and "1h" in found[0], found


@pytest.mark.parametrize("expr", [
    f"avg_over_time({HOURLY}[1d]) > 0.01", f"last_over_time({HOURLY}[1h5m]) > 0.01", f"max_over_time({HOURLY}[1h]) > 0",
])
def test_ranges_covering_the_interval_pass(expr: str, tmp_path: Path) -> None:
    assert _messages(tmp_path, alert(expr)) == []


def test_later_rules_of_the_same_group_and_frequent_groups_pass(tmp_path: Path) -> None:
    assert _messages(tmp_path, record(f"{HOURLY} * 2", "job:errors:double"), same_group="after") == []
    assert _messages(tmp_path, alert(f"{HOURLY} > 0.01"), interval="5m") == []  # within the lookback delta


def test_an_earlier_rule_of_the_same_group_reads_the_last_evaluation(tmp_path: Path) -> None:
    assert len(_messages(tmp_path, record(f"{HOURLY} * 2", "job:errors:double"), same_group="before")) == 1


def test_the_suggested_range_is_a_valid_duration(tmp_path: Path) -> None:
    (found,) = _messages(tmp_path, alert(f"{HOURLY} > 0.01"), interval="30m")
    assert "last_over_time(...[35m])" in found, found


def test_an_empty_or_invalid_interval_is_not_a_crash(tmp_path: Path) -> None:
    for interval in ("", "soon", "1x"):
        assert _messages(tmp_path, alert(f"{HOURLY} > 0.01"), interval=interval) == []


def test_disable_annotation(tmp_path: Path) -> None:
    rule = alert(f"{HOURLY} > 0.01")
    rule["annotations"]["lint_disable"] = "sparse-record-read"
    assert _messages(tmp_path, rule) == []
