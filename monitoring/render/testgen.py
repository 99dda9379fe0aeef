"""Generate `promtool test rules` files from the cases written beside each alert."""

from __future__ import annotations

from gitea_provider_monitoring.exporters.gitea_api.durations import duration_seconds
from gitea_provider_monitoring.model.rules import AlertCase, AlertingRule, RuleFile
from gitea_provider_monitoring.model.templates import render


def expected_alert(rule: AlertingRule, labels: dict[str, str], value: float,
                   samples: tuple[tuple[dict[str, str], float], ...] = ()) -> dict:
    """The exact labels and annotations Prometheus gives one firing instance."""
    return {
        "exp_labels": dict(sorted({**labels, **rule.all_labels}.items())),
        "exp_annotations": {key: render(text, labels, value, samples=samples)
                            for key, text in rule.all_annotations.items()},
    }


def case_test(rule: AlertingRule, case: AlertCase) -> dict:
    verdict = "fires" if case.fires else "stays silent"
    return {
        "name": f"{rule.alert} {verdict}: {case.name}",
        "interval": case.interval,
        "input_series": [{"series": s.series, "values": s.values} for s in case.series],
        "alert_rule_test": [{
            "eval_time": case.eval_time,
            "alertname": rule.alert,
            "exp_alerts": [expected_alert(rule, e.labels, e.value, e.samples) for e in case.expected],
        }],
    }


def test_files(rule_file: RuleFile, rule_file_paths: list[str], evaluation_interval: str) -> dict[str, dict]:
    """promtool test files for the alerts of `rule_file`: file stem -> content.

    Cases whose input interval is longer than the evaluation interval (multi-day SLO histories) go
    to a file of their own evaluated at that interval; evaluating every rule each minute over three
    days of history would take minutes.
    """
    by_interval: dict[str, list[dict]] = {}
    for rule in rule_file.alerts():
        for case in rule.cases:
            step = max(case.interval, evaluation_interval, key=duration_seconds)
            by_interval.setdefault(step, []).append(case_test(rule, case))
    out = {}
    for step, tests in sorted(by_interval.items(), key=lambda kv: duration_seconds(kv[0])):
        stem = rule_file.name if step == evaluation_interval else f"{rule_file.name}.every-{step}"
        out[stem] = {"rule_files": rule_file_paths, "evaluation_interval": step, "tests": tests}
    return out
