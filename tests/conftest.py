"""Shared fixtures: a fresh build in a temporary directory, the official specs when present, and the
Prometheus / Alertmanager version matrix (`prometheus_tools`, `alertmanager_tools`: one test per version,
ids like `prometheus-3.13.5`)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from gitea_provider_monitoring.check.promtool import FAMILIES, Toolset, toolsets
from gitea_provider_monitoring.check.selftest import render_handwritten
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.testdata import template_values
from gitea_provider_monitoring.render.compiler import build
from tests.sim.openapi import specs_dir

REPO_ROOT = Path(__file__).resolve().parent.parent

# CI (CI=true) draws the same random configs every run, so a red CI is reproducible; elsewhere each run draws
# new ones (26 seeds x 200 configs were run before this landed).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def specs() -> Path:
    found = specs_dir()
    if found is None:
        pytest.skip("official specs not found: set SPECS_DIR or provide ../shared/specs (not shipped with the repo)")
    return found


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default-config build, plus the hand-written promtool cases (templates) rendered beside it."""
    out = tmp_path_factory.mktemp("build") / "build"
    build(Config(), out)
    hand = out / "handwritten"
    hand.mkdir()
    values = template_values(Config())
    for f in sorted((REPO_ROOT / "tests" / "rules").glob("*.yaml")):
        (hand / f.name).write_text(render_handwritten(f.read_text(), values, str(f)))
    return out


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in version.split(".")[:3])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test asking for `prometheus_tools` or `alertmanager_tools` runs once per installed version.

    `@pytest.mark.since("alertmanager", "0.27")` runs it only on versions that have the feature it tests: an
    older version is left out of the matrix (it lacks the feature by design, which is not a skipped check).
    """
    since = {m.args[0]: _release(m.args[1]) for m in metafunc.definition.iter_markers("since")}
    for family in FAMILIES:
        name = f"{family}_tools"
        if name in metafunc.fixturenames:
            installed = toolsets(family)
            if family in since:
                installed = [t for t in installed if _release(t.version) >= since[family]]
            sets: list[Any] = installed or [None]
            metafunc.parametrize(name, sets, ids=[s.id if s else f"{family}-missing" for s in sets],
                                 indirect=True, scope="session")


def _toolset(request: pytest.FixtureRequest) -> Toolset:
    if request.param is None:
        family = request.fixturename.removesuffix("_tools")
        pytest.skip(f"no {FAMILIES[family][0]} found: run `make tools` (make test does)")
    return request.param


@pytest.fixture(scope="session")
def prometheus_tools(request: pytest.FixtureRequest) -> Toolset:
    return _toolset(request)


@pytest.fixture(scope="session")
def alertmanager_tools(request: pytest.FixtureRequest) -> Toolset:
    return _toolset(request)


def go_tools_note() -> str | None:
    """One line when the Go-built versions (Prometheus 3.x, current Alertmanager) are not in the matrix."""
    go_built = list((REPO_ROOT / ".tools").glob("prometheus-*/promtool")) + list(
        (REPO_ROOT / ".tools").glob("alertmanager-*/amtool"))
    if go_built:
        return None
    why = "go is not installed (make tools builds them with Go when it is)" if shutil.which("go") is None \
        else "they are not built yet: run `make tools`"
    return f"Prometheus 3.x and current Alertmanager checks skipped: {why}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Per version: how its tests ended (`-q` hides passing test ids), then the skipped-3.x note if any."""
    versions = [t.id for family in FAMILIES for t in toolsets(family)]
    terminalreporter.write_line(f"versions checked: {', '.join(versions) or 'none'}")
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            ids = [v for v in versions if f"[{v}]" in getattr(report, "nodeid", "")]
            if ids and (report.when == "call" or outcome != "passed"):
                counts.setdefault(ids[0], {}).setdefault(outcome, 0)
                counts[ids[0]][outcome] += 1
    for version in versions:
        if version in counts:
            terminalreporter.write_line(
                f"  {version}: " + ", ".join(f"{n} {outcome}" for outcome, n in counts[version].items()))
    note = go_tools_note()
    if note:
        terminalreporter.write_line(note)


class OldTopLevelNames:
    """Refuses `monitoring`, `alerts`, `dashboards`, `exporters` as top-level modules in the tests' process.

    The repository root is on sys.path (for `tests.`), and its folders still carry those names: a missed rename
    would quietly load a second copy of a module instead of failing. The library is `gitea_provider_monitoring`.
    """

    NAMES = ("monitoring", "alerts", "dashboards", "exporters")

    @classmethod
    def find_spec(cls, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] in cls.NAMES:
            raise ModuleNotFoundError(f"No module named {name!r}: the library is one package, import "
                                      f"gitea_provider_monitoring.… (docs/development.md)", name=name)
        return None


sys.meta_path.insert(0, OldTopLevelNames)
