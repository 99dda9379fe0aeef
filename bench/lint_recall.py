"""Lint recall by mutation (issue #29): take correct rule files and dashboards, inject one defect of a class at
one site, lint, and count whether a check of that class reports it at that rule or panel.

Corpora: our build for the default config and every config of tests/configs/ (rules, dashboards, and the
PodMonitor that says the scrape interval), or any folder of rule files, PrometheusRules and dashboards
(`--corpus DIR`, e.g. kube-prometheus' manifests or awesome-prometheus-alerts fetched into /tmp). Each
mutant is linted with the other files of its corpus beside it (their records, monitors and scrape
configs), and a finding counts only when it is new (not in the unmutated file's findings), at the mutated
rule or panel, and of one of the class's checks. Sites are chosen from the text and the catalog, not from
the checks' own analysis: a site where the mutation cannot be seen (an open label set, say) is a miss.

    .venv/bin/python bench/lint_recall.py                  # ours: every config (make bench)
    .venv/bin/python bench/lint_recall.py --max-sites 3    # a short run (tests/lint/test_recall.py)
    .venv/bin/python bench/lint_recall.py --corpus /tmp/kube-prometheus/manifests
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gitea_provider_monitoring.lint import inputs, lint_paths  # noqa: E402
from gitea_provider_monitoring.lint.catalog import builtin  # noqa: E402
from gitea_provider_monitoring.lint.checks.template_missing_label import references  # noqa: E402
from gitea_provider_monitoring.lint.inputs import load  # noqa: E402
from gitea_provider_monitoring.model.config import Config, duration_seconds, load_config  # noqa: E402

# Each mutant is linted with its corpus beside it; parsing the unchanged files again for every mutant is most
# of the cost (pure-Python YAML), so their parsed documents are kept, keyed by path and text.
_parsed: dict[tuple[str, str], list] = {}
_parse = inputs._documents


def _documents_once(path: Path, text: str) -> list:
    key = (str(path), text)
    if key not in _parsed:
        _parsed[key] = _parse(path, text)
        if len(_parsed) > 256:
            _parsed.pop(next(iter(_parsed)))
    return _parsed[key]


# class -> (what is injected, the checks that report it)
CLASSES: dict[str, tuple[str, frozenset[str]]] = {
    "rate-over-gauge": ("rate/increase/irate/resets around a gauge",
                        frozenset({"rate-on-non-counter", "possible-non-counter"})),
    "deriv-over-counter": ("deriv/delta/predict_linear instead of rate/increase over a counter",
                           frozenset({"deriv-on-counter"})),
    "raw-counter-alert": ("an alert's rate(counter[..]) replaced by the raw counter", frozenset({"counter-without-rate"})),
    "quantile-non-bucket": ("histogram_quantile over _sum/_count instead of _bucket", frozenset({"histogram-quantile-input"})),
    "le-dropped": ("le removed from an aggregation under histogram_quantile", frozenset({"histogram-quantile-input"})),
    "summary-quantile-avg": ("avg() of a summary's quantile series instead of histogram_quantile",
                             frozenset({"summary-quantile-aggregation"})),
    "template-dropped-label": ("a label the annotations read removed from the expression's by (...)",
                               frozenset({"template-missing-label"})),
    "absent-template-label": ("absent() of a selector whose labels the annotations read", frozenset({"template-missing-label"})),
    "value-unformatted": ("a humanized $value of a ratio/rate printed raw", frozenset({"template-value-format"})),
    "short-range": ("a rate-like range of one scrape interval", frozenset({"range-below-two-scrapes"})),
    "for-below-interval": ("the group's interval set above the alert's for", frozenset({"for-below-interval"})),
    "vector-matching": ("one side of a binary operation aggregated by one label fewer",
                        frozenset({"vector-matching-mismatch", "unknown-label"})),
    "regex-never-matches": ("a matcher that no value satisfies (=~\"v$x\", !~\".*\")", frozenset({"regex-never-matches"})),
    "regex-matches-everything": ("an equality matcher made =~\".*\"", frozenset({"regex-matches-everything"})),
    "panel-rate-over-gauge": ("a panel query's gauge wrapped in rate()",
                              frozenset({"rate-on-non-counter", "possible-non-counter"})),
    "panel-short-range": ("a panel's $__rate_interval replaced by one scrape interval",
                          frozenset({"range-below-two-scrapes"})),
    "duplicate-panel-id": ("a panel given the id of another", frozenset({"duplicate-panel-id"})),
}
# Public corpora carry no scrape configs: a short range is then only short-range-window's warning.
PUBLIC_RANGE = frozenset({"range-below-two-scrapes", "short-range-window"})

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
MATCHERS = r"\{(?:[^{}\"]|\"(?:[^\"\\]|\\.)*\")*\}"
RATE_LIKE = ("rate", "irate", "increase", "delta", "deriv", "predict_linear")
COUNTER_SUFFIX = ("_total",)
NOT_GAUGE_SUFFIX = ("_total", "_sum", "_count", "_bucket", "_created", "_info")


# -- text helpers ------------------------------------------------------------------------------------------
def _in_string(text: str, pos: int) -> bool:
    return text[:pos].count('"') % 2 == 1


def _in_braces(text: str, pos: int) -> bool:
    depth = 0
    for i, c in enumerate(text[:pos]):
        if c in "{}" and not _in_string(text, i):
            depth += 1 if c == "{" else -1
    return depth > 0


def call_spans(expr: str, names: tuple[str, ...]) -> Iterator[tuple[str, int, int, int]]:
    """(function, start, index of '(', index after the matching ')') of each call to one of `names`."""
    for m in re.finditer(r"(?<![\w:])(" + "|".join(names) + r")\s*\(", expr):
        if _in_string(expr, m.start()):
            continue
        depth, i, quote = 0, m.end() - 1, ""
        while i < len(expr):
            c = expr[i]
            if quote:
                quote = "" if c == quote and expr[i - 1] != "\\" else quote
            elif c in "\"'`":
                quote = c
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    yield m.group(1), m.start(), m.end() - 1, i + 1
                    break
            i += 1


def selector_spans(expr: str) -> Iterator[tuple[str, int, int]]:
    """(metric name, start, end) of each `name{...}` or bare `name` selector (not a function, keyword or label)."""
    keywords = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
                "inf", "nan", "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
                "count_values", "group", "limitk", "limit_ratio"}
    for m in re.finditer(rf"(?<![\w:\"$.])({NAME})\s*({MATCHERS})?", expr):
        name, end = m.group(1), m.end()
        if name.lower() in keywords or _in_string(expr, m.start()) or re.match(r"\s*\(", expr[end:]) and not m.group(2):
            continue
        before = expr[:m.start()].rstrip()
        if not m.group(2) and re.search(r"(?i)\b(by|on|ignoring|without|group_left|group_right)\s*\([^()]*$", before):
            continue  # a label list
        if _in_braces(expr, m.start()):
            continue  # a label matcher's name
        yield name, m.start(), end


def strip_comments(expr: str) -> str:
    """The expression without its `# ...` comments (PromQL allows them; a mutation must not land in one)."""
    out = []
    for line in expr.split("\n"):
        quote = ""
        for i, c in enumerate(line):
            if quote:
                quote = "" if c == quote else quote
            elif c in "\"'`":
                quote = c
            elif c == "#":
                line = line[:i]
                break
        out.append(line)
    return "\n".join(out)


def wrap(expr: str, start: int, end: int, fn: str) -> str:
    """`sel offset 1h` -> `fn(sel[5m] offset 1h)`: the range goes before the offset and @ modifiers."""
    modifiers = re.match(r"(\s*(offset\s+-?[0-9a-z]+|@\s*[0-9.a-z()]+))*", expr[end:])
    tail = end + (modifiers.end() if modifiers else 0)
    return f"{expr[:start]}{fn}({expr[start:end]}[5m]{expr[end:tail]}){expr[tail:]}"


def by_clauses(expr: str) -> Iterator[tuple[int, int, list[str]]]:
    """(start, end, labels) of each `by (...)` clause of an aggregation that drops the other labels (not of
    topk/bottomk/limitk, which keep them)."""
    for m in re.finditer(r"(?i)\bby\s*\(([^()]*)\)", expr):
        if re.search(r"(?i)\b(topk|bottomk|limitk|limit_ratio)\s*$", expr[:m.start()]):
            continue
        if not _in_string(expr, m.start()):
            yield m.start(), m.end(), [x.strip() for x in m.group(1).split(",") if x.strip()]


def fmt_duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h" if seconds % 3600 == 0 else f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


# -- what a metric is, as the site chooser sees it ------------------------------------------------------
@dataclass
class Kinds:
    """Counters and gauges for choosing sites: the catalog's types for our corpus, names for public ones."""

    types: dict[str, str] = field(default_factory=dict)

    def counter(self, name: str) -> bool:
        t = self.types.get(name)
        return t in ("counter",) if t else ":" not in name and name.endswith(COUNTER_SUFFIX)

    def gauge(self, name: str) -> bool:
        t = self.types.get(name)
        return t == "gauge" if t else ":" not in name and not name.endswith(NOT_GAUGE_SUFFIX) and name != "up"


