"""The compiler: config -> definitions -> validated model -> files under build/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gitea_provider_monitoring import __version__, alerts, dashboards
from gitea_provider_monitoring.exporters.gitea_api.durations import flag_seconds
from gitea_provider_monitoring.exporters.gitea_api.probes import DEFAULT_PROBES
from gitea_provider_monitoring.model import extensions, overrides, provider_facts
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.errors import ConfigError
from gitea_provider_monitoring.model.grafana_model import for_grafana
from gitea_provider_monitoring.model.rules import RuleFile
from gitea_provider_monitoring.render import alertmanager, helm, mixin, resource_state, runbooks
from gitea_provider_monitoring.render import kubernetes as k8s
from gitea_provider_monitoring.render.output import to_json, to_yaml, write_tree
from gitea_provider_monitoring.render.testgen import test_files
from gitea_provider_monitoring.render.validate import validate_dashboards, validate_rules, validate_runbook_links

RULES_DIR = "prometheus/rules"
TESTS_DIR = "tests"
DASHBOARDS_DIR = "grafana/dashboards"
KUBERNETES_DIR = "kubernetes"
ALERTMANAGER_FILE = "alertmanager/alertmanager.yml"
KSM_DIR = "kube-state-metrics"
KSM_CONFIG_FILE = f"{KSM_DIR}/custom-resource-state.yaml"
KSM_VALUES_FILE = f"{KSM_DIR}/kube-prometheus-stack-values.yaml"


@dataclass(frozen=True)
class Model:
    """Everything the definitions produced, validated."""

    rule_files: list[RuleFile]
    dashboards: dict[str, dict]  # name -> rendered dashboard JSON


def load_model(config: Config) -> Model:
    """Our definitions plus the extensions', with the config's overrides applied, validated."""
    loaded = extensions.load(config)

    def define(cfg: Config) -> list[RuleFile]:
        ours = alerts.rule_files(cfg)
        return ours + extensions.rule_files(loaded, cfg, ours)

    defined = define(config)
    rule_files = overrides.apply(config, define, defined)
    metrics = extensions.metrics(loaded)
    records = validate_rules(rule_files, metrics)
    defs = dashboards.dashboards(config) + extensions.dashboards(loaded, config)
    defs = extensions.add_panels(loaded, config, defs)
    rendered = validate_dashboards(defs, records, metrics)
    validate_runbook_links(defs, rendered, {a.alert for rf in defined for a in rf.alerts()})
    rendered = {name: for_grafana(d, config.grafana_min_version) for name, d in rendered.items()}
    return Model(rule_files=rule_files, dashboards=rendered)


def kube_settings(config: Config) -> k8s.KubeSettings:
    return k8s.KubeSettings(
        namespace=config.kubernetes_namespace,
        instance_selector=config.grafana_instance_selector,
        grafana_folder=config.grafana_folder,
        provider_package=config.provider.package_name,
        provider_job=config.provider.job,
        exporter_job=config.exporter.job,
        scrape_interval=config.scrape_interval,
        provider_namespace=config.provider.namespace,
        labels=manifest_labels(config),
        allow_cross_namespace_import=config.kubernetes.grafana_allow_cross_namespace_import,
        prometheus_namespace=config.kubernetes.prometheus_namespace,
        prometheus_pod_labels=config.kubernetes.prometheus_pod_labels,
        exporter_port=config.exporter.port,
    )


def manifest_labels(config: Config) -> dict[str, dict[str, str]]:
    """Kind -> the user's extra labels (config `kubernetes.*_labels`); "*" applies to every object."""
    k = config.kubernetes
    return {"*": k.labels, "PrometheusRule": k.prometheus_rule_labels, "PodMonitor": k.pod_monitor_labels,
            "ConfigMap": k.dashboard_configmap_labels, "GrafanaDashboard": k.grafana_dashboard_labels,
            "GrafanaFolder": k.grafana_dashboard_labels, "AlertmanagerConfig": k.alertmanager_config_labels,
            "NetworkPolicy": k.network_policy_labels, "DeploymentRuntimeConfig": k.runtime_config_labels}


