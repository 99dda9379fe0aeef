"""One import package with visible layers, proved on every import of every module.

The repository's folders monitoring/, alerts/, dashboards/ and exporters/ are one package,
gitea_provider_monitoring (linked from src/: tests/test_imports.py). Inside it each layer imports only the layers before it:
the model imports no definition, definitions use the model, render/delivery/lint/check/CLI sit on top, and
the exporter imports nothing of ours outside exporters/ (its image copies that folder alone). The old
top-level names must appear nowhere: a checkout still has folders called monitoring/ and alerts/, so a
missed rename would import a second copy of a module instead of failing.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "gitea_provider_monitoring"
# Folder -> package name; the links under src/ say the same (tests/test_imports.py).
FOLDERS = {"monitoring": PACKAGE, "alerts": f"{PACKAGE}.alerts", "dashboards": f"{PACKAGE}.dashboards",
           "exporters": f"{PACKAGE}.exporters"}
OLD_NAMES = ("monitoring", "alerts", "dashboards", "exporters")

# Layer of a module, by the longest matching package prefix.
LAYER_OF = {
    PACKAGE: "model",  # the package's __init__: the version, from the exporter
    f"{PACKAGE}.model": "model",
    f"{PACKAGE}.api": "model",
    f"{PACKAGE}.exporters": "exporter",
    f"{PACKAGE}.alerts": "definitions",
    f"{PACKAGE}.dashboards": "definitions",
    f"{PACKAGE}.render": "render",
    f"{PACKAGE}.delivery": "delivery",
    f"{PACKAGE}.lint": "lint",
    f"{PACKAGE}.check": "check",
    f"{PACKAGE}.cli": "cli",
}
# What each layer may import of ours. Everything else is a layering error.
ALLOWED = {
    "exporter": {"exporter"},
    "model": {"exporter", "model"},
    "definitions": {"model", "definitions"},
    "render": {"exporter", "model", "definitions", "render"},
    "delivery": {"model", "render", "delivery"},
    "lint": {"exporter", "model", "definitions", "render", "lint"},
    "check": {"model", "definitions", "render", "lint", "check"},
    "cli": set(LAYER_OF.values()),
}
RULES = {
    "exporter": "the exporter imports nothing of ours outside exporters/ (its image ships that folder alone)",
    "model": "the model imports no definition, renderer, delivery, lint or CLI (only itself and the exporter)",
    "definitions": "definitions (alerts/, dashboards/) import only the model and each other",
    "render": "renderers import the model and the definitions, never delivery, lint, check or the CLI",
    "delivery": "delivery imports the model and the renderers",
    "lint": "lint imports the exporter's durations, the model, definitions and renderers, never delivery, check or the CLI",
    "check": "`gitea-monitoring test` imports the model, definitions, renderers and lint, never the CLI",
}
EXAMPLE_RULE = "a user's extension (examples/extension) imports only gitea_provider_monitoring.api"
EXPORTER_RELATIVE_RULE = ("inside exporters/ import relatively (from . import ...): the image runs it as "
                          "exporters.gitea_api, not as gitea_provider_monitoring.exporters")


def module_name(path: Path) -> str:
    """The dotted name a repository file is imported as."""
    rel = path.relative_to(REPO_ROOT)
    parts = [FOLDERS[rel.parts[0]], *rel.with_suffix("").parts[1:]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(module: str) -> str | None:
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        found = LAYER_OF.get(".".join(parts[:i]))
        if found:
            return found
    return None


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str, int]]:
    """(line, absolute module, relative level) of every import, function-level ones included; `from p import m`
    of a submodule m counts as importing p.m."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[:len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}", node.level
            yield node.lineno, base, node.level