# -- mutations of rules: each yields (class, group changes, mutated rule) ----------------------------------
Mutant = tuple[str, dict, dict]


def _with_expr(rule: dict, expr: str) -> dict:
    return {**rule, "expr": expr}


def rule_mutants(group: dict, rule: dict, kinds: Kinds, interval: str, rotate: list[int],
                 public: bool = False) -> Iterator[Mutant]:
    expr = strip_comments(str(rule.get("expr") or ""))
    alert = "alert" in rule
    annotations = rule.get("annotations") if isinstance(rule.get("annotations"), dict) else {}

    def turn(options: tuple[str, ...]) -> str:
        rotate[0] += 1
        return options[rotate[0] % len(options)]

    for name, start, end in selector_spans(expr):
        if kinds.gauge(name) and not re.match(r"\s*\[", expr[end:]):
            fn = turn(("rate", "increase", "irate", "resets"))
            yield "rate-over-gauge", {}, _with_expr(rule, wrap(expr, start, end, fn))
    for _fn, start, open_, end in call_spans(expr, ("rate", "increase", "irate")):
        inner = expr[open_ + 1:end - 1]
        name = re.match(rf"\s*({NAME})", inner)
        if not name or not kinds.counter(name.group(1)):
            continue
        new = turn(("deriv", "delta", "predict_linear"))
        body = f"{new}({inner}, 3600)" if new == "predict_linear" else f"{new}({inner})"
        yield "deriv-over-counter", {}, _with_expr(rule, expr[:start] + body + expr[end:])
        if alert and "histogram_quantile" not in expr and not re.search(r"\b(and|unless)\b", expr[:start]):
            raw = re.sub(r"\[[^\]]*\](\s*offset\s+\S+)?\s*$", "", inner.strip())
            yield "raw-counter-alert", {}, _with_expr(rule, expr[:start] + raw + expr[end:])
    if "histogram_quantile" in expr and "_bucket" in expr:
        yield "quantile-non-bucket", {}, _with_expr(rule, re.sub(r"_bucket\b", turn(("_sum", "_count")), expr, count=1))
        for start, end, labels in by_clauses(expr):
            if "le" in labels:
                kept = ", ".join(x for x in labels if x != "le")
                yield "le-dropped", {}, _with_expr(rule, f"{expr[:start]}by ({kept}){expr[end:]}")
        for _, start, _open, end in call_spans(expr, ("histogram_quantile",)):
            body = expr[start:end]
            q = re.match(r"histogram_quantile\s*\(\s*([0-9.]+)\s*,", body)
            sel = re.search(rf"({NAME})_bucket\s*({MATCHERS})?", body)
            by = next((labels for _, _, labels in by_clauses(body)), None)
            if q and sel and by is not None:
                matchers = (sel.group(2) or "{}")[1:-1]
                matchers = f'{matchers}, quantile="{q.group(1)}"' if matchers.strip() else f'quantile="{q.group(1)}"'
                grouping = ", ".join(x for x in by if x != "le")
                yield "summary-quantile-avg", {}, _with_expr(
                    rule, f"{expr[:start]}avg by ({grouping}) ({sel.group(1)}{{{matchers}}}){expr[end:]}")
    if alert:
        text = " ".join(str(v) for v in annotations.values())
        for label in dict.fromkeys(references(text)):
            lookup = re.search(r"\b(and|unless|group_left)\b", expr)  # the result's labels come from the left
            clauses = [c for c in by_clauses(expr) if label in c[2] and (lookup is None or c[0] < lookup.start())]
            if clauses:
                new = expr
                for start, end, labels in reversed(clauses):
                    new = f"{new[:start]}by ({', '.join(x for x in labels if x != label)}){new[end:]}"
                yield "template-dropped-label", {}, _with_expr(rule, new)
        read = set(references(text))
        for name, start, end in selector_spans(expr):
            sel = expr[start:end]
            equal = set(re.findall(r"([a-zA-Z_]\w*)\s*=\s*\"", sel))
            if name and ":" not in name and read - equal and "job" in equal:
                yield "absent-template-label", {}, _with_expr(rule, f"absent({sel})")
                break
        formatted = [k for k, v in annotations.items() if re.search(r"{{[^}]*\$value[^}]*(humanize|printf)[^}]*}}", str(v))
                     and not re.search(r"{{-?\s*\$value\s*-?}}", str(v))]  # an annotation already printing it raw: no site
        if formatted and re.search(r"rate\(|increase\(|deriv\(|histogram_quantile|ratio|quantile| / ", expr):
            for key in formatted:
                raw = re.sub(r"{{[^}]*\$value[^}]*}}", "{{ $value }}", str(annotations[key]))
                yield "value-unformatted", {}, {**rule, "annotations": {**annotations, key: raw}}
        for_ = rule.get("for")
        if isinstance(for_, str) and re.fullmatch(r"(\d+[smhdw])+", for_) and duration_seconds(for_) > 0:
            yield "for-below-interval", {"interval": fmt_duration(2 * duration_seconds(for_))}, rule
    for _fn, _start, open_, end in call_spans(expr, RATE_LIKE):
        inner = expr[open_ + 1:end - 1]
        name = re.match(rf"\s*({NAME})", inner)
        rng = re.search(r"\[([0-9a-z]+)\]", inner)
        if name and ":" not in name.group(1) and rng and (public or re.search(r'\bjob\s*=\s*"', inner)):
            yield "short-range", {}, _with_expr(rule, expr[:open_ + 1] + inner[:rng.start()] + f"[{interval}]"
                                                + inner[rng.end():] + expr[end - 1:])
    yield from _matching(rule, expr)
    for m in re.finditer(r'([a-zA-Z_]\w*)\s*=\s*"([^"$]*)"', expr):
        if _in_string(expr, m.start()) or m.group(1) == "quantile":
            continue
        label, value = m.group(1), m.group(2)
        bad = turn((f'{label}=~"{value}$x"', f'{label}!~".*"'))
        yield "regex-never-matches", {}, _with_expr(rule, expr[:m.start()] + bad + expr[m.end():])
        if label != "job":
            yield "regex-matches-everything", {}, _with_expr(rule, expr[:m.start()] + f'{label}=~".*"' + expr[m.end():])


