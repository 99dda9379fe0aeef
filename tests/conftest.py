"""Shared fixtures: a fresh build in a temporary directory, and the official specs when present."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from monitoring.compiler import build
from monitoring.config import Config
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
    """The default-config build, plus the hand-written promtool cases copied beside it."""
    out = tmp_path_factory.mktemp("build") / "build"
    build(Config(), out)
    hand = out / "handwritten"
    hand.mkdir()
    for f in sorted((REPO_ROOT / "tests" / "rules").glob("*.yaml")):
        shutil.copy(f, hand / f.name)
    return out
