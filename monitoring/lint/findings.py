"""Findings, the registry of checks (gathered from checks/<id>.py) and the output formats.

Levels are third-party friendly by default: conventions (style) are warnings, errors are kept for
rules and dashboards that cannot work. `--level CHECK=error|warning` changes one check's level.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from gitea_provider_monitoring.lint import checks
from gitea_provider_monitoring.lint.check import ERROR, WARNING, Check

__all__ = ["CHECKS", "ERROR", "WARNING", "Check", "Finding"]

# Every check lives in checks/<id>.py (doc, code and test together, as pint does); grouped as --list-checks shows.
GROUPS = ("syntax", "style", "semantics", "types", "templates", "catalog", "relabel", "dashboard", "bounds")
CHECKS: dict[str, Check] = {c.id: c for c in sorted(checks.ALL, key=lambda c: (GROUPS.index(c.group), c.id))}


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    location: str  # group/rule, or panel "Title" (id N)
    check: str
    message: str
    level: str = ""  # the check's default level unless set (--level)

    def __post_init__(self) -> None:
        if not self.level:
            object.__setattr__(self, "level", CHECKS[self.check].level)

    def text(self) -> str:
        return f"{self.path}:{self.location}: {self.level.upper()} {self.check}: {self.message}"

    def to_dict(self) -> dict:
        return {**asdict(self), "level": self.level, "why": CHECKS[self.check].why}


def render_text(findings: list[Finding], files: int, skipped: list[str], verbose: bool = False) -> str:
    lines = [f.text() for f in findings]
    errors = sum(f.level == ERROR for f in findings)
    summary = f"{len(findings)} finding(s): {errors} error(s), {len(findings) - errors} warning(s) in {files} file(s)"
    ignored = [s for s in skipped if s.startswith("ignored ")]
    lines += [f"note: {s}" for s in skipped if verbose or not s.startswith("ignored ")]
    if ignored and not verbose:
        summary += f"; {len(ignored)} document(s) of other kinds not checked (--verbose lists them)"
    return "\n".join(lines + [summary]) + "\n"


def render_json(findings: list[Finding], files: int, skipped: list[str]) -> str:
    errors = sum(f.level == ERROR for f in findings)
    doc = {"findings": [f.to_dict() for f in findings], "files": files, "errors": errors,
           "warnings": len(findings) - errors, "skipped": skipped}
    return json.dumps(doc, indent=2) + "\n"


def locate_lines(findings: list[Finding]) -> dict[tuple[str, str], int]:
    """Best-effort 1-based lines for SARIF: where the rule name or panel title first appears in its file."""
    texts: dict[str, list[str]] = {}
    out: dict[tuple[str, str], int] = {}
    for f in findings:
        if f.path not in texts:
            try:
                with open(f.path, encoding="utf-8", errors="replace") as fh:
                    texts[f.path] = fh.read(16 * 1024 * 1024).splitlines()
            except OSError:
                texts[f.path] = []
        tail = f.location.rsplit("/", 1)[-1].split(":")[-1]
        needle = tail.split('"')[1] if tail.count('"') >= 2 else tail
        out[(f.path, f.location)] = next((i for i, line in enumerate(texts[f.path], 1) if needle and needle in line), 1)
    return out


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render_sarif(findings: list[Finding], files: int, skipped: list[str], lines: dict[tuple[str, str], int]
                 | None = None) -> str:
    """SARIF 2.1.0: GitHub code scanning, GitLab, Azure DevOps and most CI dashboards read it as it is.
    `lines` maps (path, location) to a 1-based line when known (else line 1 of the file)."""
    used = sorted({f.check for f in findings})
    rules = [{"id": c, "name": c, "shortDescription": {"text": CHECKS[c].why},
              "defaultConfiguration": {"level": CHECKS[c].level},
              "properties": {"group": CHECKS[c].group}} for c in used]
    results = []
    for f in findings:
        line = (lines or {}).get((f.path, f.location), 1)
        results.append({
            "ruleId": f.check, "ruleIndex": used.index(f.check), "level": f.level,
            "message": {"text": f"{f.location}: {f.message}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.path},
                                                "region": {"startLine": line}},
                           "logicalLocations": [{"fullyQualifiedName": f.location}]}],
            "partialFingerprints": {"lintFinding/v1": f"{f.check}:{f.location}"},
        })
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "gitea-monitoring lint", "rules": rules}},
        "results": results,
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": [
            {"level": "note", "message": {"text": s}} for s in skipped if not s.startswith("ignored ")]}],
    }]}
    return json.dumps(doc, indent=2) + "\n"
