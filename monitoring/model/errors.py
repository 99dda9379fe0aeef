"""Errors the user can act on: each names where the problem is and what to change."""

from __future__ import annotations

from typing import Any

MAX_PROBLEM_CHARS = 200


def shown(value: Any) -> str:
    """A value as the user wrote it, kept short for a one-line error."""
    text = repr(value) if not isinstance(value, bool) else str(value).lower()
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


class MonitoringError(Exception):
    """Base class: a message meant for a human, never a stack trace."""


class ConfigError(MonitoringError):
    """The configuration file is invalid."""

    def __init__(self, path: str, key: str, problem: str, fix: str = "") -> None:
        if len(problem) > MAX_PROBLEM_CHARS:  # a problem quoting a huge value quotes a short prefix of it
            problem = f"{problem[:MAX_PROBLEM_CHARS]}... ({len(problem) - MAX_PROBLEM_CHARS} more characters)"
        self.path, self.key, self.problem, self.fix = path, key, problem, fix
        msg = f"{path}: {key}: {problem}"
        if fix:
            msg += f" ({fix})"
        super().__init__(msg)


class ConfigFileError(ConfigError):
    """The configuration file cannot be read or parsed (too large, not UTF-8, an alias bomb...): exit 2."""

    exit_code = 2


class DefinitionError(MonitoringError):
    """A rule or dashboard definition is invalid."""

    def __init__(self, source: str, item: str, problem: str, fix: str = "") -> None:
        self.source, self.item, self.problem, self.fix = source, item, problem, fix
        msg = f"{source}: {item}: {problem}"
        if fix:
            msg += f"; fix: {fix}"
        super().__init__(msg)
