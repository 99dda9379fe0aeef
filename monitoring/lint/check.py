"""What a check is: an id, a default level, a one-line why and a group (see checks/ for the layout)."""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Check:
    id: str
    level: str
    why: str
    group: str
