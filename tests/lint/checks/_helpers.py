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
