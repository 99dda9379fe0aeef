"""Runbooks and the alert and dashboard tables of docs/ are generated, committed, and kept in step with the
definitions; the docs site builds with --strict."""

from __future__ import annotations

import re
from pathlib import Path

from markdown.extensions.toc import slugify

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


def test_the_alert_page_lists_every_alert() -> None:
    page = (REPO_ROOT / "docs" / "alerts-and-dashboards.md").read_text()
    for rf in load_model(Config()).rule_files:
        for alert in rf.alerts():
            assert f"[{alert.alert}](runbooks.md#{anchor(alert.alert)})" in page


# ---------------------------------------------------------------------------------------------
# The README is a front door: short, and every link in it leads somewhere (mkdocs checks docs/, not the README)


def test_the_readme_is_a_front_door() -> None:
    lines = (REPO_ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines; put the manual in docs/<topic>.md and link it"


def broken_links(path: Path) -> list[str]:
    """Relative links of a Markdown file whose file or heading anchor does not exist (anchors as mkdocs makes them)."""
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, frag = target.partition("#")
        dest = (path.parent / file).resolve() if file else path
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif frag and dest.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", dest.read_text(), flags=re.S), re.M)
            if frag not in {slugify(h, "-") for h in headings}:
                broken.append(f"{target}: no heading #{frag} in {dest.name}")
    return broken


def test_every_link_of_the_readme_resolves(tmp_path: Path) -> None:
    assert broken_links(REPO_ROOT / "README.md") == []
    # The check can fail: a missing page and a missing heading.
    (tmp_path / "a.md").write_text("# A\n\n## Set-up\n")
    (tmp_path / "README.md").write_text("[x](a.md#set-up) [y](b.md) [z](a.md#nope) [w](https://example.com)\n")
    assert len(broken_links(tmp_path / "README.md")) == 2
