"""Render the small subset of Prometheus' Go templates our annotations use.

Generated promtool tests need the exact annotation text Prometheus will produce; promtool then
checks our rendering against the real one, so any drift here fails `make test`.
Supported: `{{ $labels.NAME }}` and `{{ $value | F }}` with F one of
humanize, humanizePercentage, humanizeDuration, plus `{{ printf "%.Nf" $value }}`, plus the blocks
`resource_list()` writes (a `query` listing the first resources an alert counts), which render from the
series a case says the query returns.
"""

from __future__ import annotations

import math
import re

_TOKEN = re.compile(r"{{-?\s*(.*?)\s*-?}}")
_LABEL = re.compile(r"^\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)$")
_PIPE = re.compile(r"^\$value\s*\|\s*(humanize|humanizePercentage|humanizeDuration)$")
_PRINTF = re.compile(r'^printf\s+"%\.(\d)f"\s+\$value$')


class TemplateError(ValueError):
    pass


# A query result as a case states it: the series' labels and value.
Sample = tuple[dict[str, str], float]
_BLOCKS: dict[str, tuple[str, int, str]] = {}  # block text -> (label to sort by, how many, detail label)


def resource_list(query_format: str, args: tuple[str, ...], limit: int, detail: str = "reason",
                  sort_label: str = "name") -> str:
    """A template block listing `namespace/name (detail)` of the `limit` series with the lowest values of the
    query (bottomk: the oldest lastTransitionTime first), sorted by `sort_label`, comma-separated.

    `query_format` is a Go printf format whose %q verbs take the alert's labels `args` in order; it is
    evaluated when the alert is, so the description names resources while the alert's value counts them.
    """
    params = " ".join(f"$labels.{a}" for a in args)
    block = (f"{{{{ range $i, $r := printf `bottomk({limit}, {query_format})` {params} | query | sortByLabel "
             f'"{sort_label}" }}}}{{{{ if $i }}}}, {{{{ end }}}}{{{{ with $r.Labels.namespace }}}}{{{{ . }}}}/'
             f"{{{{ end }}}}{{{{ $r.Labels.name }}}} ({{{{ $r.Labels.{detail} }}}}){{{{ end }}}}")
    _BLOCKS[block] = (sort_label, limit, detail)
    return block


def _render_block(sort_label: str, limit: int, detail: str, samples: tuple[Sample, ...]) -> str:
    # bottomk keeps the `limit` lowest values; Prometheus breaks no ties we rely on (cases use distinct values).
    chosen = sorted(samples, key=lambda s: s[1])[:limit]
    chosen.sort(key=lambda s: s[0].get(sort_label, ""))  # sortByLabel: a stable sort by one label
    return ", ".join((f"{lab['namespace']}/" if lab.get("namespace") else "") + f"{lab.get('name', '')} "
                     f"({lab.get(detail, '')})" for lab, _ in chosen)


def _g4(v: float) -> str:
    """Go's %.4g."""
    return f"{v:.4g}"


def humanize(v: float) -> str:
    if v == 0 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    if abs(v) >= 1:
        prefix = ""
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix = p
            v /= 1000
        return _g4(v) + prefix
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix = p
        v *= 1000
    return _g4(v) + prefix


def humanize_duration(v: float) -> str:
    if math.isnan(v) or math.isinf(v):
        return _g4(v)
    if v == 0:
        return "0s"
    sign = "-" if v < 0 else ""
    v = abs(v)
    if v >= 1:
        seconds = int(v)
        days, hours, minutes, secs = seconds // 86400, seconds // 3600 % 24, seconds // 60 % 60, seconds % 60
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {secs}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {secs}s"
        if minutes:
            return f"{sign}{minutes}m {secs}s"
        return f"{sign}{_g4(v)}s"
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if v >= 1:
            break
        prefix = p
        v *= 1000
    return f"{sign}{_g4(v)}{prefix}s"


def humanize_percentage(v: float) -> str:
    return _g4(v * 100) + "%"


def check(template: str) -> None:
    """Raise TemplateError when `template` uses something render() does not support."""
    render(template, {}, 0.0, strict=False)


def render(template: str, labels: dict[str, str], value: float, strict: bool = True,
           samples: tuple[Sample, ...] = ()) -> str:
    """The text Prometheus makes of `template`; `samples`: what a resource_list() block's query returns."""
    for block, (sort_label, limit, detail) in _BLOCKS.items():
        if block in template:
            template = template.replace(block, _render_block(sort_label, limit, detail, samples))
    def one(match: re.Match) -> str:
        action = match.group(1)
        if m := _LABEL.match(action):
            if strict and m.group(1) not in labels:
                raise TemplateError(f"label {m.group(1)!r} is not on the alert (labels: {sorted(labels)})")
            return labels.get(m.group(1), "")
        if action == "$value":
            raise TemplateError("write {{ $value | humanize }} (or another humanize function), not a raw $value")
        if m := _PIPE.match(action):
            fn = {"humanize": humanize, "humanizePercentage": humanize_percentage,
                  "humanizeDuration": humanize_duration}[m.group(1)]
            return fn(value)
        if m := _PRINTF.match(action):
            return f"%.{m.group(1)}f" % value
        raise TemplateError(f"unsupported template action {{{{ {action} }}}}")

    return _TOKEN.sub(one, template)