def layering_errors(path: Path, source: str, module: str | None = None) -> list[str]:
    """Every import of `source` (the file at `path`) that breaks a rule, as `file:line: imports X: rule`."""
    rel = path.relative_to(REPO_ROOT)
    tree = ast.parse(source)
    errors = []
    if rel.parts[0] == "examples":
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                errors.append(f"{rel}:{node.lineno}: imports {', '.join(a.name for a in node.names)}: {EXAMPLE_RULE}")
            elif isinstance(node, ast.ImportFrom) and node.module != "__future__" and (
                    node.level or (node.module, [a.name for a in node.names]) != (PACKAGE, ["api"])):
                errors.append(f"{rel}:{node.lineno}: imports from {node.module}: {EXAMPLE_RULE}")
        return errors
    module = module or module_name(path)
    own = layer(module)
    assert own is not None, f"{rel}: no layer for {module}; add its package to LAYER_OF"
    seen = set()
    for line, target, level in _imports(tree, module, path.name == "__init__.py"):
        if target.split(".")[0] in OLD_NAMES and not level:
            errors.append(f"{rel}:{line}: imports {target}: the old top-level name; import {PACKAGE}.… instead")
            continue
        their = layer(target) if target.startswith(PACKAGE) else None
        if their is None or (line, their) in seen:
            continue
        seen.add((line, their))
        if own == "exporter" and not level:
            errors.append(f"{rel}:{line}: imports {target}: {EXPORTER_RELATIVE_RULE}")
        elif their not in ALLOWED[own]:
            errors.append(f"{rel}:{line}: imports {target} ({their}): {RULES[own]}")
    return errors


def library_files() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (REPO_ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_has_a_layer_and_keeps_to_it() -> None:
    files = library_files() + sorted((REPO_ROOT / "examples" / "extension").rglob("*.py"))
    assert len(files) > 60
    errors = [e for f in files for e in layering_errors(f, f.read_text())]
    assert not errors, "layering errors:\n" + "\n".join(errors)


@pytest.mark.parametrize(("path", "source", "expected"), [
    ("monitoring/model/config.py", "from gitea_provider_monitoring.render.compiler import build\n",
     r"monitoring/model/config.py:1: imports .*render.compiler.build \(render\): the model imports no definition"),
    ("monitoring/model/x.py", "def f():\n    from gitea_provider_monitoring import alerts\n",
     r"monitoring/model/x.py:2: imports gitea_provider_monitoring.alerts \(definitions\)"),
    ("alerts/x.py", "from gitea_provider_monitoring.render import validate\n",
     r"alerts/x.py:1: .*\(render\): definitions"),
    ("dashboards/x.py", "from gitea_provider_monitoring.cli import main\n", r"\(cli\): definitions"),
    ("monitoring/render/x.py", "from gitea_provider_monitoring.delivery import push\n", r"\(delivery\): renderers"),
    ("monitoring/lint/x.py", "from gitea_provider_monitoring import cli\n", r"\(cli\): lint imports"),
    ("exporters/gitea_api/x.py", "from gitea_provider_monitoring.model import config\n",
     r"exporters/gitea_api/x.py:1: .*inside exporters/ import relatively"),
    ("exporters/gitea_api/x.py", "from ... import model\n", r"\(model\): the exporter imports nothing of ours"),
    ("tests/x.py", "import alerts._testdata\n", r"tests/x.py:1: imports alerts._testdata: the old top-level name"),
    ("examples/extension/acme/x.py", "from gitea_provider_monitoring.model import config\n",
     r"examples/extension/acme/x.py:1: .*imports only gitea_provider_monitoring.api"),
])
def test_the_layering_check_names_file_line_and_rule(path: str, source: str, expected: str) -> None:
    """Each rule fires on a deliberately wrong import (so the check above can fail)."""
    module = None if not path.startswith("tests/") else "gitea_provider_monitoring.cli"
    errors = layering_errors(REPO_ROOT / path, source, module)
    assert any(re.search(expected, e) for e in errors), errors


def test_the_layering_check_accepts_the_allowed_imports() -> None:
    ok = {"monitoring/model/x.py": "from gitea_provider_monitoring.exporters.gitea_api.metrics import PROBE_DURATION_BUCKETS\n",
          "alerts/x.py": "from gitea_provider_monitoring.model import testdata as td\n",
          "exporters/gitea_api/x.py": "from . import __version__\nfrom .metrics import Metrics\n",
          "monitoring/cli.py": "from gitea_provider_monitoring.delivery import push\n",
          "examples/extension/a/b.py": "from __future__ import annotations\nfrom gitea_provider_monitoring import api\n"}
    for path, source in ok.items():
        assert layering_errors(REPO_ROOT / path, source) == [], path


# ---------------------------------------------------------------------------------------------
# No old top-level name anywhere: imports, `python -m` and monkeypatch strings, shell and workflow files

OLD_MODULE_STRING = re.compile(r"^(?:-m\s+)?(monitoring|alerts|dashboards|exporters)\.[a-z_]+(\.[A-Za-z_]+)*(:\w+)?$")
# The exporter image's layout: exporters/ copied alone, run as `exporters.gitea_api.main`. Only these name it so.
IMAGE_LAYOUT = ("exporters/Dockerfile", "tests/test_exporter_image.py", ".github/workflows/release.yml")


def old_name_uses(path: Path, source: str) -> list[str]:
    rel = path.relative_to(REPO_ROOT)
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"{rel}:{node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] in OLD_NAMES]
        elif isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] in OLD_NAMES:
            found.append(f"{rel}:{node.lineno}: from {node.module} import ...")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and OLD_MODULE_STRING.match(node.value)
              and str(rel) not in IMAGE_LAYOUT and not node.value.startswith("monitoring.coreos")):
            found.append(f"{rel}:{node.lineno}: the string {node.value!r} names an old module")
    return found


