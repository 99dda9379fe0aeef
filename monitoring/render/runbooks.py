"""Runbooks generated from the alert definitions: one section per alert, anchored by its name."""

from __future__ import annotations

import re

from gitea_provider_monitoring.model.rules import AlertingRule, RuleFile

HEADER = """# Runbooks: Crossplane Gitea provider

<!-- Generated from the alert definitions in alerts/ by `make docs`. Do not edit by hand. -->

One section per alert. Each names what the alert means, its impact, how to diagnose it (PromQL
and kubectl) and how to mitigate it. Thresholds shown are the defaults of `monitoring/model/config.py`.

"""


def anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    slug = heading.strip().lower()
    slug = re.sub(r"[^\w\- ]", "", slug)
    return slug.replace(" ", "-")


_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def alerts_of(rule_files: list[RuleFile]) -> list[AlertingRule]:
    """Every alert, most severe first, then by name."""
    alerts = [a for rf in rule_files for a in rf.alerts()]
    return sorted(alerts, key=lambda a: (_SEVERITY_ORDER[a.severity], a.alert))


def _extras(alert: AlertingRule) -> list[str]:
    """Labels and annotations added by the definition or the config's overrides (e.g. `team`)."""
    lines = []
    for title, extra in (("Labels", alert.labels), ("Annotations", alert.annotations)):
        if extra:
            lines += [f"**{title}:** " + ", ".join(f"`{k}={v}`" for k, v in sorted(extra.items())), ""]
    return lines


def _section(alert: AlertingRule) -> str:
    rb = alert.runbook
    lines = [
        f"## {alert.alert}",
        "",
        f"**Severity:** {alert.severity} &nbsp; **For:** {alert.for_} &nbsp; **Summary:** {alert.summary}",
        "",
        *_extras(alert),
        "### Meaning",
        "",
        rb.meaning,
        "",
        "### Impact",
        "",
        rb.impact,
        "",
        "### Diagnosis",
        "",
        *[f"{i}. {step}" for i, step in enumerate(rb.diagnosis, 1)],
        "",
        "### Mitigation",
        "",
        *[f"{i}. {step}" for i, step in enumerate(rb.mitigation, 1)],
        "",
        "### Expression",
        "",
        "```promql",
        alert.expr.strip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def render(rule_files: list[RuleFile]) -> str:
    alerts = alerts_of(rule_files)
    toc = ["| Alert | Severity | Summary |", "|---|---|---|"]
    toc += [f"| [{a.alert}](#{anchor(a.alert)}) | {a.severity} | {a.summary} |" for a in alerts]
    return HEADER + "\n".join(toc) + "\n\n" + "\n".join(_section(a) for a in alerts)


def alert_table(rule_files: list[RuleFile]) -> str:
    """The alert list of docs/alerts-and-dashboards.md (beside runbooks.md): name, severity, one line."""
    alerts = alerts_of(rule_files)
    rows = ["| Alert | Severity | What it means |", "|---|---|---|"]
    rows += [f"| [{a.alert}](runbooks.md#{anchor(a.alert)}) | {a.severity} | {a.summary} |" for a in alerts]
    return "\n".join(rows) + "\n"
