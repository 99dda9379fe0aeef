"""The released package works outside a checkout: sdist and wheel installed into a fresh virtualenv.

`python -m build` makes the sdist, then the wheel from that sdist (so a file missing from the sdist
fails here). Both are installed into a new virtualenv; `gitea-monitoring build` and `lint` then run
from an empty directory, and an extension package installed beside them is found by its entry point.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gitea_provider_monitoring import __version__

ROOT = Path(__file__).resolve().parent.parent
DIST_NAME = "gitea_provider_monitoring"


def run(*args: str | Path, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SPECS_DIR", "VIRTUAL_ENV")}
    out = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{' '.join(map(str, args))} exited {out.returncode}:\n{out.stdout}\n{out.stderr}"
    return out


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, ROOT, cwd=ROOT)
    return out


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("venv") / "venv"
    run(sys.executable, "-m", "venv", path, cwd=path.parent)
    return path / "bin"


# The repository's folders and the package each becomes in the wheel (through the links under src/).
FOLDERS = {"monitoring": DIST_NAME, "alerts": f"{DIST_NAME}/alerts", "dashboards": f"{DIST_NAME}/dashboards",
           "exporters": f"{DIST_NAME}/exporters"}


def top_level_packages(names: list[str]) -> set[str]:
    """The import packages a wheel installs: its top-level folders, without the .dist-info."""
    return {n.split("/", 1)[0] for n in names if "/" in n and not n.split("/", 1)[0].endswith(".dist-info")}


def test_wheel_holds_the_packages_data_and_license(dist: Path) -> None:
    (wheel,) = dist.glob(f"{DIST_NAME}-{__version__}-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert top_level_packages(names) == {DIST_NAME}, top_level_packages(names)
    assert {n.split("/", 1)[0] for n in names} == {DIST_NAME, f"{DIST_NAME}-{__version__}.dist-info"}
    # The check can fail: a wheel with the old layout has four.
    assert top_level_packages(["monitoring/api.py", "alerts/slo.py", f"{DIST_NAME}-0.dist-info/METADATA"]) == {
        "monitoring", "alerts"}
    assert f"{DIST_NAME}/schemas/grafana-dashboard-model.schema.json" in names
    assert f"{DIST_NAME}/api.py" in names and not any(n.startswith("tests/") for n in names)
    assert f"{DIST_NAME}/py.typed" in names  # PEP 561: extensions type-check against our annotations
    # Every module of the repository's folders is in the wheel, under its package path.
    expected = {f"{FOLDERS[p.relative_to(ROOT).parts[0]]}/{'/'.join(p.relative_to(ROOT).parts[1:])}"
                for folder in FOLDERS for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts}
    assert f"{DIST_NAME}/model/config.py" in expected and f"{DIST_NAME}/exporters/gitea_api/main.py" in expected
    assert sorted(expected - set(names)) == []
    assert any(n.endswith("/LICENSE") for n in names if ".dist-info/" in n)
    (sdist,) = dist.glob(f"{DIST_NAME}-{__version__}.tar.gz")
    assert sdist.stat().st_size > 0


def test_installed_sdist_and_wheel_build_and_lint_from_an_empty_directory(dist: Path, venv: Path,
                                                                           tmp_path: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    for artifact in (sdist, wheel):
        run(venv / "pip", "install", "--quiet", "--force-reinstall", artifact, cwd=tmp_path)
        empty = tmp_path / artifact.name.split(".")[-1]
        empty.mkdir()
        assert run(venv / "gitea-monitoring", "--version", cwd=empty).stdout.strip() == f"gitea-monitoring {__version__}"
        out = run(venv / "gitea-monitoring", "build", cwd=empty).stdout
        assert "wrote" in out and (empty / "build" / "prometheus" / "rules" / "provider-alerts.yaml").is_file()
        assert (empty / "build" / "mixin" / "mixin.libsonnet").is_file()
        lint = run(venv / "gitea-monitoring", "lint", "--format", "json", "build", cwd=empty).stdout
        report = json.loads(lint)
        assert report["errors"] == 0 and report["files"] > 20, report
        # The dashboard schema check ran, from the package's own data: no official specs here.
        assert any("project's own dashboard model" in note for note in report["skipped"]), report["skipped"]
        assert run(venv / "gitea-api-exporter", "--version", cwd=empty).stdout.strip().endswith(__version__)
        # One import name: the library's, and none of the generic names the old wheel put into site-packages.
        code = ("import importlib.util as u; print([n for n in ('monitoring', 'alerts', 'dashboards', 'exporters', "
                f"'{DIST_NAME}.api') if u.find_spec(n)])")
        assert run(venv / "python", "-c", code, cwd=empty).stdout.strip() == f"['{DIST_NAME}.api']"


def test_an_installed_extension_is_found_by_its_entry_point(dist: Path, venv: Path, tmp_path: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    run(venv / "pip", "install", "--quiet", wheel, cwd=tmp_path)
    example = tmp_path / "example"  # a copy: building it leaves build/ and egg-info behind
    shutil.copytree(ROOT / "examples" / "extension", example, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    run(venv / "pip", "install", "--quiet", "--no-deps", example, cwd=tmp_path)
    out = run(venv / "gitea-monitoring", "build", cwd=tmp_path)
    assert (tmp_path / "build" / "prometheus" / "rules" / "acme-mirrors.yaml").is_file(), out.stdout
    assert "AcmeMirrorSyncFailing" in (tmp_path / "build" / "tests" / "acme-mirrors.test.yaml").read_text()
    assert (tmp_path / "build" / "grafana" / "dashboards" / "acme-mirrors.json").is_file()
    off = tmp_path / "off.yaml"
    off.write_text("entry_point_extensions: false\n")
    run(venv / "gitea-monitoring", "build", "--config", off, "--out", "plain", cwd=tmp_path)
    assert not (tmp_path / "plain" / "prometheus" / "rules" / "acme-mirrors.yaml").exists()