def _matching(rule: dict, expr: str) -> Iterator[Mutant]:
    """A binary operation between two aggregations `by (...)` with the same labels: drop one from the right."""
    import promql_parser as pp

    try:
        tree = pp.parse(expr)
    except (ValueError, TypeError):
        return
    text = str(tree)
    from gitea_provider_monitoring.model.promql import flatten

    for node in flatten(tree):
        b = node.expr
        if not isinstance(b, pp.BinaryExpr) or str(b.op) == "or":
            continue
        sides = []
        for side in (b.lhs, b.rhs):
            while isinstance(side, pp.ParenExpr):
                side = side.expr
            sides.append(side)
        if not all(isinstance(s, pp.AggregateExpr) and s.modifier is not None and s.modifier.type == pp.AggModifierType.By
                   and s.modifier.labels for s in sides):
            continue
        left, right = (list(s.modifier.labels) for s in sides)
        matching = getattr(b.modifier, "matching", None) if b.modifier is not None else None
        on = list(matching.labels) if matching is not None and matching.type == pp.LabelModifierType.Include else None
        drop = next((x for x in reversed(right) if x in (on if on is not None else left)), None)
        rhs = str(sides[1])
        if drop is None or text.count(rhs) != 1:
            continue
        clause = re.search(r"by \(([^()]*)\)", rhs)
        if clause is None:
            continue
        kept = ", ".join(x for x in right if x != drop)
        mutated = rhs[:clause.start()] + f"by ({kept})" + rhs[clause.end():]
        yield "vector-matching", {}, _with_expr(rule, text.replace(rhs, mutated, 1))


