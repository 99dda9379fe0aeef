"""Shared fixtures: a fresh build in a temporary directory, and the official specs when present."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts._testdata import template_values
from monitoring.compiler import build
from monitoring.config import Config
from monitoring.selftest import render_handwritten
from tests.sim.openapi import specs_dir

REPO_ROOT = Path(__file__).resolve().parent.parent


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
