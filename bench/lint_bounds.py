"""Lint on hostile sizes (issue #20 item 7): time, peak RSS and exit code of `gitea-monitoring lint`.

Each attack is a small file written to a temporary folder and linted in a child process; peak RSS is the
child's ru_maxrss. Before the bounds, the 400-term sum took 3.4 GB and 11-17 s, 5,000 terms or 20,000
nested sum( crashed with SIGSEGV, and 20,000 panels took 15-22 s in the layout check. Then the layout
check alone on growing grids, to show it is linear. Numbers only; the machine is shared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gitea_provider_monitoring.lint.dashboards import _grid  # noqa: E402


def rule_file(expr: str) -> str:
    return yaml.safe_dump({"groups": [{"name": "g", "rules": [{"record": "job:x:sum", "expr": expr}]}]},
                          width=1 << 30)


def panels(n: int) -> list[dict]:
    return [{"id": i, "type": "text", "title": "p", "gridPos": {"x": (i % 2) * 12, "y": (i // 2) * 2, "w": 12, "h": 2}}
            for i in range(n)]


ATTACKS = {
    "`up + up + ...` 400 terms (2 KB)": ("rules.yaml", rule_file(" + ".join(["up"] * 400))),
    "`up + up + ...` 5,000 terms": ("rules.yaml", rule_file(" + ".join(["up"] * 5000))),
    "`sum(` nested 20,000 deep": ("rules.yaml", rule_file("sum(" * 20000 + "up" + ")" * 20000)),
    "256 `+` (at the operator limit)": ("rules.yaml", rule_file(" + ".join(["up"] * 257))),
    "nesting 63 (at the limit)": ("rules.yaml", rule_file("sum(" * 63 + "up" + ")" * 63)),
    '`{"panels":[{"id":[1]}]}`': ("d.json", json.dumps({"title": "t", "uid": "u", "panels": [{"id": [1]}]})),
    "20,000 panels": ("d.json", json.dumps({"title": "t", "uid": "u", "panels": panels(20000)})),
}


def run(path: Path) -> tuple[int, float, float]:
    """Exit code (negative: killed by that signal), seconds, and this child's own peak RSS in MB."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "gitea_provider_monitoring.cli", "lint", str(path)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> None:
    print("| attack | exit code | time | peak RSS |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (filename, text) in ATTACKS.items():
            path = Path(tmp) / filename
            path.write_text(text)
            code, elapsed, rss = run(path)
            print(f"| {name} | {code} | {elapsed:.2f} s | {rss:.0f} MB |")
    print("\n| panels in one grid | layout check |\n|---|---|")
    for n in (1000, 2000, 5000, 10000, 20000):
        grid = panels(n)
        start = time.perf_counter()
        _grid(grid, lambda *_: None)
        print(f"| {n} | {1000 * (time.perf_counter() - start):.1f} ms |")


if __name__ == "__main__":
    main()
