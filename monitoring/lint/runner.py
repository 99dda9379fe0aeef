"""Run every check over the inputs and collect findings."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema

from gitea_provider_monitoring.exporters.gitea_api.durations import duration_seconds
from gitea_provider_monitoring.lint import dashboards, exprs, rules, types
from gitea_provider_monitoring.lint.catalog import LintCatalog, builtin
from gitea_provider_monitoring.lint.checks import dashboard_uid
from gitea_provider_monitoring.lint.findings import CHECKS, ERROR, WARNING, Finding
from gitea_provider_monitoring.lint.inputs import RuleSource, load
from gitea_provider_monitoring.lint.rules import DEFAULT_SEVERITIES
from gitea_provider_monitoring.model.config import Config

SCHEMA_NAME = "grafana-dashboard.schema.json"
# Written by us from Grafana's documented dashboard model; tests/test_dashboard_model.py keeps it in step.
OWN_SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "grafana-dashboard-model.schema.json"


@dataclass
class LintResult:
    findings: list[Finding]
    files: int
    notes: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # files with nothing checkable (exit 2 with --strict)

    @property
    def errors(self) -> int:
        return sum(f.level == ERROR for f in self.findings)


def default_dashboard_schema() -> Path | None:
    """Grafana's dashboard schema from $SPECS_DIR or ../shared/specs, when present (not shipped)."""
    root = Path(__file__).resolve().parents[2]
    for folder in (os.environ.get("SPECS_DIR"), root.parent / "shared" / "specs"):
        if folder and (Path(folder) / SCHEMA_NAME).is_file():
            return Path(folder) / SCHEMA_NAME
    return None


def _schema_validator(path: Path) -> jsonschema.protocols.Validator:
    schema = json.loads(path.read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _records(sources: list[RuleSource]) -> list[tuple[str, str]]:
    """(record, expr) of every recording rule of the inputs."""
    out = []
    for source in sources:
        groups = source.groups if isinstance(source.groups, list) else []
        for group in (g for g in groups if isinstance(g, dict)):
            rules_ = group.get("rules") if isinstance(group.get("rules"), list) else []
            out += [(str(r["record"]), str(r.get("expr") or "")) for r in rules_ if isinstance(r, dict) and r.get("record")]
    return out


def lint_paths(paths: list[Path], catalog: LintCatalog | None = None, disabled: set[str] | None = None,
               scrape_interval: str | None = None, dashboard_schema: Path | None = None,
               severities: tuple[str, ...] | None = None, levels: dict[str, str] | None = None,
               metrics: list[str] | None = None, prometheus: str | None = None) -> LintResult:
    """Lint files and directories. Raises LintInputError (exit 2) for unreadable or unparsable input.
    `severities`: accepted alert severities (default: critical, warning, info, none); `levels`: check id ->
    error|warning, overriding a check's default level. `metrics` (files or URLs of /metrics samples) and
    `prometheus` (a base URL whose /api/v1/metadata is read) add metric types after the catalog's (lint/types.py);
    TypeSourceError (exit 2) when one cannot be read."""
    unknown = sorted((disabled or set()) - set(CHECKS))
    if unknown:
        raise ValueError(f"--disable {', '.join(unknown)}: no such check; `gitea-monitoring lint --list-checks`")
    levels = levels or {}
    bad = sorted(f"{k}={v}" for k, v in levels.items() if k not in CHECKS or v not in (ERROR, WARNING))
    if bad:
        raise ValueError(f"--level {', '.join(bad)}: use CHECK=error or CHECK=warning with a check id from "
                         "--list-checks")
    config = Config()
    inputs = load(paths)
    catalog = catalog or builtin(config)
    catalog.records |= {name for name, _ in _records(inputs.rules)}  # a recording rule defined in any input counts as defined
    notes: list[str] = []
    for where in metrics or []:
        n = types.add_metrics_sample(catalog.types, types.read_metrics_sample(where))
        notes.append(f"types: {n} metric families typed by the # TYPE lines of {types.safe_url(where)}")
    if prometheus:
        n = types.add_prometheus_metadata(catalog.types, prometheus)
        notes.append(f"types: {n} metric names typed by the metadata of {types.safe_url(prometheus)}")
    types.add_recording_rules(catalog.types, _records(inputs.rules))
    interval = duration_seconds(scrape_interval or config.scrape_interval)
    sources = tuple(inputs.sources)
    findings: set[Finding] = set()
    notes += [f"ignored {x}" for x in inputs.ignored]

    targets = inputs.target_labels

    def ctx(is_alert: bool, grafana: bool = False) -> exprs.Context:
        return exprs.Context(catalog, sources, interval, is_alert=is_alert, grafana=grafana,
                             target_labels=frozenset(targets.labels), target_open=targets.open,
                             interval_given=duration_seconds(scrape_interval) if scrape_interval else None)

    for source in inputs.rules:
        prefix = f"{source.where}:" if source.where else ""

        def report(where: str, check_id: str, message: str, prefix: str = prefix, path: str = source.path) -> None:
            findings.add(Finding(path, prefix + where, check_id, message, levels.get(check_id, "")))

        rules.check(source, ctx, report, severities or DEFAULT_SEVERITIES)

    schema_path = dashboard_schema or default_dashboard_schema()
    if schema_path is None and inputs.dashboards:
        schema_path = OWN_SCHEMA  # the project's own description of the model: the check always runs
        notes.append("dashboard-schema: Grafana's official schema not found (--dashboard-schema FILE or SPECS_DIR "
                     f"holding {SCHEMA_NAME}); checked against the project's own dashboard model")
    schema = _schema_validator(schema_path) if schema_path else None
    uids: dict[str, str] = {}
    for source in inputs.dashboards:
        prefix = f"{source.where}:" if source.where else ""

        def dreport(where: str, check_id: str, message: str, prefix: str = prefix, path: str = source.path) -> None:
            findings.add(Finding(path, prefix + where, check_id, message, levels.get(check_id, "")))

        dashboards.check(source, ctx(False, grafana=True), schema, dreport)
        dashboard_uid.check_unique(f'dashboard "{source.dashboard.get("title", "")}"', source.dashboard, uids, dreport)
    result = sorted(f for f in findings if f.check not in (disabled or set()))
    notes += _unchecked_notes(inputs.unchecked)
    return LintResult(result, inputs.files, notes, list(inputs.unchecked))


def _unchecked_notes(unchecked: list[str], listed: int = 3) -> list[str]:
    """One note per file with nothing checkable, or one summary when a directory held many (a build's
    kustomizations and test files): a note per file there is noise."""
    why = "(no rules, dashboards, monitors or scrape configs)"
    if len(unchecked) <= listed:
        return [f"nothing checkable in {p} {why}" for p in unchecked]
    return [f"nothing checkable in {len(unchecked)} files {why}: {', '.join(unchecked[:listed])} and "
            f"{len(unchecked) - listed} more (--strict fails on them)"]
