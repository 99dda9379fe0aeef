"""Release hygiene: one version everywhere, a LICENSE matching pyproject's licence, a changelog entry."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from gitea_provider_monitoring import __version__
from gitea_provider_monitoring.cli import main
from gitea_provider_monitoring.exporters.gitea_api import __version__ as exporter_version
from gitea_provider_monitoring.model.config import Config

ROOT = Path(__file__).resolve().parent.parent


def test_one_version_for_cli_exporter_image_and_package(capsys) -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    assert exporter_version is __version__
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"gitea-monitoring {__version__}"
    out = subprocess.run([sys.executable, "-m", "gitea_provider_monitoring.exporters.gitea_api.main", "--version"],
                         capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert out.stdout.strip().endswith(__version__), out.stdout + out.stderr
    assert Config().exporter.image.endswith(f":{__version__}")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    version_attr = "gitea_provider_monitoring.exporters.gitea_api.__version__"
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": version_attr}


def test_the_version_is_written_once() -> None:
    """No other file spells the version out (tests excepted: they read it)."""
    literal = re.compile(rf"['\"]{re.escape(__version__)}['\"]|:{re.escape(__version__)}\b")
    hits = []
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if (path.is_file() and path.suffix in (".py", ".toml", ".yaml", ".yml", ".cfg")
                and not rel.parts[0].startswith((".", "build")) and rel.parts[0] not in ("tests", "examples")):
            hits += [str(rel)] if literal.search(path.read_text(errors="replace")) else []
    assert hits == ["exporters/gitea_api/__init__.py"]


def test_license_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text and "END OF TERMS AND CONDITIONS" in text
    assert len(text.splitlines()) > 190  # the full text, not a notice


def test_changelog_has_this_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{__version__}]" in text and "## [Unreleased]" in text
