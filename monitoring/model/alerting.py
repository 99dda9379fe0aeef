"""Shared shapes for alert definitions, so each alert reads as a table entry."""

from __future__ import annotations

import dataclasses

from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.rules import AlertCase, AlertingRule, Measure, Runbook, _caller


def alert(config: Config, name: str, *, severity: str, expr: str = "", for_: str, summary: str, description: str,
          runbook: Runbook, cases: list[AlertCase], unreachable: str = "", measure: Measure | None = None,
          ) -> AlertingRule:
    """An alerting rule whose runbook_url points at its generated runbook section.

    With a `measure`, `expr` may be omitted: it is the measure over the config's rate window. Every alert
    carries the project label (`part_of="gitea-provider-monitoring"` by default): Alertmanager routes and
    inhibits on it and severity, never on a list of alert names.
    """
    if measure is not None:
        measure = dataclasses.replace(measure, alert=name)  # the measure names its alert: panels pass it alone
        expr = expr or measure.expr("", config.rate_window)
    return AlertingRule(
        alert=name, expr=expr, severity=severity, for_=for_, summary=summary, description=description,
        runbook_url=config.runbook_url(name), runbook=runbook, cases=tuple(cases), source=_caller(2),
        unreachable=unreachable, measure=measure, labels={config.project_label_name: config.project_label_value},
    )


def kubectl_logs(config: Config) -> str:
    p = config.provider
    return (f"Read the provider's logs: `kubectl -n {p.namespace} logs -l pkg.crossplane.io/provider={p.package_name} "
            f"-c {p.container} --prefix --since=30m`.")


def kubectl_pods(config: Config) -> str:
    p = config.provider
    return (f"List the provider's pods and their restarts: `kubectl -n {p.namespace} get pods "
            f"-l pkg.crossplane.io/provider={p.package_name} -o wide`.")
