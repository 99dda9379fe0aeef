"""The compiler: config -> definitions -> validated model -> files under build/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import alerts
import dashboards
from monitoring import __version__, alertmanager, extensions, mixin, overrides, runbooks
from monitoring import kubernetes as k8s
from monitoring.config import Config
from monitoring.grafana.convert import for_grafana
from monitoring.output import to_json, to_yaml, write_tree
from monitoring.rules import RuleFile
from monitoring.testgen import test_files
from monitoring.validate import validate_dashboards, validate_rules, validate_runbook_links

RULES_DIR = "prometheus/rules"
TESTS_DIR = "tests"
DASHBOARDS_DIR = "grafana/dashboards"
KUBERNETES_DIR = "kubernetes"
ALERTMANAGER_FILE = "alertmanager/alertmanager.yml"


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
    )


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
    )


def alertmanager_settings(config: Config, rule_files: list[RuleFile]) -> alertmanager.AlertmanagerSettings:
    a = config.alertmanager
    return alertmanager.AlertmanagerSettings(
        urls={"critical": a.page_url, "warning": a.chat_url, "info": a.ticket_url},
        group_wait=a.group_wait, group_interval=a.group_interval, repeat_interval=a.repeat_interval,
        inhibit_equal=a.inhibit_equal, cluster_label=config.cluster_label,
        alert_names=tuple(sorted({r.alert for rf in rule_files for r in rf.alerts()})),
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

    settings = kube_settings(config)
    manifests: dict[str, dict] = {
        "prometheusrule.yaml": k8s.prometheus_rule(model.rule_files, settings),
        "podmonitor.yaml": k8s.pod_monitor(settings),
        "runtimeconfig.yaml": k8s.deployment_runtime_config(sidecar_settings(config)),
    }
    for name, dashboard in sorted(model.dashboards.items()):
        manifests[f"dashboards/configmap-{name}.yaml"] = k8s.dashboard_configmap(name, dashboard, settings)
        manifests[f"dashboards/grafanadashboard-{name}.yaml"] = k8s.grafana_dashboard(name, dashboard, settings)
    for rel, manifest in manifests.items():
        files[f"{KUBERNETES_DIR}/{rel}"] = to_yaml(manifest)
    files[f"{KUBERNETES_DIR}/kustomization.yaml"] = to_yaml(k8s.kustomization(list(manifests)))
    # Not in the kustomization: users merge runtimeConfigRef into the Provider they already have.
    files[f"{KUBERNETES_DIR}/examples/provider.yaml"] = to_yaml(k8s.provider(sidecar_settings(config)))
    files[ALERTMANAGER_FILE] = to_yaml(alertmanager.config(alertmanager_settings(config, model.rule_files)))
    files["docs/runbooks.md"] = runbooks.render(model.rule_files)
    files.update(mixin.render(model.rule_files, model.dashboards, __version__))
    return files


def _uses_records(rule_file: RuleFile, other: RuleFile) -> bool:
    """Whether an alert of `rule_file` reads a series recorded in `other`."""
    names = {r.record for r in other.records()}
    return any(re.search(rf"\b{re.escape(n)}\b", a.expr) for a in rule_file.alerts() for n in names)


def build(config: Config, out_dir: Path) -> dict[str, str]:
    """Compile and write `out_dir` atomically; on any error the previous build stays as it was."""
    files = render(load_model(config), config)
    write_tree(out_dir, files)
    return files
