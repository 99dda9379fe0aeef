"""template-syntax (error): a label or annotation whose Go template does not parse: an unclosed `{{`, an
empty or nested action, an unterminated string, unbalanced parentheses, an `{{ end }}` too many or too few,
or `$labels.` without a name.

Prometheus parses every template when it loads the rule file (rules/manager.go), so one broken annotation
makes the whole file fail to load: none of its rules run. The check reads the templates roughly as
text/template's parser does; it does not evaluate them (template-missing-label checks what they read).

Bad:  summary: "{{ $labels.controller fails"
Good: summary: "{{ $labels.controller }} fails"
Disable: annotation `lint_disable: template-syntax`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gitea_provider_monitoring.lint.check import ERROR, Check

CHECK = Check("template-syntax", ERROR, "a broken Go template makes Prometheus reject the rule file", "syntax")
_ACTION = re.compile(r"{{-?(.*?)-?}}", re.S)
_BLOCK_OPEN = re.compile(r"^\s*(if|range|with|define|block)\b")
_BLOCK_END = re.compile(r"^\s*end\s*$")


def problem(text: str) -> str | None:
    """What is wrong with a Go template, roughly as text/template's parser would see it; None when fine."""
    if "{{" in _ACTION.sub("", text):  # a `}}` in plain text is literal text to text/template; `{{` is not
        return "unbalanced {{ }}: an action is not closed"
    depth = 0
    for action in _ACTION.findall(text):
        body = action.strip()
        if not body:
            return "empty action {{ }}"
        if "{{" in body:
            return "nested {{ inside an action"
        if body.count('"') % 2 or body.count("`") % 2:
            return f"unterminated string in {{{{{action}}}}}"
        if body.count("(") != body.count(")"):
            return f"unbalanced parentheses in {{{{{action}}}}}"
        if _BLOCK_OPEN.match(body):
            depth += 1
        elif _BLOCK_END.match(body):
            depth -= 1
            if depth < 0:
                return "{{ end }} without an opening if/range/with"
        elif re.match(r"^\s*\$labels\s*\.\s*$", body) or re.search(r"\$labels\.\s", body):
            return f"incomplete label reference in {{{{{action}}}}}"
    return "missing {{ end }}" if depth else None


def check(templates: dict[str, str], emit: Callable[[str, str], None]) -> None:
    """`templates`: "annotation summary" / "label team" -> its text."""
    for where, text in templates.items():
        found = problem(text)
        if found:
            emit(CHECK.id, f"{where}: {found}")