# -- mutations of dashboards: each yields (class, mutated dashboard, panel id, panel title) -----------------
def _panels(dashboard: dict) -> Iterator[dict]:
    stack = list(reversed(dashboard.get("panels") or []))
    while stack:
        p = stack.pop()
        if isinstance(p, dict):
            yield p
            stack += reversed(p.get("panels") or [])


def dashboard_mutants(dashboard: dict, kinds: Kinds, interval: str, rotate: list[int],
                      public: bool = False) -> Iterator[tuple[str, dict, object, str]]:
    panels = list(_panels(dashboard))
    for pi, panel in enumerate(panels):
        for ti, target in enumerate(panel.get("targets") or []):
            expr = target.get("expr") if isinstance(target, dict) else None
            if not isinstance(expr, str):
                continue

            def put(new_expr: str, pi: int = pi, ti: int = ti) -> dict:
                d = copy.deepcopy(dashboard)
                list(_panels(d))[pi]["targets"][ti]["expr"] = new_expr
                return d

            for name, start, end in selector_spans(expr):
                if kinds.gauge(name) and not re.match(r"\s*\[", expr[end:]):
                    rotate[0] += 1
                    fn = ("rate", "increase", "irate", "resets")[rotate[0] % 4]
                    yield "panel-rate-over-gauge", put(wrap(expr, start, end, fn)), panel.get("id"), str(panel.get("title"))
            for _fn, _start, open_, end in call_spans(expr, RATE_LIKE):
                inner = expr[open_ + 1:end - 1]
                if "[$__rate_interval]" in inner and (public or re.search(r'\bjob\s*=\s*"', inner)):
                    yield "panel-short-range", put(expr[:open_ + 1] + inner.replace("[$__rate_interval]", f"[{interval}]", 1)
                                                   + expr[end - 1:]), panel.get("id"), str(panel.get("title"))
    ids = [p.get("id") for p in panels if isinstance(p.get("id"), int)]
    for pi, panel in enumerate(panels[1:], 1):
        if isinstance(panel.get("id"), int) and ids and panel.get("id") != ids[0]:
            d = copy.deepcopy(dashboard)
            list(_panels(d))[pi]["id"] = ids[0]
            yield "duplicate-panel-id", d, ids[0], str(panel.get("title"))


