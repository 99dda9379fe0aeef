"""One home for durations (exporters/gitea_api/durations.py) and for the probe histogram's `le` text."""

from __future__ import annotations

import re

import pytest

from gitea_provider_monitoring.alerts.slo import _le_matcher
from gitea_provider_monitoring.exporters.gitea_api import durations
from gitea_provider_monitoring.exporters.gitea_api.metrics import PROBE_DURATION_BUCKETS, le


@pytest.mark.parametrize("seconds", [0, 0.001, 0.5, 1, 1.5, 59, 60, 90, 3600, 5400, 86400, 3 * 86400 + 61])
def test_written_durations_read_back(seconds: float) -> None:
    text = durations.fmt_duration(seconds)
    assert durations.DURATION_RE.match(text) and durations.duration_seconds(text) == pytest.approx(seconds)


def test_prometheus_durations() -> None:
    assert durations.duration_seconds("1h30m") == 5400 and durations.duration_seconds("800ms") == 0.8
    assert durations.fmt_duration(90) == "1m30s" and durations.fmt_duration(1.5) == "1500ms"
    assert durations.is_duration("0") and durations.is_duration("1d2h") and not durations.is_duration("")
    assert not durations.is_duration("2h1d") and not durations.is_duration(5)
    for bad in ("", "0", "5 m", "1.5s", "m"):
        with pytest.raises(ValueError, match="not a Prometheus duration"):
            durations.duration_seconds(bad)


def test_the_exporter_flags_take_one_unit_with_a_fraction() -> None:
    assert durations.flag_seconds("15s") == 15 and durations.flag_seconds("1.5s") == 1.5
    assert durations.flag_seconds("800ms") == 0.8 and durations.flag_seconds("1m") == 60
    for bad in ("1m30s", "1d", "15", ""):
        with pytest.raises(ValueError, match="is not a duration like 15s"):
            durations.flag_seconds(bad)


def test_le_is_written_as_the_exporter_writes_it_and_matched_in_both_forms() -> None:
    from prometheus_client import CollectorRegistry, Histogram, generate_latest

    registry = CollectorRegistry()
    Histogram("h", "h", buckets=PROBE_DURATION_BUCKETS, registry=registry).observe(0.2)
    written = re.findall(r'le="([^"]+)"', generate_latest(registry).decode())
    assert written == [le(b) for b in PROBE_DURATION_BUCKETS] + ["+Inf"]
    assert _le_matcher(1.0) == 'le=~"1|1.0"' and _le_matcher(0.5) == 'le="0.5"'
