"""The exporter stands alone: its image needs only exporters/requirements.txt."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

from gitea_provider_monitoring.exporters.gitea_api.main import DEFAULT_LISTEN
from gitea_provider_monitoring.model.config import Config

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPILER_ONLY = ("grafanalib", "promql_parser", "jsonschema", "gitea_provider_monitoring", "monitoring", "alerts", "dashboards")


def _requirements() -> dict[str, str]:
    lines = (REPO_ROOT / "exporters" / "requirements.txt").read_text().splitlines()
    reqs = [x.strip() for x in lines if x.strip() and not x.startswith("#")]
    return {re.split(r"[<>=]", r, maxsplit=1)[0]: r for r in reqs}


def test_exporter_imports_none_of_the_compiler_dependencies() -> None:
    blocked = "; ".join(f"sys.modules[{m!r}] = None" for m in COMPILER_ONLY)
    code = f"import sys; {blocked}; import exporters.gitea_api.main, exporters.gitea_api.probes"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT)
    assert out.returncode == 0, out.stderr


def _run_alone(app: Path, code: str | None = None) -> subprocess.CompletedProcess:
    """`python -m exporters.gitea_api.main --help` as the image runs it: cwd and PYTHONPATH are a directory holding
    a copy of exporters/ and nothing else of ours, plus the venv's site-packages (the image's /opt/deps). -S
    skips site's .pth files, so the editable install's finder for gitea_provider_monitoring is not there."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{app}:{sysconfig.get_paths()['purelib']}", "PYTHONDONTWRITEBYTECODE": "1"}
    args = ["-c", code] if code else ["-m", "exporters.gitea_api.main", "--help"]
    return subprocess.run([sys.executable, "-S", *args], cwd=app, env=env, capture_output=True, text=True, timeout=60)


def test_the_exporter_runs_from_a_copy_of_its_folder_alone(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(REPO_ROOT / "exporters", app / "exporters", ignore=shutil.ignore_patterns("__pycache__"))
    out = _run_alone(app)
    assert out.returncode == 0 and "--gitea-url" in out.stdout, out.stderr
    # Nothing of the library was imported: with it blocked, main still runs; the modules loaded are exporters.* only.
    code = ("import sys, runpy; sys.modules['gitea_provider_monitoring'] = None; sys.argv[1:] = ['--help']\n"
            "try:\n    runpy.run_module('exporters.gitea_api.main', run_name='__main__', alter_sys=True)\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "ours = sorted(m for m, mod in sys.modules.items() if mod and m.split('.')[0] in "
            "('gitea_provider_monitoring', 'monitoring', 'alerts', 'dashboards'))\nprint('OURS', ours)")
    out = _run_alone(app, code)
    assert out.returncode == 0 and "OURS []" in out.stdout, out.stdout + out.stderr
    # The check can fail: the copy with main.py importing a sibling absolutely (by the library's name) does not start.
    main = app / "exporters" / "gitea_api" / "main.py"
    absolute = "from gitea_provider_monitoring.exporters.gitea_api.metrics import"
    main.write_text(main.read_text().replace("from .metrics import", absolute))
    out = _run_alone(app)
    assert out.returncode != 0 and "No module named 'gitea_provider_monitoring'" in out.stderr, out.stderr


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
    from gitea_provider_monitoring.exporters.gitea_api.metrics import PROXY_KINDS, PROXY_OPERATIONS
    from gitea_provider_monitoring.model import catalog

    assert PROXY_KINDS == catalog.KINDS and PROXY_OPERATIONS == catalog.OPERATIONS
