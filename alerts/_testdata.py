"""Series for the promtool cases written beside each alert.

Test series carry a cluster label (`c1`) so every case also proves that aggregation keeps it.
"""

from __future__ import annotations

from monitoring.config import Config
from monitoring.rules import Series

CLUSTER = "c1"
PODS = ("provider-gitea-5f7c9d-aaaaa", "provider-gitea-5f7c9d-bbbbb", "provider-gitea-5f7c9d-ccccc")


def labels_text(labels: dict[str, str]) -> str:
    return ", ".join(f'{k}="{v}"' for k, v in labels.items())


def provider_target(config: Config, replica: int = 0) -> dict[str, str]:
    """Target labels of one provider replica as the PodMonitor produces them."""
    return {
        config.cluster_label: CLUSTER,
        "job": config.provider.job,
        "namespace": config.provider.namespace,
        "pod": PODS[replica],
        "instance": f"10.0.0.{replica + 1}:{config.provider.metrics_port}",
    }


def exporter_target(config: Config, replica: int = 0) -> dict[str, str]:
    return {
        config.cluster_label: CLUSTER,
        "job": config.exporter.job,
        "namespace": config.provider.namespace,
        "pod": PODS[replica],
        "instance": f"10.0.0.{replica + 1}:{config.exporter.port}",
    }


def kube_target(config: Config, replica: int = 0) -> dict[str, str]:
    """kube-state-metrics / cAdvisor labels of the provider container."""
    return {
        config.cluster_label: CLUSTER,
        "job": "kube-state-metrics",
        "namespace": config.provider.namespace,
        "pod": PODS[replica],
        "container": config.provider.container,
    }


def series(metric: str, target: dict[str, str], values: str, **labels: str) -> Series:
    return Series(f"{metric}{{{labels_text({**target, **labels})}}}", values)


def provider(config: Config, metric: str, values: str, replica: int = 0, **labels: str) -> Series:
    return series(metric, provider_target(config, replica), values, **labels)


def exporter(config: Config, metric: str, values: str, replica: int = 0, **labels: str) -> Series:
    return series(metric, exporter_target(config, replica), values, **labels)


def kube(config: Config, metric: str, values: str, replica: int = 0, **labels: str) -> Series:
    return series(metric, kube_target(config, replica), values, **labels)


def group_labels(config: Config, job: str | None = None, **extra: str) -> dict[str, str]:
    """The labels an alert aggregated `by (cluster, namespace[, job], ...)` carries in the tests."""
    out = {config.cluster_label: CLUSTER, "namespace": config.provider.namespace}
    if job:
        out["job"] = job
    out.update(extra)
    return out


def histogram(make, metric: str, bounds: tuple[str, ...], slowest: str, per_step: int, steps: int,
              **labels: str) -> list[Series]:
    """Buckets (and _count) of a histogram whose observations all fall in the bucket ending at `slowest`.

    `make` is provider() or exporter() with the config bound, e.g. `functools.partial(provider, config)`.
    """
    out, reached = [], False
    for le in bounds:
        reached = reached or le == slowest
        out.append(make(f"{metric}_bucket", f"0+{per_step if reached else 0}x{steps}", le=le, **labels))
    out.append(make(f"{metric}_count", f"0+{per_step}x{steps}", **labels))
    return out