def python_files() -> list[Path]:
    roots = [*FOLDERS, "tests", "bench", "scripts", "examples"]
    return sorted(p for r in roots for p in (REPO_ROOT / r).rglob("*.py") if "__pycache__" not in p.parts
                  and ".egg-info" not in str(p) and "build" not in p.relative_to(REPO_ROOT).parts)


def test_nothing_imports_the_old_top_level_names() -> None:
    files = python_files()
    assert any(f.parts[-2:] == ("sim", "processes.py") for f in files) and len(files) > 100
    found = [u for f in files for u in old_name_uses(f, f.read_text())]
    assert not found, f"rename to {PACKAGE}.…:\n" + "\n".join(found)


def test_no_command_line_runs_an_old_module() -> None:
    pattern = re.compile(r"python3?\s+(-\w+\s+)*-m\s+(monitoring|alerts|dashboards|exporters)\.|"
                         r"import (monitoring|alerts|dashboards|exporters)\b")
    texts = [REPO_ROOT / "Makefile", REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md")),
             *sorted((REPO_ROOT / "scripts").iterdir()), *sorted((REPO_ROOT / ".ci").iterdir()),
             *sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))]
    found = [f"{p.relative_to(REPO_ROOT)}:{n}: {line.strip()}" for p in texts if p.is_file()
             and str(p.relative_to(REPO_ROOT)) not in IMAGE_LAYOUT
             for n, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert not found, "\n".join(found)


def test_the_old_name_check_catches_imports_and_strings() -> None:
    source = ('import monitoring.config\nfrom alerts import slo\n'
              'monkeypatch.setattr("monitoring.compiler.to_yaml", f)\n'
              'subprocess.run([python, "-m", "exporters.gitea_api.main"])\n'
              'ok = ("monitoring.coreos.com/v1", "gitea_provider_monitoring.cli")\n')
    found = old_name_uses(REPO_ROOT / "tests" / "x.py", source)
    assert [f.split(":")[1] for f in found] == ["1", "2", "3", "4"], found


def test_the_tests_cannot_import_the_old_names_from_the_checkout() -> None:
    """conftest's guard: the checkout's folder monitoring/ is on sys.path, yet `monitoring.api` does not import."""
    import importlib
    import importlib.util

    assert (REPO_ROOT / "monitoring" / "api.py").is_file() and str(REPO_ROOT) in [str(Path(p).resolve()) for p in
                                                                               __import__("sys").path if p]
    for parts in (("monitoring", "api"), ("alerts",), ("dashboards", "_panels"), ("exporters", "gitea_api", "main")):
        with pytest.raises(ModuleNotFoundError, match=f"No module named '{parts[0]}': .*{PACKAGE}"):
            importlib.import_module(".".join(parts))
    assert importlib.util.find_spec(f"{PACKAGE}.api") is not None


def test_every_importable_module_loads_without_the_old_names() -> None:
    """Importing the whole package leaves no old top-level module behind (a dynamic import would)."""
    import importlib
    import pkgutil
    import sys

    package = importlib.import_module(PACKAGE)
    names = [m.name for m in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.")]
    names += [m.name for sub in ("alerts", "dashboards", "exporters")
              for m in pkgutil.walk_packages(importlib.import_module(f"{PACKAGE}.{sub}").__path__, f"{PACKAGE}.{sub}.")]
    for name in names:
        importlib.import_module(name)
    assert len(names) > 60
    assert not [m for m in sys.modules if m.split(".")[0] in OLD_NAMES], "an old top-level module was imported"


# ---------------------------------------------------------------------------------------------
# pyproject lists every package folder: a new sub-package cannot be left out of the wheel


def packages_on_disk() -> set[str]:
    return {module_name(init) for folder in FOLDERS for init in (REPO_ROOT / folder).rglob("__init__.py")
            if "__pycache__" not in init.parts}


def missing_packages(pyproject: dict, on_disk: set[str]) -> list[str]:
    setuptools = pyproject["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"": "src"}  # src/gitea_provider_monitoring links the folders (test_imports.py)
    return sorted(on_disk - set(setuptools["packages"]))


def test_pyproject_lists_every_package_folder() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    on_disk = packages_on_disk()
    assert {f"{PACKAGE}.model", f"{PACKAGE}.lint.checks", f"{PACKAGE}.exporters.gitea_api"} <= on_disk
    assert missing_packages(pyproject, on_disk) == [], "add them to [tool.setuptools] packages in pyproject.toml"
    folders = {v: k for k, v in FOLDERS.items()}
    for package in set(pyproject["tool"]["setuptools"]["packages"]) - on_disk:  # data-only packages (schemas/)
        head = next(p for p in sorted(folders, key=len, reverse=True) if package == p or package.startswith(p + "."))
        folder = REPO_ROOT / folders[head] / package.removeprefix(head).lstrip(".").replace(".", "/")
        assert folder.is_dir() and package in pyproject["tool"]["setuptools"]["package-data"], package
    # A new folder with an __init__.py that pyproject does not list is reported.
    assert missing_packages(pyproject, on_disk | {f"{PACKAGE}.render.new"}) == [f"{PACKAGE}.render.new"]
    # A folder of .py files without an __init__.py would be a namespace package, which the list cannot carry.
    orphans = sorted(str(d.relative_to(REPO_ROOT)) for folder in FOLDERS for d in (REPO_ROOT / folder).rglob("*")
                     if d.is_dir() and any(d.glob("*.py")) and not (d / "__init__.py").exists())
    assert orphans == [], f"add an __init__.py: {orphans}"


def test_every_checkout_path_points_at_the_checkout() -> None:
    """Modules that find .tools/, tests/rules or docs/ from their own file: a move to another depth must not
    silently point them elsewhere (they fall back to PATH or skip the hand-written cases when it does)."""
    import importlib

    for name in ("gitea_provider_monitoring.cli", "gitea_provider_monitoring.check.selftest",
                 "gitea_provider_monitoring.check.promtool"):
        module = importlib.import_module(name)
        assert module.REPO_ROOT == REPO_ROOT, f"{name}.REPO_ROOT is {module.REPO_ROOT}, not the checkout {REPO_ROOT}"
    from gitea_provider_monitoring.check.selftest import HANDWRITTEN_DIR

    assert any(HANDWRITTEN_DIR.glob("*.yaml")), HANDWRITTEN_DIR
