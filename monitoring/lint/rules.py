"""Run the rule checks (checks/<id>.py) on rule groups: per group, per rule, then the rule's expression."""

from __future__ import annotations

from collections.abc import Callable

from gitea_provider_monitoring.lint import exprs
from gitea_provider_monitoring.lint.checks import (
    alert_name_case,
    duplicate_rule,
    for_below_interval,
    group_too_large,
    invalid_duration,
    missing_description,
    missing_runbook,
    missing_summary,
    promql_syntax,
    severity_label,
    sparse_record_read,
    template_missing_label,
    template_syntax,
    template_value_format,
)
from gitea_provider_monitoring.lint.checks.severity_label import DEFAULT_SEVERITIES
from gitea_provider_monitoring.lint.inputs import RuleSource

__all__ = ["DEFAULT_SEVERITIES", "DISABLE_ANNOTATION", "check"]

DISABLE_ANNOTATION = "lint_disable"  # comma-separated check ids; annotation names must be label names

Report = Callable[[str, str, str], None]  # (location, check id, message)


def check(source: RuleSource, ctx_for: Callable[[bool], exprs.Context], report: Report,
          severities: tuple[str, ...] = DEFAULT_SEVERITIES) -> None:
    seen: dict[tuple, list[tuple[str, str]]] = {}  # (name, labels) -> [(where, expr)]
    if not isinstance(source.groups, list):
        report("", promql_syntax.CHECK.id, "`groups` is not a list")
        return
    sparse = sparse_record_read.sparse_records(source.groups)  # records of groups slower than the lookback delta
    for gi, group in enumerate(source.groups):
        if not isinstance(group, dict):
            continue
        gname = str(group.get("name") or f"group[{gi}]")
        rules = group.get("rules") if isinstance(group.get("rules"), list) else []
        group_too_large.check(gname, rules, report)
        for ri, rule in enumerate(rules):
            if isinstance(rule, dict):
                _rule(gname, ri, rule, seen, ctx_for, report, severities, sparse, group.get("interval"))


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _rule(gname: str, index: int, rule: dict, seen: dict, ctx_for: Callable[[bool], exprs.Context],
          report: Report, severities: tuple[str, ...], sparse: sparse_record_read.Sparse, interval: object = None) -> None:
    is_alert = "alert" in rule
    name = str(rule.get("alert") or rule.get("record") or f"rule[{index}]")
    where = f"{gname}/{name}"
    labels = _mapping(rule.get("labels"))
    annotations = _mapping(rule.get("annotations"))
    disabled = {c.strip() for c in str(annotations.get(DISABLE_ANNOTATION, "")).split(",") if c.strip()}

    def emit(check_id: str, message: str) -> None:
        if check_id not in disabled:
            report(where, check_id, message)

    key = (name, tuple(sorted((str(k), str(v)) for k, v in labels.items())))
    duplicate = duplicate_rule.check(key, is_alert, str(rule.get("expr") or ""), where, index, seen,
                                     ctx_for(False).catalog)
    if duplicate:
        emit(duplicate_rule.CHECK.id, duplicate)
    invalid_duration.check(rule, emit)
    templates = {f"{kind} {k}": str(v) for kind, mapping in (("label", labels), ("annotation", annotations))
                 for k, v in mapping.items() if k != DISABLE_ANNOTATION}
    template_syntax.check(templates, emit)
    if is_alert:
        alert_name_case.check(name, emit)
        severity_label.check(labels, severities, emit)
        missing_summary.check(annotations, emit)
        missing_description.check(annotations, emit)
        missing_runbook.check(annotations, emit)
        for_below_interval.check(rule.get("for"), interval, emit)
    expr = rule.get("expr")
    if expr is None or str(expr).strip() == "":
        emit(promql_syntax.CHECK.id, "no expr")
        return
    analysis = exprs.check(str(expr), ctx_for(is_alert), emit)
    sparse_record_read.check(str(expr), gname, index, sparse, emit)
    if is_alert and analysis is not None:
        template_missing_label.check(analysis, templates, emit)
        template_value_format.check(analysis, templates, emit)