# -- running ----------------------------------------------------------------------------------------------
@dataclass
class Tally:
    injected: dict[str, int] = field(default_factory=dict)
    detected: dict[str, int] = field(default_factory=dict)
    missed: dict[str, list[str]] = field(default_factory=dict)

    def add(self, cls: str, hit: bool, what: str) -> None:
        self.injected[cls] = self.injected.get(cls, 0) + 1
        self.detected[cls] = self.detected.get(cls, 0) + hit
        if not hit:
            self.missed.setdefault(cls, []).append(what)


def _rule_docs(path: Path) -> list | None:
    try:
        docs = list(yaml.safe_load_all(path.read_text()))
    except (yaml.YAMLError, UnicodeDecodeError):
        return None
    return docs if any(_groups(d) for d in docs) else None


def _groups(doc: object) -> list:
    if not isinstance(doc, dict):
        return []
    if doc.get("kind") == "PrometheusRule" and isinstance(doc.get("spec"), dict):
        return doc["spec"].get("groups") or []
    return doc.get("groups") if isinstance(doc.get("groups"), list) else []


def _findings(path: Path, context: list[Path], interval: str | None, catalog: object = None) -> set[tuple[str, str, str]]:
    """(location, check, message) of the findings on `path`; a fresh copy of `catalog` each time (lint adds the
    linted records and their types to the catalog it is given)."""
    kwargs = {"catalog": copy.deepcopy(catalog)} if catalog is not None else {}
    result = lint_paths([path, *context], scrape_interval=interval, **kwargs)
    return {(f.location, f.check, f.message) for f in result.findings if f.path == str(path)}


