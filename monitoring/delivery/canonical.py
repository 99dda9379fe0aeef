"""The canonical form of a dashboard: what push hashes and compares, whatever Grafana did to the JSON.

Grafana 12's Kubernetes-style storage decodes the dashboard into Go's map[string]interface{}, so every
number comes back as a float64 written the Go way (80.0 -> 80); it also strips uid/version/id and re-adds
them, and every version trims the title. The canonical form removes those differences, so a dashboard that
made the round trip hashes the same as the one we sent (see docs/grafana-compatibility.md).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

HASH_PREFIX = "gpm-sha256:"
SERVER_FIELDS = ("id", "version", "iteration")  # set by Grafana, never by us


def _number(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_number(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)  # 80.0 and 80 are one number; Go writes both as 80
    return value


def canonical(dashboard: dict) -> dict:
    """Server-set fields and our hash tag removed, tags sorted, title trimmed, numbers normalised."""
    d = {k: v for k, v in dashboard.items() if k not in SERVER_FIELDS}
    tags = d.get("tags") if isinstance(d.get("tags"), list) else []
    d["tags"] = sorted(str(t) for t in tags if not str(t).startswith(HASH_PREFIX))
    if isinstance(d.get("title"), str):
        d["title"] = d["title"].strip()
    return _number(d)


def canonical_text(dashboard: dict, indent: int | None = None) -> str:
    separators = (",", ": ") if indent else (",", ":")
    return json.dumps(canonical(dashboard), sort_keys=True, indent=indent, separators=separators)


def content_hash(dashboard: dict) -> str:
    return hashlib.sha256(canonical_text(dashboard).encode()).hexdigest()[:12]


def legacy_hash(dashboard: dict) -> str:
    """The hash tag written by push before canonical forms (numbers as sent): still accepted as ours."""
    d = {k: v for k, v in dashboard.items() if k not in SERVER_FIELDS}
    d["tags"] = sorted(t for t in d.get("tags", []) if not str(t).startswith(HASH_PREFIX))
    text = json.dumps(d, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def hash_tag(dashboard: dict) -> str | None:
    tags = dashboard.get("tags")
    if not isinstance(tags, list):
        return None
    return next((t[len(HASH_PREFIX):] for t in tags if isinstance(t, str) and t.startswith(HASH_PREFIX)), None)


def same(a: dict, b: dict) -> bool:
    return canonical_text(a) == canonical_text(b)
