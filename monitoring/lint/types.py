"""Metric types from every source there is, asked in this order (the first that knows a name wins):

1. `catalog`: the built-in catalog (monitoring/model/catalog.py), or the user's `--catalog FILE`;
2. `metrics`: the `# TYPE` lines of a metrics sample (`--metrics FILE|URL`, a scrape of an exporter);
3. `prometheus`: a Prometheus' `/api/v1/metadata` (`--prometheus URL`; read-only, bounded in size and time);
4. `rules`: the linted rule files themselves: a recording rule's output type follows from its expression
   (`sum by (job) (x_total)` is a counter, `rate(x_total[5m])` a gauge, `sum by (le) (rate(x_bucket[5m]))`
   buckets);
5. `convention`: the naming rule Prometheus applies for its own PossibleNonCounterInfo (promql/engine.go: a
   rate()/increase() over a name that does not end in _total/_sum/_count/_bucket is annotated "metric might
   not be a counter"). A name-only guess: checks built on it warn, never fail, and say which source above
   would settle it.

Types are the series' types: counter, gauge, untyped, histogram (a native histogram's own name),
histogram_bucket/_sum/_count, summary_quantile/_sum/_count, and histogram_bucket_rate for a record of
rate(x_bucket[..]) (a gauge of buckets that histogram_quantile reads).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import promql_parser as pp

from gitea_provider_monitoring.model.promql import PromQLError, flatten, parse, selector

SOURCES = ("catalog", "metrics", "prometheus", "rules")
COUNTER_LIKE = frozenset({"counter", "histogram", "histogram_bucket", "histogram_sum", "histogram_count", "summary_sum",
                          "summary_count"})
BUCKET_LIKE = frozenset({"histogram_bucket", "histogram", "histogram_bucket_rate"})  # what histogram_quantile reads
PROMETHEUS_COUNTER_SUFFIXES = ("_total", "_sum", "_count", "_bucket")  # promql/engine.go, PossibleNonCounterInfo
MAX_SAMPLE_BYTES = 32 * 1024 * 1024  # a /metrics sample or /api/v1/metadata answer larger than this is refused
HTTP_TIMEOUT = 10.0  # seconds, connect and each read
HTTP_DEADLINE = 30.0  # seconds for the whole answer
SETTLE = "--metrics FILE|URL (its # TYPE lines) or --prometheus URL (its /api/v1/metadata)"
_TYPE_LINE = re.compile(r"^#\s+TYPE\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\w+)\s*$", re.M)


class TypeSourceError(ValueError):
    """A --metrics or --prometheus source that cannot be read: the command exits 2 with this message."""


def expand(family: str, type_: str) -> Iterable[tuple[str, str]]:
    """The series names and types of one metric family, as exposition formats name them."""
    type_ = {"unknown": "untyped", "info": "gauge", "stateset": "gauge", "gaugehistogram": "gauge"}.get(type_, type_)
    if type_ == "histogram":
        yield family, "histogram"  # a native histogram keeps the family name
        yield from ((f"{family}_{s}", f"histogram_{s}") for s in ("bucket", "sum", "count"))
    elif type_ == "summary":
        yield family, "summary_quantile"
        yield from ((f"{family}_{s}", f"summary_{s}") for s in ("sum", "count"))
    elif type_ == "counter":
        yield family, "counter"  # OpenMetrics names the family without _total, the text format with it
        if not family.endswith("_total"):
            yield f"{family}_total", "counter"
    elif type_ in ("gauge", "untyped"):
        yield family, type_


@dataclass
class MetricTypes:
    """name -> (type, source); a name given two different types by one source is left out (ambiguous)."""

    known: dict[str, tuple[str, str]] = field(default_factory=dict)
    ambiguous: set[str] = field(default_factory=set)

    def add(self, name: str, type_: str, source: str) -> None:
        """Add one series name unless an earlier source already knows it."""
        have = self.known.get(name)
        if have is None and name not in self.ambiguous:
            self.known[name] = (type_, source)
        elif have is not None and have[1] == source and have[0] != type_:
            del self.known[name]
            self.ambiguous.add(name)

    def add_family(self, family: str, type_: str, source: str) -> None:
        for name, t in expand(family, type_):
            self.add(name, t, source)

    def lookup(self, name: str) -> tuple[str, str] | None:
        """(type, source) from the first source that knows `name`; None when none does (see `convention`)."""
        found = self.known.get(name)
        return found if found and found[0] != "untyped" else None

    def count(self, source: str) -> int:
        return sum(1 for _, s in self.known.values() if s == source)


def by_convention_not_counter(name: str) -> bool:
    """Prometheus' own guess (PossibleNonCounterInfo): a plain metric name without a counter's suffix.
    Recording-rule names (with a colon) are left alone: lint the file that records them instead."""
    return bool(name) and ":" not in name and not name.endswith(PROMETHEUS_COUNTER_SUFFIXES)


def by_convention_counter(name: str) -> bool:
    """OpenMetrics requires counters to end in _total; a plain name ending in it is a counter."""
    return ":" not in name and name.endswith("_total")


# -- source 2 and 3: a metrics sample, a Prometheus ------------------------------------------------------------
def _fetch(url: str, what: str) -> str:
    import requests

    try:
        with requests.get(url, timeout=HTTP_TIMEOUT, stream=True, headers={"Accept": "text/plain, application/json"}) as r:
            r.raise_for_status()
            body = b""
            deadline = time.monotonic() + HTTP_DEADLINE
            for chunk in r.iter_content(64 * 1024):
                body += chunk
                if time.monotonic() > deadline:
                    raise TypeSourceError(f"{what} {safe_url(url)}: still sending after {HTTP_DEADLINE:g}s; pass a file instead")
                if len(body) > MAX_SAMPLE_BYTES:
                    raise TypeSourceError(f"{what} {safe_url(url)}: answer larger than {MAX_SAMPLE_BYTES >> 20} MiB; "
                                          "pass a smaller sample")
            return body.decode("utf-8", errors="replace")
    except requests.RequestException as exc:
        raise TypeSourceError(f"{what} {safe_url(url)}: cannot read it ({type(exc).__name__}); check the URL and that "
                              "it is reachable") from None


def safe_url(url: str) -> str:
    """The URL without credentials or query (never print a token); a path that is no URL as it is."""
    if not url.startswith(("http://", "https://")):
        return url
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def read_metrics_sample(where: str) -> str:
    if where.startswith(("http://", "https://")):
        return _fetch(where, "--metrics")
    path = Path(where)
    try:
        if path.stat().st_size > MAX_SAMPLE_BYTES:
            raise TypeSourceError(f"--metrics {path}: larger than {MAX_SAMPLE_BYTES >> 20} MiB")
        return path.read_text(errors="replace")
    except OSError as exc:
        raise TypeSourceError(f"--metrics {path}: cannot read it: {exc.strerror}") from None


def add_metrics_sample(types: MetricTypes, text: str) -> int:
    """The `# TYPE name type` lines of a text-format or OpenMetrics sample; how many families."""
    families = _TYPE_LINE.findall(text)
    for family, type_ in families:
        types.add_family(family, type_.lower(), "metrics")
    return len(families)


def add_prometheus_metadata(types: MetricTypes, base_url: str) -> int:
    """GET {base_url}/api/v1/metadata (read-only); how many metric names it typed."""
    import json

    url = base_url.rstrip("/") + "/api/v1/metadata"
    body = _fetch(url, "--prometheus")
    try:
        doc = json.loads(body)
    except ValueError:
        raise TypeSourceError(f"--prometheus {safe_url(url)}: the answer is not JSON; is this a Prometheus?") from None
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict):
        raise TypeSourceError(f"--prometheus {safe_url(url)}: no `data` object in the answer; is this a Prometheus?")
    for family, entries in data.items():
        kinds = {str(e.get("type")) for e in entries if isinstance(e, dict)} if isinstance(entries, list) else set()
        if len(kinds) == 1:  # one name exported with two types by different targets: say nothing
            types.add_family(str(family), kinds.pop(), "prometheus")
    return len(data)


# -- source 4: recording rules --------------------------------------------------------------------------------
_KEEP_TYPE_AGG = {"sum", "min", "max", "avg", "topk", "bottomk", "limitk", "limit_ratio"}
_KEEP_TYPE_CALL = {"label_replace", "label_join", "sort", "sort_desc", "sort_by_label", "sort_by_label_desc",
                   "last_over_time", "max_over_time", "min_over_time"}
_COMPARISONS = {"==", "!=", ">", "<", ">=", "<="}


def expr_type(tree: pp.Expr, types: MetricTypes) -> str | None:
    """The type of an expression's result as far as it follows from its inputs' types; None when unknown."""
    flat = flatten(tree)
    result: list[str | None] = [None] * len(flat)
    for i in range(len(flat) - 1, -1, -1):
        node, kids = flat[i].expr, flat[i].children
        kid = [result[k] for k in kids]
        if isinstance(node, pp.VectorSelector):
            name = selector(node).name
            found = types.lookup(name)
            result[i] = found[0] if found else "histogram_bucket" if name.endswith("_bucket") else None
        elif isinstance(node, (pp.ParenExpr, pp.MatrixSelector, pp.SubqueryExpr)):
            result[i] = kid[0] if kid else None
        elif isinstance(node, pp.NumberLiteral):
            result[i] = "scalar"
        elif isinstance(node, pp.AggregateExpr):
            inner = kid[-1] if kid else None
            if str(node.op) in _KEEP_TYPE_AGG and inner != "summary_quantile":
                result[i] = inner
            else:
                result[i] = "gauge"
        elif isinstance(node, pp.Call):
            vec = [k for k in kid if k not in ("scalar", None)]
            name = node.func.name
            if name in _KEEP_TYPE_CALL:
                result[i] = vec[0] if vec else None
            elif name in ("rate", "irate", "increase") and vec and vec[0] in BUCKET_LIKE:
                result[i] = "histogram_bucket_rate"  # per-second buckets: still histogram_quantile's input
            elif name in ("absent", "absent_over_time", "vector", "scalar", "time"):
                result[i] = None
            else:
                result[i] = "gauge"
        elif isinstance(node, pp.BinaryExpr):
            lhs, rhs = kid
            op = str(node.op)
            if op in ("and", "unless"):
                result[i] = lhs
            elif op == "or":
                result[i] = lhs if lhs == rhs else None
            elif op in _COMPARISONS and not getattr(node.modifier, "return_bool", False):
                result[i] = lhs if rhs == "scalar" else rhs if lhs == "scalar" else lhs
            elif lhs == "scalar" and rhs == "scalar":
                result[i] = "scalar"
            else:
                result[i] = "gauge"
    root = result[0]
    return None if root in (None, "scalar") else root


def add_recording_rules(types: MetricTypes, records: list[tuple[str, str]]) -> None:
    """(record, expr) of every linted recording rule; records built on records are typed in later passes."""
    trees = []
    for name, expr in records:
        try:
            trees.append((name, parse(expr)))
        except PromQLError:
            continue
    pending = {name for name, _ in trees if name not in types.known}
    for _ in range(4):  # records of records, a few levels deep
        found: dict[str, set[str | None]] = {}
        for name, tree in trees:
            if name in pending:
                found.setdefault(name, set()).add(expr_type(tree, types))
        progress = False
        for name, kinds in found.items():
            if len(kinds) == 1 and None not in kinds:
                types.add(name, kinds.pop(), "rules")
                pending.discard(name)
                progress = True
        if not progress:
            break
