"""Shared by the per-check tests: lint a few rules or documents written to a temporary file."""

from __future__ import annotations

from pathlib import Path

import yaml

from gitea_provider_monitoring.lint import lint_paths

ANN = {"summary": "s", "description": "on {{ $labels.controller }}", "runbook_url": "https://r.example.com/x"}


def alert(expr: str, name: str = "GiteaThing") -> dict:
    return {"alert": name, "expr": expr, "for": "5m", "labels": {"severity": "warning"}, "annotations": dict(ANN)}


def record(expr: str, name: str = "job:thing:rate5m") -> dict:
    return {"record": name, "expr": expr}


def findings(tmp_path: Path, *rules: dict, docs: tuple = ()) -> list:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump_all([{"groups": [{"name": "g", "rules": list(rules)}]}, *docs], width=1 << 20))
    return lint_paths([path]).findings


def messages(tmp_path: Path, check_id: str, *rules: dict, docs: tuple = ()) -> list[str]:
    return [f.message for f in findings(tmp_path, *rules, docs=docs) if f.check == check_id]


def write(tmp_path: Path, *rules: dict, docs: tuple = (), interval: str | None = None) -> Path:
    """A rule file of one group `g` (with `interval` when given) and extra documents; its path."""
    group: dict = {"name": "g", "rules": list(rules)}
    if interval:
        group["interval"] = interval
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump_all([{"groups": [group]}, *docs], width=1 << 20))
    return path


def checks(tmp_path: Path, *rules: dict, docs: tuple = (), **kwargs: object) -> set[str]:
    """The check ids lint reports on a rule file of these rules (and extra documents)."""
    return {f.check for f in lint_paths([write(tmp_path, *rules, docs=docs)], **kwargs).findings}


def with_annotations(rule: dict, **annotations: object) -> dict:
    """A copy of `rule` with annotations set (None removes one)."""
    merged = {**rule["annotations"], **annotations}
    return {**rule, "annotations": {k: v for k, v in merged.items() if v is not None}}


# -- dashboards ---------------------------------------------------------------------------------------
def panel(pid: int, y: int = 0, **extra: object) -> dict:
    return {"id": pid, "type": "timeseries", "title": f"p{pid}", "gridPos": {"x": 0, "y": y, "w": 12, "h": 8},
            "fieldConfig": {"defaults": {"unit": "s"}, "overrides": []},
            "targets": [{"refId": "A", "expr": "sum(rate(controller_runtime_reconcile_total[$__rate_interval]))"}],
            **extra}


def dashboard(*panels: dict, **extra: object) -> dict:
    return {"uid": "u1", "title": "T", "schemaVersion": 42, "annotations": {"list": []},
            "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
            "panels": list(panels), **extra}


def dash_findings(tmp_path: Path, *docs: dict, **kwargs: object) -> list:
    """Findings of lint on these dashboards, each written to its own JSON file in a fresh folder."""
    import json

    folder = tmp_path / f"d{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    for i, doc in enumerate(docs):
        (folder / f"{i}.json").write_text(json.dumps(doc))
    return lint_paths([folder], **kwargs).findings


def dash_checks(tmp_path: Path, *docs: dict, **kwargs: object) -> set[str]:
    return {f.check for f in dash_findings(tmp_path, *docs, **kwargs)}


GOOD = 'sum by (controller) (rate(controller_runtime_reconcile_total{result="error"}[5m])) > 0'
