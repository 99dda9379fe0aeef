"""Metric types from every source, in order (monitoring/lint/types.py): catalog, --metrics, --prometheus,
the linted recording rules, and Prometheus' naming convention last."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gitea_provider_monitoring.lint import lint_paths
from gitea_provider_monitoring.lint.types import (
    MetricTypes,
    TypeSourceError,
    add_metrics_sample,
    add_prometheus_metadata,
    add_recording_rules,
    read_metrics_sample,
)
from tests.lint.checks._helpers import alert, write

SAMPLE = ("# HELP queue_length Items.\n# TYPE queue_length gauge\nqueue_length 3\n# TYPE jobs counter\njobs_total 5\n"
          "# TYPE latency_seconds histogram\nlatency_seconds_bucket{le=\"1\"} 1\n# TYPE rpc summary\nrpc{quantile=\"0.5\"} 1\n")
METADATA = {"status": "success", "data": {"queue_length": [{"type": "counter"}], "temperature": [{"type": "gauge"}],
                                          "flappy": [{"type": "gauge"}, {"type": "counter"}]}}


@pytest.fixture
def server() -> Iterator[str]:
    """A loopback HTTP server answering /metrics and /api/v1/metadata."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = SAMPLE if self.path == "/metrics" else json.dumps(METADATA) if self.path == "/api/v1/metadata" else None
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write((body or "").encode())

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    thread.join()


def test_metrics_sample_type_lines() -> None:
    types = MetricTypes()
    assert add_metrics_sample(types, SAMPLE) == 4
    assert types.lookup("queue_length") == ("gauge", "metrics")
    assert types.lookup("jobs_total") == ("counter", "metrics") and types.lookup("jobs") == ("counter", "metrics")
    assert types.lookup("latency_seconds_bucket") == ("histogram_bucket", "metrics")
    assert types.lookup("rpc") == ("summary_quantile", "metrics") and types.lookup("rpc_count")[0] == "summary_count"


def test_the_first_source_wins_and_ambiguous_names_are_left_out(server: str) -> None:
    types = MetricTypes()
    add_metrics_sample(types, SAMPLE)
    assert add_prometheus_metadata(types, server) == 3
    assert types.lookup("queue_length") == ("gauge", "metrics")  # --metrics before --prometheus
    assert types.lookup("temperature") == ("gauge", "prometheus")
    assert types.lookup("flappy") is None  # two types in the metadata: no answer


def test_metrics_url_and_errors(server: str, tmp_path: Path) -> None:
    assert "queue_length" in read_metrics_sample(server + "/metrics")
    with pytest.raises(TypeSourceError, match="--metrics .*/nothing: cannot read it"):
        read_metrics_sample(server + "/nothing")
    with pytest.raises(TypeSourceError, match="no-such-file"):
        read_metrics_sample(str(tmp_path / "no-such-file"))
    with pytest.raises(TypeSourceError, match="not JSON"):
        add_prometheus_metadata(MetricTypes(), server + "/metrics#")


def test_credentials_never_appear_in_errors() -> None:
    with pytest.raises(TypeSourceError) as exc:
        add_prometheus_metadata(MetricTypes(), "http://admin:s3cret@127.0.0.1:9/?token=abc")
    assert "s3cret" not in str(exc.value) and "abc" not in str(exc.value)


@pytest.mark.parametrize(("expr", "type_"), [
    ("sum by (job) (x_total)", "counter"), ("rate(x_total[5m])", "gauge"),
    ("sum by (le) (rate(x_bucket[5m]))", "histogram_bucket_rate"),
    ("sum by (le) (rate(other_bucket[5m]))", "histogram_bucket_rate"),
    ("sum by (le) (x_bucket)", "histogram_bucket"), ("x_total > 5", "counter"),
    ("a_total / b_total", "gauge"),
    ("label_replace(x_total, \"a\", \"b\", \"\", \"\")", "counter"), ("vector(1)", None), ("unknown_thing", None),
])
def test_recording_rule_types(expr: str, type_: str | None) -> None:
    types = MetricTypes()
    for name in ("x_total", "a_total", "b_total"):
        types.add(name, "counter", "catalog")
    types.add("x_bucket", "histogram_bucket", "catalog")
    add_recording_rules(types, [("job:x:r", expr)])
    assert (types.lookup("job:x:r") or (None,))[0] == type_


def test_records_of_records_and_the_source_order_in_lint(server: str, tmp_path: Path) -> None:
    rules = [{"record": "job:a:rate5m", "expr": "sum(rate(controller_runtime_reconcile_total[5m]))"},
             {"record": "job:b:max", "expr": "max(job:a:rate5m)"}, alert("rate(job:b:max[5m]) > 0"),
             alert("rate(temperature[5m]) > 0", name="GiteaTemperature")]
    path = write(tmp_path, *rules)
    found = {(f.check, f.message.split(",")[0]) for f in lint_paths([path], prometheus=server).findings
             if "counter" in f.check}
    assert ("rate-on-non-counter", "rate() over job:b:max") in found
    assert ("rate-on-non-counter", "rate() over temperature") in found
    plain = {f.check for f in lint_paths([path]).findings}
    assert "possible-non-counter" in plain  # temperature: only the naming convention without --prometheus
