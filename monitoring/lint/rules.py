"""Checks on rule groups: syntax of durations and templates, mixtool-style conventions, expressions."""

from __future__ import annotations

import re
from collections.abc import Callable

from gitea_provider_monitoring.lint import exprs
from gitea_provider_monitoring.lint.checks import (
    duplicate_rule,
    for_below_interval,
    sparse_record_read,
    template_missing_label,
    template_value_format,
)
from gitea_provider_monitoring.lint.inputs import RuleSource
from gitea_provider_monitoring.model.config import DURATION_RE
from gitea_provider_monitoring.model.rules import SEVERITIES
from gitea_provider_monitoring.render.validate import ALERT_NAME

# Accepted severities unless --severities says otherwise: ours plus `none`, which kube-prometheus and
# other mixins give the always-firing Watchdog and InfoInhibitor alerts.
DEFAULT_SEVERITIES = (*SEVERITIES, "none")

MAX_GROUP_RULES = 20
DISABLE_ANNOTATION = "lint_disable"  # comma-separated check ids; annotation names must be label names
_ACTION = re.compile(r"{{-?(.*?)-?}}", re.S)
_BLOCK_OPEN = re.compile(r"^\s*(if|range|with|define|block)\b")
_BLOCK_END = re.compile(r"^\s*end\s*$")

Report = Callable[[str, str, str], None]  # (location, check id, message)


def template_problem(text: str) -> str | None:
    """What is wrong with a Go template, roughly as text/template's parser would see it; None when fine."""
    if "{{" in _ACTION.sub("", text):  # a `}}` in plain text is literal text to text/template; `{{` is not
        return "unbalanced {{ }}: an action is not closed"
    depth = 0
    for action in _ACTION.findall(text):
        body = action.strip()
        if not body:
            return "empty action {{ }}"
        if "{{" in body:
            return "nested {{ inside an action"
        if body.count('"') % 2 or body.count("`") % 2:
            return f"unterminated string in {{{{{action}}}}}"
        if body.count("(") != body.count(")"):
            return f"unbalanced parentheses in {{{{{action}}}}}"
        if _BLOCK_OPEN.match(body):
            depth += 1
        elif _BLOCK_END.match(body):
            depth -= 1
            if depth < 0:
                return "{{ end }} without an opening if/range/with"
        elif re.match(r"^\s*\$labels\s*\.\s*$", body) or re.search(r"\$labels\.\s", body):
            return f"incomplete label reference in {{{{{action}}}}}"
    return "missing {{ end }}" if depth else None


def _valid_duration(value: object) -> bool:
    """As Prometheus' model.ParseDuration: units in order, or the bare "0"."""
    return isinstance(value, str) and bool(value) and (value == "0" or bool(DURATION_RE.match(value)))


def check(source: RuleSource, ctx_for: Callable[[bool], exprs.Context], report: Report,
          severities: tuple[str, ...] = DEFAULT_SEVERITIES) -> None:
    seen: dict[tuple, list[tuple[str, str]]] = {}  # (name, labels) -> [(where, expr)]
    if not isinstance(source.groups, list):
        report("", "promql-syntax", "`groups` is not a list")
        return
    sparse = sparse_record_read.sparse_records(source.groups)  # records of groups slower than the lookback delta
    for gi, group in enumerate(source.groups):
        if not isinstance(group, dict):
            continue
        gname = str(group.get("name") or f"group[{gi}]")
        rules = group.get("rules") if isinstance(group.get("rules"), list) else []
        if len(rules) > MAX_GROUP_RULES:
            report(gname, "group-too-large", f"{len(rules)} rules (at most {MAX_GROUP_RULES}); split the group by "
                   "concern")
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
    for field in ("for", "keep_firing_for"):
        if field in rule and not _valid_duration(rule[field]):
            emit("invalid-duration", f"{field}: {rule[field]!r} is not a Prometheus duration (like 5m or 1h30m)")
    for kind, mapping in (("label", labels), ("annotation", annotations)):
        for k, v in mapping.items():
            problem = template_problem(str(v))
            if problem:
                emit("template-syntax", f"{kind} {k}: {problem}")
    if is_alert:
        if not ALERT_NAME.match(name):
            emit("alert-name-case", f"{name!r} is not CamelCase (e.g. GiteaProviderDown)")
        severity = labels.get("severity")
        if severity not in severities:
            emit("severity-label", f"severity {severity!r}; use one of {', '.join(severities)} (or accept it with "
                 "--severities)" if severity else f"no severity label; add severity: {' | '.join(severities)}")
        if not annotations.get("summary"):
            emit("missing-summary", "no summary annotation; add a one-line summary")
        description = annotations.get("description")
        if not description:
            emit("missing-description", "no description annotation; say what is wrong and where, with {{ $labels }}")
        elif "{{" not in str(description):
            emit("missing-description", "the description is not templated; include {{ $labels.x }} or {{ $value }}")
        if not annotations.get("runbook_url"):
            emit("missing-runbook", "no runbook_url annotation; link the runbook for this alert")
    expr = rule.get("expr")
    if expr is None or str(expr).strip() == "":
        emit("promql-syntax", "no expr")
        return
    analysis = exprs.check(str(expr), ctx_for(is_alert), emit)
    sparse_record_read.check(str(expr), gname, index, sparse, emit)
    if is_alert:
        for_below_interval.check(rule.get("for"), interval, emit)
    if is_alert and analysis is not None:
        templates = {f"{kind} {k}": str(v) for kind, mapping in (("label", labels), ("annotation", annotations))
                     for k, v in mapping.items() if k != DISABLE_ANNOTATION}
        template_missing_label.check(analysis, templates, emit)
        template_value_format.check(analysis, templates, emit)
