"""undefined-recording-rule (checks/undefined_recording_rule.py)."""

from __future__ import annotations

from pathlib import Path

from tests.lint.checks._helpers import alert, checks, record

ID = "undefined-recording-rule"


def test_records(tmp_path: Path) -> None:
    assert ID in checks(tmp_path, alert("job:nothing:rate5m > 1"))
    assert ID not in checks(tmp_path, record("sum(up)", "job:thing:sum"), alert("job:thing:sum > 1"))
    assert ID not in checks(tmp_path, alert(":tensorflow:serving:request_count > 1"))  # not a record name
