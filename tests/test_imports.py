"""Every tool resolves `gitea_provider_monitoring` imports the way Python does: by a path, not a mapping.

The repository keeps its folders monitoring/, alerts/, dashboards/ and exporters/. Static tools (pyright,
mypy, editors) cannot follow setuptools' package-dir mapping onto folders of other names, and setuptools'
editable install of such a mapping is an import hook they cannot see. So the package has a path of its own:
src/gitea_provider_monitoring links monitoring/, and monitoring/ links its three sub-packages. That is a
plain src layout, installed by `pip install -e .` as one static .pth line. These tests keep the links, the
install and every import in the repository resolving through that path, without running a type checker.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "gitea_provider_monitoring"
SRC = REPO_ROOT / "src"
# Each link of the layout and the folder it must point at (relative, so a clone anywhere works).
LINKS = {SRC / PACKAGE: "../monitoring", **{REPO_ROOT / "monitoring" / d: f"../{d}" for d in ("alerts", "dashboards",
                                                                                               "exporters")}}
ROOTS = ("monitoring", "alerts", "dashboards", "exporters", "tests", "bench", "scripts", "examples")


def test_the_links_point_at_the_folders() -> None:
    for link, target in LINKS.items():
        assert link.is_symlink(), f"{link.relative_to(REPO_ROOT)} must be a symlink to {target} (git checks it in)"
        assert os.readlink(link) == target, f"{link.relative_to(REPO_ROOT)} -> {os.readlink(link)}, not {target}"
        assert link.resolve() == (link.parent / target).resolve() and link.resolve().is_dir()


def resolves(module: str) -> bool:
    """Whether `module` is a file or package under src/, the way a static tool finds it."""
    path = SRC.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def unresolved(path: Path, source: str) -> list[str]:
    """Every absolute import of the package in `source` that no file under src/ answers, as file:line: name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            # `from p import x`: p must be a module; x is a submodule or a name defined in p (Python decides).
            names = [node.module]
        else:
            continue
        found += [f"{path.relative_to(REPO_ROOT)}:{node.lineno}: {n}" for n in names
                  if n.split(".")[0] == PACKAGE and not resolves(n)]
    return found


def python_files() -> list[Path]:
    return sorted(p for r in ROOTS for p in (REPO_ROOT / r).rglob("*.py") if "__pycache__" not in p.parts
                  and "build" not in p.relative_to(REPO_ROOT).parts and ".egg-info" not in str(p))


def test_every_import_of_the_package_resolves_through_src() -> None:
    files = python_files()
    assert len(files) > 100
    found = [u for f in files for u in unresolved(f, f.read_text())]
    assert not found, "imports no file under src/ answers (a typo, or a folder not linked):\n" + "\n".join(found)
    # The check can fail: a module that does not exist, and one in a folder the links do not reach.
    bogus = f"from {PACKAGE}.model.nowhere import x\nimport {PACKAGE}.tests.conftest\nfrom {PACKAGE}.api import Measure\n"
    assert [u.split(": ")[1] for u in unresolved(REPO_ROOT / "tests" / "x.py", bogus)] == [
        f"{PACKAGE}.model.nowhere", f"{PACKAGE}.tests.conftest"]


def test_the_editable_install_is_a_static_path() -> None:
    """`pip install -e .` (make build) installs the package as the path src/: a .pth line, no import hook."""
    # The installed one: pip's record has direct_url.json (the egg-info setuptools leaves in src/ has not).
    installed = [d for d in importlib.metadata.distributions(name="gitea-provider-monitoring")
                 if d.read_text("direct_url.json")]
    info = json.loads(installed[0].read_text("direct_url.json") or "{}") if installed else {}
    if not info.get("dir_info", {}).get("editable") or Path(info["url"].removeprefix("file://")).resolve() != REPO_ROOT:
        pytest.skip("the package is not installed editable from this checkout (make build does that)")
    dist = installed[0]
    pth = [f for f in dist.files or [] if f.suffix == ".pth"]
    assert len(pth) == 1, f"one .pth expected, found {pth}"
    lines = [line for line in Path(str(dist.locate_file(pth[0]))).read_text().splitlines() if line.strip()]
    assert lines == [str(SRC)], f"{pth[0]}: {lines}; a setuptools import hook instead of a path means the layout " \
                                "is no longer a plain src layout (see pyproject's [tool.setuptools])"
    assert not [f for f in dist.files or [] if f.name.startswith("__editable__") and f.suffix == ".py"]
    import gitea_provider_monitoring

    assert Path(gitea_provider_monitoring.__file__).resolve() == REPO_ROOT / "monitoring" / "__init__.py"
    assert str(SRC) in sys.path


def test_the_package_says_it_is_typed() -> None:
    """PEP 561: without py.typed, an extension's mypy treats the package as untyped (tests/test_package.py
    checks the wheel carries it)."""
    assert (REPO_ROOT / "monitoring" / "py.typed").is_file()