def run_corpus(files: list[Path], kinds: Kinds, interval: str, tally: Tally, max_sites: int | None,
               public: bool, given_interval: str | None = None, catalog: object = None) -> None:
    """Mutate each rule file and dashboard of `files`, one site at a time, linting each with the rest beside it."""
    inputs._documents = _documents_once
    try:
        _run_corpus(files, kinds, interval, tally, max_sites, public, given_interval, catalog)
    finally:
        inputs._documents = _parse
        _parsed.clear()


def _run_corpus(files: list[Path], kinds: Kinds, interval: str, tally: Tally, max_sites: int | None,
                public: bool, given_interval: str | None, catalog: object) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            context = [p for p in files if p != path and p.suffix != ".json"]  # dashboards say nothing about others
            target = Path(tmp) / path.name
            per_class: dict[str, int] = {}

            def take(cls: str, per_class: dict[str, int] = per_class) -> bool:
                per_class[cls] = per_class.get(cls, 0) + 1
                return max_sites is None or per_class[cls] <= max_sites

            rotate = [0]
            docs = _rule_docs(path) if path.suffix in (".yaml", ".yml") else None
            if docs is not None:
                target.write_text(path.read_text())
                base = _findings(target, context, given_interval, catalog)
                for di, doc in enumerate(docs):
                    for gi, group in enumerate(_groups(doc)):
                        for ri, rule in enumerate(group.get("rules") or []):
                            if not isinstance(rule, dict) or not rule.get("expr"):
                                continue
                            name = str(rule.get("alert") or rule.get("record"))
                            for cls, group_changes, mutated in rule_mutants(group, rule, kinds, interval, rotate, public):
                                if (mutated == rule and not group_changes) or not take(cls):
                                    continue
                                new_docs = copy.deepcopy(docs)
                                new_group = _groups(new_docs[di])[gi]
                                new_group.update(group_changes)
                                new_group["rules"][ri] = mutated
                                target.write_text(yaml.safe_dump_all(new_docs, width=1 << 20, sort_keys=False))
                                expected = PUBLIC_RANGE if public and cls == "short-range" else CLASSES[cls][1]
                                where = f"{group.get('name')}/{name}"
                                new = _findings(target, context, given_interval, catalog) - base
                                hit = any(loc.endswith(where) and check in expected for loc, check, _ in new)
                                tally.add(cls, hit, f"{path.name}: {where}: {str(mutated.get('expr'))[:160]}")
                continue
            if path.suffix != ".json":
                continue
            try:
                dashboard = json.loads(path.read_text())
            except (ValueError, UnicodeDecodeError):
                continue
            dashboard = dashboard.get("dashboard", dashboard) if isinstance(dashboard, dict) else None
            if not isinstance(dashboard, dict) or "panels" not in dashboard:
                continue
            target.write_text(json.dumps(dashboard))
            base = _findings(target, context, given_interval, catalog)
            for cls, mutated, pid, title in dashboard_mutants(dashboard, kinds, interval, rotate, public):
                if not take(cls):
                    continue
                target.write_text(json.dumps(mutated))
                expected = PUBLIC_RANGE if public and cls == "panel-short-range" else CLASSES[cls][1]
                new = _findings(target, context, given_interval, catalog) - base
                hit = any(f"(id {pid})" in loc and f'"{title[:80]}"' in loc and check in expected for loc, check, _ in new)
                tally.add(cls, hit, f"{path.name}: panel {title!r} (id {pid})")


