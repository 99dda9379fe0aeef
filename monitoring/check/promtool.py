"""The real promtool, wrapped: find it, run it, turn its failures into exceptions with its message.

Lookup order: `$PROMTOOL`, then `.tools/bin/promtool` of this checkout, then `PATH`.
`toolsets()` lists every version this checkout can test with (Debian's, the Go-built ones, $PROMTOOL).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from gitea_provider_monitoring.model.errors import MonitoringError

REPO_ROOT = Path(__file__).resolve().parents[2]  # monitoring/check/<this file> -> the checkout (one place)
HOW_TO_GET = (
    "promtool was not found. Run `make tools` (fetches Debian's prometheus package into .tools/bin), "
    "or install the `prometheus` package, or set PROMTOOL=/path/to/promtool."
)


class PromtoolNotFound(MonitoringError):
    def __init__(self) -> None:
        super().__init__(HOW_TO_GET)


class PromtoolError(MonitoringError):
    """promtool rejected a file; `output` is promtool's own message."""

    def __init__(self, command: str, files: list[str], output: str) -> None:
        self.command, self.files, self.output = command, files, output
        super().__init__(f"promtool {command} failed for {', '.join(files)}:\n{output.rstrip()}")


@dataclass(frozen=True)
class Result:
    command: str
    output: str


def find_promtool() -> str:
    env = os.environ.get("PROMTOOL")
    if env:
        if not (os.path.isfile(env) and os.access(env, os.X_OK)):
            raise MonitoringError(f"PROMTOOL={env} is not an executable file; unset it or fix the path")
        return env
    found = find_tool("promtool")
    if found:
        return found
    raise PromtoolNotFound()


def find_tool(name: str) -> str | None:
    """A Prometheus tool fetched by `make tools` (.tools/bin of this checkout), else from PATH."""
    local = REPO_ROOT / ".tools" / "bin" / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which(name)


def _run(args: list[str], files: list[str], stdin: str | None = None, cwd: str | None = None,
         binary: str | None = None) -> Result:
    binary = binary or find_promtool()
    proc = subprocess.run([binary, *args, *files], input=stdin, capture_output=True, text=True, cwd=cwd,
                          check=False)
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        raise PromtoolError(" ".join(args), files or ["<stdin>"], output)
    return Result(" ".join(args), output)


def check_rules(*files: str | Path, promtool: str | None = None) -> Result:
    """`promtool check rules`: syntax and semantics of rule files."""
    return _run(["check", "rules"], [str(f) for f in files], binary=promtool)


def test_rules(*files: str | Path, cwd: str | Path | None = None, promtool: str | None = None) -> Result:
    """`promtool test rules`: run unit-test files (rule_files paths are relative to each test file)."""
    return _run(["test", "rules"], [str(f) for f in files], cwd=str(cwd) if cwd else None, binary=promtool)


def check_metrics(exposition: str, promtool: str | None = None) -> Result:
    """`promtool check metrics`: lint a text exposition (exit 3 for lint problems, 1 for errors)."""
    return _run(["check", "metrics"], [], stdin=exposition, binary=promtool)


# -- the version matrix --------------------------------------------------------------------------------
# family -> (its command-line tool, the environment variable that adds one more version of it)
FAMILIES = {"prometheus": ("promtool", "PROMTOOL"), "alertmanager": ("amtool", "AMTOOL")}


@dataclass(frozen=True)
class Toolset:
    """One version of Prometheus (prometheus + promtool) or Alertmanager (alertmanager + amtool).

    `server` is the binary beside the tool when there is one (a lone $PROMTOOL has none).
    """

    family: str
    version: str
    tool: str
    server: str | None

    @property
    def id(self) -> str:
        return f"{self.family}-{self.version}"


@functools.cache
def tool_version(binary: str) -> str:
    """The release a Prometheus-family binary reports, e.g. 2.42.0 for Debian's `2.42.0+ds`."""
    proc = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False, timeout=30)
    found = re.search(r"version (\d+\.\d+\.\d+\S*)", proc.stdout + proc.stderr)
    if not found:
        raise MonitoringError(f"{binary} --version printed no version: {(proc.stdout + proc.stderr)[:200]!r}")
    return found.group(1).split("+")[0]


def _executable(path: Path) -> str | None:
    return str(path) if path.is_file() and os.access(path, os.X_OK) else None


def toolsets(family: str) -> list[Toolset]:
    """Every version of `family` to test with, oldest first, one per version.

    Sources: Debian's in .tools/bin (`make tools`), the Go-built .tools/<family>-<version>/ (`make tools`
    with Go), and $PROMTOOL / $AMTOOL (with the server beside it, if any); PATH when none of them exists.
    """
    tool, env = FAMILIES[family]
    tools_dir = REPO_ROOT / ".tools"
    candidates = [tools_dir / "bin" / tool, *sorted(tools_dir.glob(f"{family}-*/{tool}"))]
    if os.environ.get(env):
        candidates.append(Path(os.environ[env]))
    found = [c for c in (_executable(p) for p in candidates) if c]
    if not found and shutil.which(tool):
        found = [str(shutil.which(tool))]
    by_version: dict[str, Toolset] = {}
    for binary in found:
        version = tool_version(binary)
        server = _executable(Path(binary).parent / family)
        by_version.setdefault(version, Toolset(family, version, binary, server))
    return sorted(by_version.values(), key=lambda t: tuple(int(n) for n in re.findall(r"\d+", t.version)[:3]))


def select(family: str, version: str | None) -> Toolset:
    """The toolset whose version is `version` or starts with it (`3` picks the newest 3.x); None: the oldest."""
    sets = toolsets(family)
    if not sets:
        raise MonitoringError(f"no {family} found: run `make tools`")
    if not version:
        return sets[0]
    matching = [t for t in sets if t.version == version or t.version.startswith(version.rstrip(".") + ".")]
    if not matching:
        have = ", ".join(t.version for t in sets)
        raise MonitoringError(f"{family} {version} is not installed (have: {have}); `make tools` builds the pinned "
                              f"versions with Go, or point {FAMILIES[family][1]}= at another {FAMILIES[family][0]}")
    return matching[-1]


def pair_for(prometheus: Toolset) -> Toolset | None:
    """The Alertmanager run with a Prometheus version: same generation (the i-th oldest of each), so
    Debian's 2.42 runs with Debian's 0.25 and the Go-built 3.x with the Go-built current Alertmanager."""
    proms, ams = toolsets("prometheus"), toolsets("alertmanager")
    if not ams:
        return None
    index = next((i for i, t in enumerate(proms) if t.version == prometheus.version), 0)
    return ams[min(index, len(ams) - 1)]
