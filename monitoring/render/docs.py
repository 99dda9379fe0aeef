"""The committed, generated documentation: docs/runbooks.md, the alert and dashboard tables of
docs/alerts-and-dashboards.md and docs/helm.md's values table."""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path

from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.render import helm, runbooks
from gitea_provider_monitoring.render.compiler import helm_chart, load_model
from gitea_provider_monitoring.render.output import write_file_atomic

RUNBOOKS = "docs/runbooks.md"
TABLES = "docs/alerts-and-dashboards.md"  # its <!-- BEGIN GENERATED: alerts|dashboards --> sections
HELM = "docs/helm.md"


def _section(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- BEGIN GENERATED: {name} -->\n)(.*?)(<!-- END GENERATED: {name} -->)", re.S)


def expected_docs(config: Config, root: Path) -> dict[str, str]:
    """Path -> the text the generated docs should have now (our definitions only, never extensions)."""
    # Every alert a config can switch on has its runbook here: alerts link to this page by anchor, whatever
    # their config. (GiteaProviderNoLeader exists only with provider.leader_election, off by default.)
    every_alert = dataclasses.replace(config, provider=dataclasses.replace(config.provider, leader_election=True))
    model = load_model(dataclasses.replace(every_alert, extensions=(), entry_point_extensions=False))
    out = {RUNBOOKS: runbooks.render(model.rule_files)}
    tables_path = root / TABLES
    if tables_path.exists():
        text = tables_path.read_text()
        sections = {"alerts": runbooks.alert_table(model.rule_files), "dashboards": dashboard_table(model.dashboards)}
        for name, body in sections.items():
            text = _section(name).sub(functools.partial(_replace, body=body), text)
        out[TABLES] = text
    helm_path = root / HELM
    if helm_path.exists():
        table = helm.values_table(helm_chart(model, config))
        out[HELM] = _section("helm-values").sub(functools.partial(_replace, body=table), helm_path.read_text())
    return out


def _replace(match: re.Match, body: str) -> str:
    """A generated section with its markers kept and `body` between them."""
    return match.group(1) + body + match.group(3)


def dashboard_table(dashboards: dict[str, dict]) -> str:
    rows = ["| Dashboard | UID | What it answers |", "|---|---|---|"]
    for name, d in sorted(dashboards.items(), key=lambda kv: kv[1]["title"]):
        rows.append(f"| {d['title']} (`{name}.json`) | `{d['uid']}` | {d.get('description', '')} |")
    return "\n".join(rows) + "\n"


def update_docs(config: Config, root: Path, check: bool = False) -> list[str]:
    """Write (or with check=True only compare) the generated docs; returns the paths that differ."""
    changed = []
    for rel, text in expected_docs(config, root).items():
        path = root / rel
        current = path.read_text() if path.exists() else None
        if current != text:
            changed.append(rel)
            if not check:
                write_file_atomic(path, text)
    return changed