def our_corpora(out: Path, configs: list[Path | None]) -> Iterator[tuple[str, list[Path], str, object]]:
    """(name, files, scrape interval, lint catalog) of our build for each config."""
    from gitea_provider_monitoring.render.compiler import build

    for cfg in configs:
        config = load_config(cfg) if cfg else Config()
        folder = out / (cfg.stem if cfg else "default")
        build(config, folder)
        files = sorted((folder / "prometheus" / "rules").glob("*.yaml")) + \
            sorted((folder / "grafana" / "dashboards").glob("*.json")) + [folder / "kubernetes" / "podmonitor.yaml"]
        yield cfg.name if cfg else "default", files, config.scrape_interval, builtin(config)


def measure_ours(max_sites: int | None = None, configs: list[Path | None] | None = None) -> Tally:
    if configs is None:
        configs = [None, *sorted((REPO / "tests" / "configs").glob("*.yaml"))]
    tally = Tally()
    with tempfile.TemporaryDirectory() as tmp:
        for _, files, interval, catalog in our_corpora(Path(tmp), configs):
            kinds = Kinds({name: t for name, (t, _) in catalog.types.known.items()})
            run_corpus(files, kinds, interval, tally, max_sites, public=False, catalog=catalog)
    return tally


def measure_public(folder: Path, max_sites: int | None = None) -> Tally:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".json"))
    checkable = []
    for p in files:
        try:
            inputs = load([p])
        except Exception:  # noqa: BLE001 (a corpus file lint refuses is not a site)
            continue
        if inputs.rules or inputs.dashboards:
            checkable.append(p)
    tally = Tally()
    folders: dict[Path, list[Path]] = {}
    for p in checkable:  # one folder, one project (a mixin, an exporter): the context of its own files only
        folders.setdefault(p.parent, []).append(p)
    for files_of_one in folders.values():
        run_corpus(files_of_one, Kinds(), "15s", tally, max_sites, public=True)
    return tally


def table(tally: Tally, title: str) -> str:
    lines = [f"{title}", f"{'class':26} {'injected':>8} {'detected':>8} {'recall':>7}  checks"]
    for cls, (_, checks) in CLASSES.items():
        n, d = tally.injected.get(cls, 0), tally.detected.get(cls, 0)
        recall = f"{100 * d / n:.1f}%" if n else "-"
        lines.append(f"{cls:26} {n:8} {d:8} {recall:>7}  {', '.join(sorted(checks))}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, action="append", default=[], help="a folder of someone else's files")
    parser.add_argument("--max-sites", type=int, help="at most this many sites per class and file")
    parser.add_argument("--misses", type=int, default=3, help="list this many missed sites per class")
    args = parser.parse_args()
    tallies = [("ours: the build of the default config and of every tests/configs/*.yaml", measure_ours(args.max_sites))]
    tallies += [(f"public: {folder}", measure_public(folder, args.max_sites)) for folder in args.corpus]
    for title, tally in tallies:
        print(table(tally, title))
        for cls, missed in tally.missed.items():
            for what in missed[:args.misses]:
                print(f"  missed {cls}: {what}")
        print()
    low = [cls for _, t in tallies[:1] for cls, n in t.injected.items() if n and t.detected.get(cls, 0) / n < 0.95]
    if low:
        print(f"below 95% on ours: {', '.join(low)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
