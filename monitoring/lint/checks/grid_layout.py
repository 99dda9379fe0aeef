"""grid-layout (warning): a panel without a gridPos, outside the 24-column grid, or overlapping another.

Grafana lays panels out on a 24-column grid; a panel wider than the grid, at a negative position or on top
of another is moved by Grafana's layout engine to wherever it fits, so the dashboard does not look like its
JSON. Each level (the top, and each collapsed row's panels) is its own grid. The overlap is reported on the
later panel in the document.

Bad:  {"gridPos": {"x": 8, "y": 0, "w": 20, "h": 8}}
Good: {"gridPos": {"x": 0, "y": 8, "w": 24, "h": 8}}
Disable: dashboard tag `lint-disable:grid-layout`.
"""

from __future__ import annotations

from gitea_provider_monitoring.lint.check import WARNING, Check
from gitea_provider_monitoring.lint.checks._panels import DashReport, as_dict, as_list, where

CHECK = Check("grid-layout", WARNING, "overlapping or out-of-grid panels render on top of each other", "dashboard")
GRID_WIDTH = 24


def check_level(panels: list, emit: DashReport) -> None:
    """Out-of-grid and overlapping panels of one level (the top, or one collapsed row).

    A sweep from top to bottom: panels that were placed without overlap and still cover the current row
    are disjoint in x on a 24-column grid, so at most 24 are compared with each new panel; the check is
    linear (after the sort) in the number of panels. A panel that overlaps is reported on the one later
    in the document and is not placed, so the rest are compared with what Grafana shows first."""
    boxes: list[tuple[int, int, int, int, int, dict]] = []  # (y, order, x, w, h, panel)
    for order, panel in enumerate(p for p in panels if isinstance(p, dict)):
        g = panel.get("gridPos")
        if not g:
            emit(where(panel), CHECK.id, "no gridPos; Grafana places the panel unpredictably")
            continue
        try:
            x, y, w, h = (int(as_dict(g).get(k, 0)) for k in ("x", "y", "w", "h"))
        except (TypeError, ValueError, OverflowError):
            emit(where(panel), CHECK.id, "gridPos values are not numbers")
            continue
        if not isinstance(g, dict):
            emit(where(panel), CHECK.id, "gridPos is not an object")
            continue
        if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > GRID_WIDTH:
            emit(where(panel), CHECK.id, f"gridPos x={x} w={w} leaves the {GRID_WIDTH}-column grid "
                 "(needs 0 <= x, x + w <= 24, w and h > 0)")
        if w > 0 and h > 0:
            boxes.append((y, order, x, w, h, panel))
    boxes.sort(key=lambda b: (b[0], b[1]))
    active: list[tuple[int, int, int, int, int, dict]] = []
    for box in boxes:
        y, order, x, w, h, panel = box
        active = [b for b in active if b[0] + b[4] > y]
        hit = next((b for b in active if x < b[2] + b[3] and b[2] < x + w), None)
        if hit is None:
            if 0 <= x and x + w <= GRID_WIDTH:
                active.append(box)
            continue
        later, earlier = (panel, hit[5]) if order > hit[1] else (hit[5], panel)
        emit(where(later), CHECK.id, f"overlaps {where(earlier)}; move one of them")
        if order < hit[1]:  # the earlier panel keeps its place
            active.remove(hit)
            active.append(box)


def check(top_panels: list, panels: list[dict], emit: DashReport) -> None:
    """The top level, then each row's nested panels."""
    check_level(as_list(top_panels), emit)
    for row in panels:
        if row.get("type") == "row" and as_list(row.get("panels")):
            check_level(row["panels"], emit)
