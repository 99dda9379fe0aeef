"""The real promtool, wrapped: find it, run it, turn its failures into exceptions with its message.

Lookup order: `$PROMTOOL`, then `.tools/bin/promtool` of this checkout, then `PATH`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from monitoring.errors import MonitoringError

REPO_ROOT = Path(__file__).resolve().parent.parent
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


def _run(args: list[str], files: list[str], stdin: str | None = None, cwd: str | None = None) -> Result:
    binary = find_promtool()
    proc = subprocess.run([binary, *args, *files], input=stdin, capture_output=True, text=True, cwd=cwd,
                          check=False)
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        raise PromtoolError(" ".join(args), files or ["<stdin>"], output)
    return Result(" ".join(args), output)


def check_rules(*files: str | Path) -> Result:
    """`promtool check rules`: syntax and semantics of rule files."""
    return _run(["check", "rules"], [str(f) for f in files])


def test_rules(*files: str | Path, cwd: str | Path | None = None) -> Result:
    """`promtool test rules`: run unit-test files (rule_files paths are relative to each test file)."""
    return _run(["test", "rules"], [str(f) for f in files], cwd=str(cwd) if cwd else None)


def check_metrics(exposition: str) -> Result:
    """`promtool check metrics`: lint a text exposition (exit 3 for lint problems, 1 for errors)."""
    return _run(["check", "metrics"], [], stdin=exposition)
