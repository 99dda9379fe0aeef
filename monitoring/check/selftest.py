"""Prove a build before it is deployed: lint it, `promtool check rules`, and run every promtool test.

The tests are the generated ones in the build's tests/ directory plus the hand-written templates of
tests/rules/ (rendered with the config's labels and timing). `gitea-monitoring test` and the config
matrix of `make test` both run this.
"""

from __future__ import annotations

import string
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from gitea_provider_monitoring.check import promtool
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.errors import MonitoringError

REPO_ROOT = promtool.REPO_ROOT
HANDWRITTEN_DIR = REPO_ROOT / "tests" / "rules"  # present in a checkout, not in an installed package


@dataclass
class Report:
    """What was proven: test files and cases that ran, and promtool's message for each failure."""

    files: int = 0
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    lint_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.lint_errors


def render_handwritten(template: str, values: dict[str, str], name: str) -> str:
    """Substitute ${placeholders} of a hand-written test; an unknown one is an error naming the file."""
    try:
        return string.Template(template).substitute(values)
    except (KeyError, ValueError) as exc:
        raise MonitoringError(f"{name}: unknown placeholder {exc} (known: cluster_label, provider_job, exporter_job, "
                              "namespace, step, evaluation_interval, at0 .. at1000)") from None


def add_handwritten(build_dir: Path, values: dict[str, str], source: Path = HANDWRITTEN_DIR) -> list[Path]:
    """Render the hand-written templates into build_dir/tests/handwritten-*.test.yaml."""
    out = []
    for template in sorted(source.glob("*.yaml")) if source.is_dir() else []:
        target = build_dir / "tests" / f"handwritten-{template.name.removesuffix('.yaml').removesuffix('.test')}.test.yaml"
        target.write_text(render_handwritten(template.read_text(), values, str(template)))
        out.append(target)
    return out


def test_files(build_dir: Path) -> list[Path]:
    return sorted((build_dir / "tests").glob("*.test.yaml"))


def count_cases(path: Path) -> int:
    return len((yaml.safe_load(path.read_text()) or {}).get("tests") or [])


def run_tests(files: list[Path], jobs: int = 2) -> Report:
    """promtool test rules on each file, `jobs` at a time (promtool uses one core per file)."""
    def one(path: Path) -> str | None:
        try:
            promtool.test_rules(path.name, cwd=path.parent)
        except promtool.PromtoolError as exc:
            return f"{path}: {exc.output}"
        return None

    report = Report(files=len(files), cases=sum(count_cases(f) for f in files))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        report.failures = [r for r in pool.map(one, files) if r]
    return report


def lint(build_dir: Path, config: Config) -> list[str]:
    """Error-level lint findings of the build, against the config's labels and scrape interval."""
    from gitea_provider_monitoring.lint import lint_paths
    from gitea_provider_monitoring.lint.catalog import builtin

    result = lint_paths([build_dir], builtin(config), set(), config.scrape_interval, None)
    return sorted(f.text() for f in result.findings if f.level == "error")


def prove(build_dir: Path, config: Config, jobs: int = 2, handwritten: Path | None = HANDWRITTEN_DIR,
          with_lint: bool = True) -> Report:
    """Lint, check and test an existing build of `config`."""
    from gitea_provider_monitoring.model.testdata import template_values

    rules = sorted((build_dir / "prometheus" / "rules").glob("*.yaml"))
    if not rules:
        raise MonitoringError(f"{build_dir}: no rule files under prometheus/rules/ (is it a build directory?)")
    promtool.check_rules(*rules)
    if handwritten is not None:
        add_handwritten(build_dir, template_values(config), handwritten)
    report = run_tests(test_files(build_dir), jobs)
    if with_lint:
        report.lint_errors = lint(build_dir, config)
    return report
