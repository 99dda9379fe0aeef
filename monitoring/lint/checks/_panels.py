"""Helpers the dashboard checks share: tolerant access to JSON fields and a panel's name in findings."""

from __future__ import annotations

from collections.abc import Callable

DashReport = Callable[[str, str, str], None]  # (where, check id, message)


def as_dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list:
    return value if isinstance(value, list) else []


def where(panel: dict) -> str:
    title = panel.get("title")
    pid = panel.get("id", "?")
    return f'panel "{str(title or "")[:80]}" (id {str(pid)[:20]})'
