"""The short version of bench/lint_recall.py (make bench runs the full one): every defect class injected into
our default build at a few sites, and found at >= 95% of them by the checks of its class."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "lint_recall.py"


@pytest.fixture(scope="module")
def recall():  # noqa: ANN201 (the bench module, loaded from its file)
    spec = importlib.util.spec_from_file_location("lint_recall", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["lint_recall"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_class_is_injected_and_found_on_our_build(recall) -> None:  # noqa: ANN001
    tally = recall.measure_ours(max_sites=1, configs=[None])
    low = {cls: (tally.detected.get(cls, 0), n) for cls, n in tally.injected.items() if tally.detected.get(cls, 0) < 0.95 * n}
    assert set(tally.injected) == set(recall.CLASSES), sorted(set(recall.CLASSES) - set(tally.injected))
    assert low == {}, {cls: tally.missed[cls][:3] for cls in low}


def test_a_missed_mutation_counts_as_missed(recall, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    """The harness itself: with the class's checks silenced, its mutants are counted as missed."""
    real = recall.lint_paths

    def silenced(paths, **kwargs):  # noqa: ANN001, ANN003, ANN202
        result = real(paths, **kwargs)
        result.findings = [f for f in result.findings if f.check != "duplicate-panel-id"]
        return result

    monkeypatch.setattr(recall, "lint_paths", silenced)
    build = tmp_path / "b"
    files = next(recall.our_corpora(build, [None]))[1]
    dashboards = [p for p in files if p.suffix == ".json"][:1]
    tally = recall.Tally()
    recall.run_corpus(dashboards, recall.Kinds(), "30s", tally, max_sites=2, public=False)
    assert tally.injected["duplicate-panel-id"] == 2 and tally.detected["duplicate-panel-id"] == 0