def resource_state_settings(config: Config) -> resource_state.ResourceStateSettings:
    r = config.resource_state
    return resource_state.ResourceStateSettings(
        job=r.job, namespace=r.namespace, service_account=r.service_account,
        service_labels=r.service_labels, port_name=r.port_name, config_map_name=r.config_map_name,
        scrape_interval=config.scrape_interval, kube=kube_settings(config))


def custom_resource_state_text(config: Config) -> str:
    """The kube-state-metrics CustomResourceStateMetrics config of `config` as YAML text."""
    return to_yaml(resource_state.custom_resource_state())


def write_custom_resource_state(path: str | Path, config: Config | None = None) -> Path:
    """Write the kube-state-metrics config to `path` (atomically), for a harness that starts the real
    kube-state-metrics with --custom-resource-state-config-file=<path>. Returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(custom_resource_state_text(config or Config()), encoding="utf-8")
    tmp.replace(path)
    return path


def probe_timing(config: Config) -> float:
    """The exporter's interval in seconds, after checking interval and timeout the way the exporter will.

    The exporter reads single-unit durations only (15s, 800ms, 1m) and refuses a timeout not below the
    interval: caught here, at build, instead of as a crash-looping sidecar.
    """
    e, seconds = config.exporter, {}
    for key in ("interval", "timeout"):
        try:
            seconds[key] = flag_seconds(getattr(e, key))
        except ValueError as exc:
            raise ConfigError("<config>", f"exporter.{key}", str(exc),
                              "the exporter reads one unit: 15s, 800ms, 1m") from None
        if seconds[key] <= 0:
            raise ConfigError("<config>", f"exporter.{key}", f"{getattr(e, key)!r} must be above zero")
    if seconds["timeout"] >= seconds["interval"]:
        raise ConfigError("<config>", "exporter.timeout", f"{e.timeout} is not below exporter.interval {e.interval}",
                          "a probe round must end before the next starts")
    return seconds["interval"]


def sidecar_settings(config: Config) -> k8s.SidecarSettings:
    e, p = config.exporter, config.provider
    return k8s.SidecarSettings(
        runtime_config_name=e.runtime_config_name,
        provider_name=p.package_name,
        provider_package=p.package_ref,
        image=e.image,
        port=e.port,
        port_name=k8s.EXPORTER_PORT_NAME,
        gitea_url=e.gitea_url,
        interval=e.interval,
        timeout=e.timeout,
        token_secret_name=e.token_secret_name,
        token_secret_key=e.token_secret_key,
        runtime_container=p.container,
        mode=e.mode,
        proxy_port=e.proxy_port,
        probes_per_round=len(DEFAULT_PROBES),
        interval_seconds=probe_timing(config),
        labels={**config.kubernetes.labels, **config.kubernetes.runtime_config_labels},
        provider_args=(provider_facts.flag("leader-election").option,) if p.leader_election else (),
        replicas=p.replicas,
    )


def alertmanager_settings(config: Config, rule_files: list[RuleFile]) -> alertmanager.AlertmanagerSettings:
    a = config.alertmanager
    return alertmanager.AlertmanagerSettings(
        urls={"critical": a.page_url, "warning": a.chat_url, "info": a.ticket_url},
        group_wait=a.group_wait, group_interval=a.group_interval, repeat_interval=a.repeat_interval,
        inhibit_equal=a.inhibit_equal, cluster_label=config.cluster_label,
        project_label=(config.project_label_name, config.project_label_value),
    )


def render(model: Model, config: Config) -> dict[str, str]:
    """Relative path -> file text, for everything under build/."""
    files: dict[str, str] = {}
    rule_paths = [f"{RULES_DIR}/{rf.name}.yaml" for rf in model.rule_files]
    for rf, path in zip(model.rule_files, rule_paths, strict=True):
        files[path] = to_yaml(rf.to_dict())
    # Test files live in build/tests/; promtool resolves rule_files relative to the test file.
    for rf in model.rule_files:
        # Only the rule files this one needs: promtool evaluates every listed rule at every step.
        needed = [f"../{p}" for other, p in zip(model.rule_files, rule_paths, strict=True)
                  if other is rf or _uses_records(rf, other)]
        for stem, tests in test_files(rf, needed, config.evaluation_interval).items():
            files[f"{TESTS_DIR}/{stem}.test.yaml"] = to_yaml(tests)
    for name, dashboard in sorted(model.dashboards.items()):
        files[f"{DASHBOARDS_DIR}/{name}.json"] = to_json(dashboard)

    files.update(kubernetes_files(model, config))
    files[KSM_CONFIG_FILE] = custom_resource_state_text(config)
    files[KSM_VALUES_FILE] = to_yaml(resource_state.helm_values(resource_state_settings(config)))
    files.update(helm_files(model, config))
    files[ALERTMANAGER_FILE] = to_yaml(alertmanager.config(alertmanager_settings(config, model.rule_files)))
    files["docs/runbooks.md"] = runbooks.render(model.rule_files)
    files.update(mixin.render(model.rule_files, model.dashboards, __version__))
    return files


BASE = ("rules", "pod-monitor")  # the kustomize base: applied by `kubectl apply -k build/kubernetes`
COMPONENTS = ("grafana-sidecar", "grafana-operator", "exporter", "alertmanager-config", "network-policy", "resource-state")


@dataclass(frozen=True)
class KubeInputs:
    """What the Kubernetes objects are rendered from. The chart renders the same objects from inputs where the
    deploy-time fields hold markers (monitoring/render/helm.py), so kustomize and Helm share one renderer."""

    kube: k8s.KubeSettings
    sidecar: k8s.SidecarSettings
    alertmanager: alertmanager.AlertmanagerSettings
    resource_state: resource_state.ResourceStateSettings
    resource_state_config: str  # the kube-state-metrics CustomResourceStateMetrics config, as YAML text


def kube_inputs(model: Model, config: Config) -> KubeInputs:
    return KubeInputs(kube_settings(config), sidecar_settings(config), alertmanager_settings(config, model.rule_files),
                      resource_state_settings(config), custom_resource_state_text(config))


def kubernetes_objects(model: Model, inputs: KubeInputs) -> dict[str, dict[str, dict]]:
    """Part (BASE, then COMPONENTS) -> file name -> object: the one set of objects kustomize and Helm ship."""
    settings, sidecar = inputs.kube, inputs.sidecar
    parts: dict[str, dict[str, dict]] = {name: {} for name in (*BASE, *COMPONENTS)}
    parts["rules"]["prometheusrule.yaml"] = k8s.prometheus_rule(model.rule_files, settings)
    parts["pod-monitor"]["podmonitor.yaml"] = k8s.pod_monitor(settings)
    for name, dashboard in sorted(model.dashboards.items()):
        parts["grafana-sidecar"][f"configmap-{name}.yaml"] = k8s.dashboard_configmap(name, dashboard, settings)
        parts["grafana-operator"][f"grafanadashboard-{name}.yaml"] = k8s.grafana_dashboard(name, dashboard, settings)
    parts["grafana-operator"]["grafanafolder.yaml"] = k8s.grafana_folder(settings)
    parts["exporter"]["runtimeconfig.yaml"] = k8s.deployment_runtime_config(sidecar)
    am_meta = k8s.object_metadata("gitea-provider-monitoring", settings.provider_namespace, "AlertmanagerConfig",
                                  settings)
    parts["alertmanager-config"]["alertmanagerconfig.yaml"] = alertmanager.alertmanager_config(inputs.alertmanager,
                                                                                               am_meta)
    parts["network-policy"]["networkpolicy.yaml"] = k8s.network_policy(settings)
    rs, ksm_config = inputs.resource_state, inputs.resource_state_config
    parts["resource-state"]["configmap.yaml"] = resource_state.config_map(rs, ksm_config)
    parts["resource-state"]["clusterrole.yaml"] = resource_state.cluster_role(rs)
    parts["resource-state"]["clusterrolebinding.yaml"] = resource_state.cluster_role_binding(rs)
    parts["resource-state"]["servicemonitor.yaml"] = resource_state.service_monitor(rs)
    return parts


def kubernetes_files(model: Model, config: Config) -> dict[str, str]:
    """build/kubernetes/: the base (rules, PodMonitor) and one kustomize Component per optional part."""
    inputs = kube_inputs(model, config)
    parts = kubernetes_objects(model, inputs)
    base = {rel: manifest for name in BASE for rel, manifest in parts[name].items()}
    files: dict[str, str] = {}
    for rel, manifest in base.items():
        files[f"{KUBERNETES_DIR}/{rel}"] = to_yaml(manifest)
    files[f"{KUBERNETES_DIR}/kustomization.yaml"] = to_yaml(k8s.kustomization(list(base)))
    for name in COMPONENTS:
        manifests = parts[name]
        for rel, manifest in manifests.items():
            files[f"{KUBERNETES_DIR}/components/{name}/{rel}"] = to_yaml(manifest)
        files[f"{KUBERNETES_DIR}/components/{name}/kustomization.yaml"] = to_yaml(k8s.component(list(manifests)))
    # Not in the kustomization: users merge runtimeConfigRef into the Provider they already have.
    files[f"{KUBERNETES_DIR}/examples/provider.yaml"] = to_yaml(k8s.provider(inputs.sidecar))
    return files


def helm_chart(model: Model, config: Config) -> helm.Chart:
    """The chart of kubernetes_objects(): deploy-time choices as values, the rest baked in from the config."""
    from gitea_provider_monitoring.exporters.gitea_api.main import MODES

    e, p = config.exporter, config.provider
    inputs = kube_inputs(model, config)
    # Proxy modes need their own port: a config sharing it offers only probe mode.
    values = helm.deploy_values(MODES if e.port != e.proxy_port else ("probe",))
    parts = (*BASE, *COMPONENTS)
    objects = helm.chart_objects(model, inputs, values, kubernetes_objects)
    tree = helm.default_values(objects, inputs, values, parts, BASE, manifest_labels(config))
    facts = {"provider.namespace": p.namespace, "provider.job": p.job, "provider.package_name": p.package_name,
             "exporter.job": e.job, "exporter.port": str(e.port), "exporter.interval": e.interval,
             "scrape_interval": config.scrape_interval, "grafana_folder": config.grafana_folder,
             "kubernetes_namespace (the kustomize base's namespace)": config.kubernetes_namespace}
    return helm.Chart(objects, tree, helm.values_schema(tree, values, parts), facts, parts, values)


def helm_files(model: Model, config: Config) -> dict[str, str]:
    """build/helm/<chart>/: the objects of kubernetes_objects() with the deploy-time choices as values."""
    return helm.chart_files(helm_chart(model, config))


def _uses_records(rule_file: RuleFile, other: RuleFile) -> bool:
    """Whether an alert of `rule_file` reads a series recorded in `other`."""
    names = {r.record for r in other.records()}
    return any(re.search(rf"\b{re.escape(n)}\b", a.expr) for a in rule_file.alerts() for n in names)


def build(config: Config, out_dir: Path) -> dict[str, str]:
    """Compile and write `out_dir` atomically; on any error the previous build stays as it was."""
    files = render(load_model(config), config)
    write_tree(out_dir, files)
    return files
