"""What lint knows about metrics: the built-in catalog (provider + exporter), or a user's own list.

A user's list is a text-exposition `/metrics` dump or YAML:

    metrics:
      - {name: my_requests_total, type: counter, labels: [code, method], values: {method: [GET, POST]}}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from monitoring import catalog as builtin_catalog
from monitoring.config import Config

# With the built-in catalog only these families are ours: a name with one of these prefixes that the
# catalog does not list is a typo or a metric the provider does not expose. Other names (node_exporter,
# kube-state-metrics, ...) are somebody else's and are not reported.
OWNED_PREFIXES = ("controller_runtime_", "workqueue_", "rest_client_", "leader_election_",
                  "crossplane_managed_resource_", "gitea_api_")

# Labels that the scrape or common relabelings put on every series of a target.
TARGET_LABELS = frozenset(builtin_catalog.TARGET_LABELS | {"service", "endpoint", "node", "prometheus",
                                                            "prometheus_replica", "tenant", "region", "env"})

COUNTER_LIKE = ("counter", "histogram_bucket", "histogram_sum", "histogram_count", "summary_sum", "summary_count")


@dataclass(frozen=True)
class SeriesInfo:
    name: str
    type: str  # counter, gauge, histogram_bucket, histogram_sum, ..., summary_quantile, untyped
    labels: frozenset[str]
    values: dict[str, frozenset[str]] = field(default_factory=dict)  # only labels whose values are all known


@dataclass
class LintCatalog:
    series: dict[str, SeriesInfo]
    records: set[str]
    description: str
    strict: bool  # report every unknown metric name, not only those with our prefixes
    target_labels: frozenset[str] = TARGET_LABELS

    def owns(self, name: str) -> bool:
        return self.strict or name.startswith(OWNED_PREFIXES)

    def add(self, name: str, type_: str, labels: set[str], values: dict[str, set[str]] | None = None) -> None:
        """Add a metric family (histograms and summaries expand to their series)."""
        vals = {k: frozenset(v) for k, v in (values or {}).items()}
        if type_ == "histogram":
            self._put(f"{name}_bucket", "histogram_bucket", labels | {"le"}, vals)
            self._put(f"{name}_sum", "histogram_sum", labels, vals)
            self._put(f"{name}_count", "histogram_count", labels, vals)
        elif type_ == "summary":
            self._put(name, "summary_quantile", labels | {"quantile"}, vals)
            self._put(f"{name}_sum", "summary_sum", labels, vals)
            self._put(f"{name}_count", "summary_count", labels, vals)
        else:
            self._put(name, type_, labels, vals)

    def _put(self, name: str, type_: str, labels: set[str], values: dict[str, frozenset[str]]) -> None:
        self.series[name] = SeriesInfo(name, type_, frozenset(labels), values)


def builtin(config: Config | None = None) -> LintCatalog:
    """The provider's and exporter's metrics, their label values, and the recording rules we ship."""
    import alerts  # the definitions; imported here so that reading a user's catalog does not need them

    config = config or Config()
    cat = LintCatalog({}, set(), "built-in catalog (monitoring/catalog.py)", strict=False,
                      target_labels=TARGET_LABELS | {config.cluster_label})
    controllers = set(config.provider.controllers)
    for m in builtin_catalog.METRICS:
        values = {k: set(v) for k, v in m.label_values.items()}
        if "controller" in m.labels:
            values["controller"] = controllers
        type_ = "counter" if m.type == builtin_catalog.COUNTER else m.type
        cat.add(m.name, "gauge" if type_ == builtin_catalog.INFO else type_, set(m.labels), values)
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
