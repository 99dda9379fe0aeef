"""Findings, the registry of checks (id, default level, one-line why) and the output formats.

Levels are third-party friendly by default: conventions (style) are warnings, errors are kept for
rules and dashboards that cannot work. `--level CHECK=error|warning` changes one check's level.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from gitea_provider_monitoring.lint import checks
from gitea_provider_monitoring.lint.check import ERROR, WARNING, Check

__all__ = ["CHECKS", "ERROR", "WARNING", "Check", "Finding"]

_CHECKS = (
    # Syntax
    Check("promql-syntax", ERROR, "an expression that does not parse never evaluates", "syntax"),
    Check("template-syntax", ERROR, "a broken Go template makes Prometheus reject the rule file", "syntax"),
    Check("invalid-duration", ERROR, "Prometheus rejects a rule file with a malformed for/keep_firing_for", "syntax"),
    # Style (as mixtool's)
    Check("alert-name-case", WARNING, "CamelCase alert names are what routes, silences and runbooks expect", "style"),
    Check("severity-label", WARNING, "routing keys on severity; the accepted set is --severities", "style"),
    Check("missing-summary", WARNING, "a notification without a summary says nothing at 3 a.m.", "style"),
    Check("missing-description", WARNING, "the description should say what is wrong, with label values", "style"),
    Check("missing-runbook", WARNING, "every alert needs a runbook_url telling the on-call what to do", "style"),
    Check("group-too-large", WARNING, "groups over 20 rules evaluate slowly and are hard to review", "style"),
    # Semantics, offline
    Check("plain-regex", WARNING, "=~ with a plain string is an exact match written the slow, confusing way",
          "semantics"),
    Check("unstable-aggregation", WARNING, "topk/bottomk/limit in an alert pick different series per evaluation "
          "(flapping)", "semantics"),
    Check("impossible-selector", ERROR, "matchers that contradict each other select nothing, so the rule never "
          "fires", "semantics"),
    Check("undefined-recording-rule", ERROR, "a level:metric:operation name that no rule file records is always "
          "empty", "semantics"),
    Check("short-range-window", WARNING, "a range shorter than 4 scrape intervals has too few samples; rate() "
          "gaps", "semantics"),
    # Type-aware, with the catalog
    Check("unknown-label", ERROR, "by/without/on a label the series do not have groups everything into one",
          "catalog"),
    Check("unknown-metric", ERROR, "a metric the exporter does not expose selects nothing", "catalog"),
    Check("unmatchable-label-value", ERROR, "a label value the metric never has selects nothing", "catalog"),
    # Dashboards
    Check("deprecated-panel-type", WARNING, "Angular panels (graph, singlestat, table-old) no longer render in "
          "Grafana 12", "dashboard"),
    Check("no-datasource-variable", WARNING, "without a datasource variable the dashboard is tied to one "
          "Prometheus", "dashboard"),
    Check("panel-without-unit", WARNING, "numbers without units get misread", "dashboard"),
    Check("duplicate-panel-id", ERROR, "Grafana links, alerts and repeats address panels by id", "dashboard"),
    Check("grid-layout", WARNING, "overlapping or out-of-grid panels render on top of each other", "dashboard"),
    Check("dashboard-uid", ERROR, "without a stable, unique uid every import makes a new copy and links break",
          "dashboard"),
    Check("dashboard-schema", WARNING, "Grafana's published dashboard JSON schema disagrees (Grafana itself "
          "migrates and imports older shapes)", "dashboard"),
    Check("invalid-panel", ERROR, "a panel field of the wrong type (an id that is not a number, a non-object "
          "panel) breaks Grafana's panel handling", "dashboard"),
)

# Checks that live in checks/<id>.py (doc, code and test together, as pint does) join the registry here.
CHECKS: dict[str, Check] = {c.id: c for c in (*_CHECKS, *checks.ALL)}


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
