"""What lint knows about metrics: the built-in catalog (provider + exporter), or a user's own list.

A user's list is a text-exposition `/metrics` dump or YAML:

    metrics:
      - {name: my_requests_total, type: counter, labels: [code, method], values: {method: [GET, POST]}}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from gitea_provider_monitoring.lint.targets import DEFAULT_TARGET_LABELS, Scope
from gitea_provider_monitoring.lint.types import MetricTypes
from gitea_provider_monitoring.model import catalog as builtin_catalog
from gitea_provider_monitoring.model.config import Config

# The exporter's own namespace: every series of it is in the catalog, so any other name there is wrong.
# The provider's families (controller_runtime_, workqueue_, rest_client_, ...) come from shared libraries
# whose metric sets vary by version and by program: a name there that the catalog lacks is reported only
# when it is one or two edits away from a catalog name (a typo); otherwise lint says nothing.
AUTHORITATIVE_PREFIXES = ("gitea_api_",)
TYPO_DISTANCE = 2
# The programs whose every label the catalog lists; others' entries (kube-state-metrics, cAdvisor, up)
# list only the labels our rules use.
OUR_SOURCES = (builtin_catalog.PROVIDER, builtin_catalog.CROSSPLANE_RUNTIME, builtin_catalog.EXPORTER,
               builtin_catalog.EXPORTER_PROXY)

# Labels that the scrape or common relabelings put on every series of a target.
TARGET_LABELS = frozenset(builtin_catalog.TARGET_LABELS | DEFAULT_TARGET_LABELS)

COUNTER_LIKE = ("counter", "histogram_bucket", "histogram_sum", "histogram_count", "summary_sum", "summary_count")


@dataclass(frozen=True)
class SeriesInfo:
    name: str
    type: str  # counter, gauge, histogram_bucket, histogram_sum, ..., summary_quantile, untyped
    labels: frozenset[str]
    values: dict[str, frozenset[str]] = field(default_factory=dict)  # only labels whose values are all known
    open: bool = False  # the catalog lists only some of its labels (another program's metric)
    scoped: bool = True  # describes only the series of the catalog's targets (LintCatalog.scope)


@dataclass
class LintCatalog:
    series: dict[str, SeriesInfo]
    records: set[str]
    description: str
    strict: bool  # report every unknown metric name, not only typos of catalog names
    target_labels: frozenset[str] = TARGET_LABELS
    scope: Scope = Scope()  # the targets the catalog describes (built-in: the provider's and exporter's jobs)
    types: MetricTypes = field(default_factory=MetricTypes)  # every source's types (lint/types.py); catalog first

    def unknown_problem(self, name: str) -> str | None:
        """Why a name the catalog lacks is wrong, or None to say nothing (somebody else's metric)."""
        near = self.nearest(name)
        if near:
            return f"{name} is not exposed ({self.description}); did you mean {near}?"
        if self.strict or name.startswith(AUTHORITATIVE_PREFIXES):
            return f"{name} is not exposed ({self.description}); check the name"
        return None

    def nearest(self, name: str) -> str | None:
        """A catalog name at most TYPO_DISTANCE edits from `name` (same 4-character prefix), if any."""
        best: tuple[int, str] | None = None
        for other in self.series:
            if abs(len(other) - len(name)) > TYPO_DISTANCE or other[:4] != name[:4]:
                continue
            d = _distance(name, other, TYPO_DISTANCE)
            if d <= TYPO_DISTANCE and (best is None or (d, other) < best):
                best = (d, other)
        return best[1] if best else None

    def add(self, name: str, type_: str, labels: set[str], values: dict[str, set[str]] | None = None,
            ours: bool = True) -> None:
        """Add a metric family (histograms and summaries expand to their series). A metric that is not
        `ours` (kube-state-metrics', cAdvisor's) keeps its type but its labels are open and unscoped."""
        vals = {k: frozenset(v) for k, v in (values or {}).items()} if ours else {}
        if type_ == "histogram":
            self._put(f"{name}_bucket", "histogram_bucket", labels | {"le"}, vals, ours)
            self._put(f"{name}_sum", "histogram_sum", labels, vals, ours)
            self._put(f"{name}_count", "histogram_count", labels, vals, ours)
        elif type_ == "summary":
            self._put(name, "summary_quantile", labels | {"quantile"}, vals, ours)
            self._put(f"{name}_sum", "summary_sum", labels, vals, ours)
            self._put(f"{name}_count", "summary_count", labels, vals, ours)
        else:
            self._put(name, type_, labels, vals, ours)

    def _put(self, name: str, type_: str, labels: set[str], values: dict[str, frozenset[str]], ours: bool) -> None:
        self.series[name] = SeriesInfo(name, type_, frozenset(labels), values, open=not ours, scoped=ours)
        self.types.add(name, type_, "catalog")


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (limit + 1) once every path exceeds `limit`."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def builtin(config: Config | None = None) -> LintCatalog:
    """The provider's and exporter's metrics, their label values, and the recording rules we ship."""
    from gitea_provider_monitoring import alerts  # the definitions: here, so reading a user's catalog needs none

    config = config or Config()
    cat = LintCatalog({}, set(), "built-in catalog (monitoring/model/catalog.py)", strict=False,
                      target_labels=TARGET_LABELS | {config.cluster_label},
                      scope=Scope((("job", frozenset({config.provider.job, config.exporter.job})),)))
    controllers = set(config.provider.controllers)
    for m in builtin_catalog.METRICS:
        values = {k: set(v) for k, v in m.label_values.items()}
        if "controller" in m.labels:
            values["controller"] = controllers
        type_ = "counter" if m.type == builtin_catalog.COUNTER else m.type
        cat.add(m.name, "gauge" if type_ == builtin_catalog.INFO else type_, set(m.labels), values,
                ours=m.source in OUR_SOURCES)
    cat.records = {r.record for rf in alerts.rule_files(config) for r in rf.records()}
    return cat


def from_file(path: Path) -> LintCatalog:
    """A user's catalog: a /metrics text dump or the YAML above. Label values of a dump are a snapshot
    (a healthy dump has no code="500"), so only YAML-declared values are used for value checks."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the catalog: {exc.strerror}") from None
    cat = LintCatalog({}, set(), f"catalog {path}", strict=True)
    if path.suffix in (".yaml", ".yml"):
        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ValueError(f"{path}: invalid YAML: {exc}") from None
        items = doc.get("metrics") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            raise ValueError(f"{path}: expected `metrics:` with a list of {{name, type, labels, values}}")
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not item.get("name"):
                raise ValueError(f"{path}: metrics[{i}]: needs at least a name")
            cat.add(str(item["name"]), str(item.get("type", "untyped")), set(item.get("labels") or []),
                    {k: set(map(str, v)) for k, v in (item.get("values") or {}).items()})
        return cat
    from prometheus_client.parser import text_string_to_metric_families

    try:
        families = list(text_string_to_metric_families(text))
    except ValueError as exc:
        raise ValueError(f"{path}: not a Prometheus text exposition: {exc}") from None
    for family in families:
        labels = {k for s in family.samples for k in s.labels} - {"le", "quantile"}
        type_ = {"unknown": "untyped", "info": "gauge", "stateset": "gauge"}.get(family.type, family.type)
        cat.add(family.name, type_, labels)
        if type_ == "counter":  # the parser strips _total from the family name
            cat.add(family.name + "_total", "counter", labels)
    return cat
