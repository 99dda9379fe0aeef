"""Runbooks and README sections are generated, committed, and kept in step with the definitions."""

from __future__ import annotations

import re
from pathlib import Path

from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.render.compiler import load_model
from gitea_provider_monitoring.render.docs import update_docs
from gitea_provider_monitoring.render.runbooks import anchor

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_committed_docs_are_up_to_date() -> None:
    changed = update_docs(Config(), REPO_ROOT, check=True)
    assert changed == [], f"out of date: {changed}; run `make docs` and commit"


def test_every_runbook_url_points_at_an_existing_anchor() -> None:
    text = (REPO_ROOT / "docs" / "runbooks.md").read_text()
    anchors = {anchor(h) for h in re.findall(r"^## (.+)$", text, re.M)}
    base = Config().runbook_base_url
    for rf in load_model(Config()).rule_files:
        for alert in rf.alerts():
            url, _, frag = alert.runbook_url.partition("#")
            assert url == base, alert.alert
            assert frag in anchors, f"{alert.alert}: runbook anchor #{frag} does not exist"


def test_runbook_sections_are_complete() -> None:
    text = (REPO_ROOT / "docs" / "runbooks.md").read_text()
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    assert len(sections) >= 25
    for section in sections:
        for part in ("### Meaning", "### Impact", "### Diagnosis", "### Mitigation"):
            assert part in section, section.splitlines()[0]


def test_readme_lists_every_alert() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    for rf in load_model(Config()).rule_files:
        for alert in rf.alerts():
            assert f"[{alert.alert}]" in readme
