"""The exporter stands alone: its image needs only exporters/requirements.txt."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from exporters.gitea_api.main import DEFAULT_LISTEN
from monitoring.config import Config

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPILER_ONLY = ("grafanalib", "promql_parser", "jsonschema", "monitoring", "alerts", "dashboards")


def _requirements() -> dict[str, str]:
    lines = (REPO_ROOT / "exporters" / "requirements.txt").read_text().splitlines()
    reqs = [x.strip() for x in lines if x.strip() and not x.startswith("#")]
    return {re.split(r"[<>=]", r, maxsplit=1)[0]: r for r in reqs}


def test_exporter_imports_none_of_the_compiler_dependencies() -> None:
    blocked = "; ".join(f"sys.modules[{m!r}] = None" for m in COMPILER_ONLY)
    code = f"import sys; {blocked}; import exporters.gitea_api.main, exporters.gitea_api.probes"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
    assert out.returncode == 0, out.stderr


def test_image_requirements_match_pyproject() -> None:
    deps = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = {re.split(r"[<>=]", d, maxsplit=1)[0]: d for d in deps}
    for name, requirement in _requirements().items():
        assert pinned.get(name) == requirement, f"exporters/requirements.txt {requirement!r} != pyproject {pinned.get(name)!r}"


def test_dockerfile_runs_as_non_root_with_the_exporter_port() -> None:
    text = (REPO_ROOT / "exporters" / "Dockerfile").read_text()
    user = re.search(r"^USER (\d+)", text, re.M)
    assert user and int(user.group(1)) != 0
    port = Config().exporter.port
    assert f"EXPOSE {port}" in text and "requirements.txt" in text
    assert DEFAULT_LISTEN == f":{port}"  # the exporter cannot import the config; this keeps them in step


def test_proxy_label_values_match_the_catalog() -> None:
    from exporters.gitea_api.metrics import PROXY_KINDS, PROXY_OPERATIONS
    from monitoring import catalog

    assert PROXY_KINDS == catalog.KINDS and PROXY_OPERATIONS == catalog.OPERATIONS
